import { createRequire } from 'node:module';
import path from 'node:path';
import helper from 'node-red-node-test-helper';

const require = createRequire(__filename);

helper.init(require.resolve('node-red'));

/** A built node module from dist/nodes (npm test builds first; tests exercise what ships). */
export function builtNode(type: string): unknown {
  return require(path.resolve('dist/nodes', `${type}.js`));
}

export { helper };
