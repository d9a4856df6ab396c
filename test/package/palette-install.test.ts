/**
 * The palette user: the package as `npm pack` makes it, installed the way Node-RED's palette manager
 * installs a module (its own npm arguments, into a fresh user directory), started with the real
 * `red.js`, example 01 deployed against the emulator with the demo key as the editor sends it.
 *
 * Dependencies come from the npm cache (`--prefer-offline`: npm ci filled it). better-sqlite3 is
 * taken the way a user with internet gets it, as a prebuilt binary through prebuild-install, from a
 * local mirror that serves the binary this checkout already built (prebuild-install's documented
 * `npm_config_better_sqlite3_binary_host`); without it, the install compiles SQLite for minutes.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { demoJwtKeys, startDemoEmulator, type Emulator } from '../../emulator/index.js';

const ROOT = path.resolve('.');
const PACKAGE = '@orgbridge/node-red-s2s';
const NODE_TYPES = ['sf-connection', 'sf-health-check', 'sf-cdc-in', 'sf-bulk-query', 'sf-collect', 'sf-map-fields', 'sf-upsert-out', 'sf-sync-status'];
/** What Node-RED 4's palette manager runs (@node-red/registry/lib/installer.js). */
const PALETTE_NPM_ARGS = ['install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict'];

/**
 * The environment of a Node-RED started by hand: no proxy (loopback only here), and none of the
 * `npm_*` variables `npm test` sets, which would make the palette's npm act for this checkout.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[k];
  for (const k of Object.keys(env)) if (/^npm_/i.test(k)) delete env[k];
  return env;
}

/** Runs a command to the end without blocking this process (the prebuild mirror answers from here). */
function runAsync(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Serves this checkout's better-sqlite3 binary in prebuild-install's layout. */
async function prebuildMirror(dir: string): Promise<{ url: string; served: string[]; close(): Promise<void> }> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string };
  const file = `better-sqlite3-v${pkg.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(path.join(dir, `v${pkg.version}`), { recursive: true });
  run('tar', ['-czf', path.join(dir, `v${pkg.version}`, file), '-C', path.join(ROOT, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node'], ROOT);
  const served: string[] = [];
  const server = http.createServer((req, res) => {
    served.push(req.url ?? '');
    try {
      res.end(readFileSync(path.join(dir, decodeURIComponent(req.url ?? '').replace(/^\/+/, ''))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served, close: () => new Promise((r) => server.close(() => r())) };
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { ...init, headers: { accept: 'application/json', 'content-type': 'application/json', ...(init.headers ?? {}) }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the assertion message.
  }
  return { status: res.status, body };
}

describe('the packed package, installed from the palette into a plain Node-RED (palette user)', function () {
  this.timeout(300_000);
  let tmp: string;
  let userDir: string;
  let installLog = '';
  let servedBinary = false;
  let emulator: Emulator;
  let red: ChildProcess | undefined;
  let url = '';
  const redLog: string[] = [];

  before(async function () {
    this.timeout(300_000);
    tmp = mkdtempSync(path.join(os.tmpdir(), 's2s-palette-'));
    const tarball = run('npm', ['pack', '--silent', '--pack-destination', tmp, ROOT], ROOT).trim().split('\n').pop()!;
    userDir = path.join(tmp, 'user');
    mkdirSync(userDir);
    // What Node-RED writes into a new user directory before the first install.
    writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }));
    const mirror = await prebuildMirror(path.join(tmp, 'mirror'));
    try {
      const env = { ...cleanEnv(), npm_config_better_sqlite3_binary_host: mirror.url };
      // --foreground-scripts: the install scripts' output in the log, as the palette manager shows it.
      installLog = await runAsync('npm', [...PALETTE_NPM_ARGS, '--prefer-offline', '--foreground-scripts', path.join(tmp, tarball)], userDir, env);
      servedBinary = mirror.served.length > 0;
    } finally {
      await mirror.close();
      // prebuild-install keeps what it fetched in the npm cache, under a name made from the URL.
      for (const u of mirror.served) {
        const fetched = `${mirror.url}${u}`;
        const name = `${createHash('sha512').update(fetched).digest('hex').slice(0, 6)}-${path.basename(fetched).replace(/[^a-zA-Z0-9.]+/g, '-')}`;
        rmSync(path.join(os.homedir(), '.npm', '_prebuilds', name), { force: true });
      }
    }
    emulator = await startDemoEmulator({});
    const port = await freePort();
    red = spawn(process.execPath, [path.join(ROOT, 'node_modules/node-red/red.js'), '--userDir', userDir, '--port', String(port)], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [red.stdout!, red.stderr!]) createInterface({ input: s }).on('line', (l) => redLog.push(l));
    url = `http://127.0.0.1:${port}/`;
    const deadline = Date.now() + 60_000;
    while (!redLog.some((l) => /Started flows/.test(l))) {
      if (red.exitCode !== null) throw new Error(`Node-RED exited:\n${redLog.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`Node-RED did not start:\n${redLog.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async function () {
    this.timeout(30_000);
    if (red && red.exitCode === null) {
      const exited = new Promise((r) => red!.once('exit', r));
      red.kill('SIGINT');
      await exited;
    }
    await emulator?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('installs with the palette manager\'s npm arguments, taking the prebuilt SQLite module, and ships no sources or maps', () => {
    const installed = path.join(userDir, 'node_modules', PACKAGE);
    const files = run('find', ['.', '-type', 'f'], installed).split('\n').filter(Boolean);
    expect(files.filter((f) => f.endsWith('.map')), 'source maps').to.deep.equal([]);
    expect(files.filter((f) => f.endsWith('.ts')), 'TypeScript sources').to.deep.equal([]);
    expect(files).to.include('./dist/emulator/keys/README.md');
    expect(readdirSync(path.join(userDir, 'node_modules/better-sqlite3/build/Release'))).to.include('better_sqlite3.node');
    // Downloaded as a prebuilt binary (from the npm cache's _prebuilds once fetched), never compiled.
    expect(installLog).to.match(/prebuild-install/);
    expect(installLog).to.not.match(/gyp info|node-gyp rebuild.*\n.*gyp/);
    expect(servedBinary, 'the prebuilt binary was fetched').to.equal(true);
    const saved = JSON.parse(readFileSync(path.join(userDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(saved.dependencies[PACKAGE]).to.match(/\.tgz$/);
  });

  it('registers every node type without error, and lists the examples', async () => {
    const nodes = (await json(`${url}nodes`)).body as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
    const ours = nodes.filter((n) => n.module === PACKAGE);
    expect(ours.flatMap((n) => n.types).sort()).to.deep.equal([...NODE_TYPES].sort());
    for (const set of ours) expect(set.err, set.types.join()).to.equal(undefined);
    const example = await json(`${url}library/examples/flows/${PACKAGE}/${encodeURIComponent('01 Connect two orgs and watch availability')}`);
    expect(example.status).to.equal(200);
    expect((example.body as Array<{ type: string }>).map((n) => n.type)).to.include('sf-health-check');
  });

  it('runs example 01 against the emulator with the demo key as the editor sends it: both orgs available', async () => {
    const flow = (await json(`${url}library/examples/flows/${PACKAGE}/${encodeURIComponent('01 Connect two orgs and watch availability')}`)).body as Array<Record<string, unknown>>;
    const key = demoJwtKeys().privateKey;
    const tab = flow.find((n) => n.z)!.z as string;
    const flows = [
      { id: tab, type: 'tab', label: 'Connect two orgs' },
      ...flow.map((n) => {
        if (n.type !== 'sf-connection') return n;
        // The example points at the emulator's usual login URL; here it runs on another port. The
        // subsidiary's key is pasted as a one-line field would leave it.
        const pasted = n.id === 'sf-conn-subsidiary' ? key.replace(/\n/g, ' ') : key;
        return { ...n, domain: emulator.loginUrl, credentials: { privateKey: pasted } };
      }),
    ];
    const deployed = await json(`${url}flows`, { method: 'POST', headers: { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify({ flows }) });
    expect(deployed.status, JSON.stringify(deployed.body)).to.equal(200);
    // The flow file holds no key; the credentials file holds it encrypted.
    const flowFile = readdirSync(userDir).find((f) => /^flows.*\.json$/.test(f) && !f.includes('_cred'))!;
    expect(readFileSync(path.join(userDir, flowFile), 'utf8')).to.not.contain('PRIVATE KEY');

    for (const org of ['hq', 'subsidiary']) {
      const orgId = emulator.org(org).orgId;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const history = (await json(`${url}sf-health-check/history?orgId=${orgId}&hours=1&bucketMinutes=60`)).body as Array<{ samples: number; available: number | null }>;
        const last = Array.isArray(history) ? history[history.length - 1] : undefined;
        if (last && last.samples > 0) {
          expect(last.available, `${org}: ${JSON.stringify(last)}\n${redLog.join('\n')}`).to.equal(1);
          break;
        }
        if (Date.now() > deadline) throw new Error(`${org} was never checked:\n${redLog.join('\n')}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(redLog.filter((l) => /\[error\]/.test(l)), 'errors in the Node-RED log').to.deep.equal([]);
  });
});
