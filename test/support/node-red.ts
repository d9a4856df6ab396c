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

/** Everything a helper node receives, in order. */
export function collect<M = unknown>(id: string): M[] {
  const got: M[] = [];
  (helper.getNode(id) as unknown as NodeJS.EventEmitter).on('input', (msg: M) => got.push(msg));
  return got;
}

/** Waits until `pred` holds, polling; fails naming `what` after `ms`. */
export async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (pred()) return;
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
