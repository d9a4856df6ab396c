// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose name contains the filter),
// each in its own Node process so that one benchmark's heap and peak RSS never colour another's.
// Proxy variables are removed because jsforce would otherwise send even loopback traffic through them.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete process.env[k];

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const benchDir = path.join(root, 'bench');
const filter = process.argv[2];
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

if (!files.length) {
  console.error(filter ? `no benchmark matches '${filter}'` : 'no benchmarks in bench/');
  process.exit(1);
}

const failed = [];
for (const f of files) {
  console.log(`\n=== ${f}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', path.join('bench', f)], {
    cwd: root,
    stdio: 'inherit',
    env: process.env,
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`=== ${f} failed after ${secs}s (exit ${r.status ?? r.signal})`);
    failed.push(f);
  } else {
    console.log(`=== ${f} done in ${secs}s`);
  }
}
if (failed.length) {
  console.error(`\n${failed.length} of ${files.length} benchmarks failed: ${failed.join(', ')}`);
  process.exit(1);
}
