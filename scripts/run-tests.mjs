// `npm test`: build, type check, lint, then every test. Proxy variables are removed first because
// jsforce and faye would otherwise send even loopback traffic through a proxy.
import { spawnSync } from 'node:child_process';
import { ensureDependencies } from './ensure-deps.mjs';

for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete process.env[k];

ensureDependencies();

const steps = [
  ['build', 'node', ['build.mjs']],
  ['type check', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['type check (editor)', 'npx', ['tsc', '-p', 'tsconfig.editor.json', '--noEmit']],
  ['lint', 'npx', ['eslint', '.']],
  ['tests', 'npx', ['mocha', ...process.argv.slice(2)]],
];

for (const [name, cmd, args] of steps) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`\n${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}
