// `npm test`: build, type check, lint, then every test. Proxy variables are removed first because
// jsforce and faye would otherwise send even loopback traffic through a proxy.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureDependencies } from './ensure-deps.mjs';

for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete process.env[k];

ensureDependencies();
ensureChromium();

/**
 * The browser tests drive Debian's Chromium (nothing may download a browser here). On a machine
 * where we are root with apt, install it like .ci/run does; elsewhere the e2e test says what to do.
 */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !existsSync('/usr/bin/apt-get')) return;
  console.log('Installing Debian chromium for the browser tests (apt-get install -y chromium)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) {
      console.error(`apt-get ${args.join(' ')} failed; install chromium by hand, then run npm test again.`);
      process.exit(r.status || 1);
    }
  }
}

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
