// `npm start`: the demo. Builds the package, starts the org emulator with the two demo orgs, then
// Node-RED in this process with our nodes, the dashboard and every example deployed against the
// emulated orgs. Ctrl-C (or SIGTERM) stops everything and exits 0.
//
//   --no-build  skip the dependency check and the build (the end-to-end test has built already)
//   --json      print one JSON line when ready (URLs, orgs) instead of the summary
//
// Environment: PORT or S2S_NODE_RED_PORT (1880), S2S_NODE_RED_HOST (127.0.0.1), S2S_LOGIN_PORT
// (8700), S2S_ORG_PORTS (8701,8702), S2S_DEMO_DIR (.demo; Node-RED's user directory is its
// node-red/ folder). A port of 0 means any free port.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// jsforce and faye would send even loopback traffic through a proxy.
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete process.env[k];

const started = Date.now();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const say = json ? (line) => process.stderr.write(`${line}\n`) : (line) => process.stdout.write(`${line}\n`);

function fail(message) {
  process.stderr.write(`\nnpm start: ${message}\n`);
  process.exit(1);
}

function portFrom(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${name} must be a port number (0-65535), got "${text}"`);
  return n;
}

const nodeRedPort = portFrom('S2S_NODE_RED_PORT', process.env.S2S_NODE_RED_PORT || process.env.PORT || '1880');
const nodeRedHost = process.env.S2S_NODE_RED_HOST || '127.0.0.1';
const loginPort = portFrom('S2S_LOGIN_PORT', process.env.S2S_LOGIN_PORT || '8700');
const orgPorts = (process.env.S2S_ORG_PORTS || '8701,8702').split(',').map((p) => portFrom('S2S_ORG_PORTS', p.trim()));
if (orgPorts.length !== 2) fail(`S2S_ORG_PORTS needs two ports (hq,subsidiary), got "${process.env.S2S_ORG_PORTS}"`);
const demoDir = path.resolve(root, process.env.S2S_DEMO_DIR || '.demo');
const userDir = path.join(demoDir, 'node-red');

if (!args.has('--no-build')) {
  const { ensureDependencies } = await import('./ensure-deps.mjs');
  ensureDependencies(root);
  const built = spawnSync(process.execPath, ['build.mjs'], { cwd: root, stdio: ['ignore', json ? process.stderr : 'inherit', 'inherit'] });
  if (built.status !== 0) process.exit(built.status || 1);
}
for (const f of ['dist/emulator/cli.js', 'dist/emulator/keys/demo-jwt-private-key.pem', 'dist/nodes/sf-connection.js']) {
  if (!existsSync(path.join(root, f))) fail(`${f} is missing: run npm run build (or npm start without --no-build)`);
}

// Imported after the dependency check: the helper needs node-red from node_modules.
const embed = await import('./demo/node-red-embed.mjs');

let emulator;
let nodeRed;
let stopping;

async function shutdown(code, reason) {
  stopping ??= (async () => {
    if (reason) say(`\nStopping (${reason})...`);
    await nodeRed?.stop().catch((err) => process.stderr.write(`stopping Node-RED: ${err.message}\n`));
    if (emulator && emulator.exitCode === null && emulator.signalCode === null) {
      const exited = new Promise((resolve) => emulator.once('exit', resolve));
      emulator.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    process.exit(code);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // A second Ctrl-C while stopping does not wait any longer.
    if (stopping) process.exit(130);
    void shutdown(0, signal);
  });
}
// npm does not pass every signal on (kill <npm pid>); an orphaned demo would hold the ports the
// next `npm start` needs, so the demo stops when whoever started it is gone.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown(0, 'the parent process exited');
}, 1000).unref();
// Whatever ends this process, the emulator must not outlive it and keep its ports.
process.on('exit', () => {
  if (emulator && emulator.exitCode === null && emulator.signalCode === null) emulator.kill('SIGTERM');
});

async function startEmulatorProcess() {
  const child = spawn(
    process.execPath,
    [path.join(root, 'dist/emulator/cli.js'), '--json', '--login-port', String(loginPort), '--org-ports', orgPorts.join(','), '--node-red-port', String(nodeRedPort)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
  );
  emulator = child;
  const errors = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    errors.push(line);
    process.stderr.write(`[emulator] ${line}\n`);
  });
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the emulator exited (code ${code}) before it was ready${errors.length ? `: ${errors.join(' ')}` : ''}`)));
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`unexpected emulator output: ${line}`));
      }
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', (code, signal) => {
    if (stopping) return;
    // Ctrl-C in a terminal reaches the emulator too; it then exits 0 and the demo stops with it.
    if (code === 0) void shutdown(0, 'the emulator stopped');
    else {
      process.stderr.write(`\nThe emulator exited unexpectedly (${signal ?? `code ${code}`}).\n`);
      void shutdown(1);
    }
  });
  return info;
}

try {
  await embed.assertPortsFree([
    { port: nodeRedPort, what: 'Node-RED', env: 'PORT or S2S_NODE_RED_PORT' },
    { port: loginPort, what: 'emulator login', env: 'S2S_LOGIN_PORT' },
    { port: orgPorts[0], what: 'emulator org hq', env: 'S2S_ORG_PORTS' },
    { port: orgPorts[1], what: 'emulator org subsidiary', env: 'S2S_ORG_PORTS' },
  ]);
  const info = await startEmulatorProcess();
  const privateKey = readFileSync(path.join(root, 'dist/emulator/keys/demo-jwt-private-key.pem'), 'utf8');
  const examples = embed.readExamples(path.join(root, 'examples'));
  const flows = embed.demoFlows({ examples, emulator: info, privateKey });

  embed.resetFlowFiles(userDir);
  embed.resetLedger(userDir);
  nodeRed = await embed.startNodeRed({
    repoRoot: root,
    userDir,
    port: nodeRedPort,
    host: nodeRedHost,
    credentialSecret: embed.credentialSecretFor(demoDir),
  });
  // A flow cannot know its own Node-RED's address; example 06 reads the dead-letter endpoint here.
  process.env.ORGBRIDGE_ADMIN_URL ||= nodeRed.url.replace(/\/$/, '');
  const missing = embed.missingNodeTypes(nodeRed.RED, [...new Set(flows.filter((n) => n.type !== 'tab').map((n) => n.type))]);
  if (missing.length) {
    throw new Error(`Node-RED has no ${missing.join(', ')} node${missing.length > 1 ? 's' : ''}: run npm install (the dashboard is a dev dependency) and npm run build`);
  }
  await embed.deployFlows(nodeRed.url, flows);
  const connections = await embed.waitForConnections(nodeRed.RED, Object.values(embed.DEMO_CONNECTION_IDS));

  const base = flows.find((n) => n.type === 'ui-base');
  const dashboardUrl = base ? new URL(String(base.path || '/dashboard').replace(/^\//, ''), nodeRed.url).toString() : undefined;
  const orgs = info.orgs.map((o) => {
    const connection = embed.DEMO_CONNECTION_IDS[o.name];
    return {
      name: o.name,
      displayName: o.displayName,
      orgId: o.orgId,
      instanceUrl: o.instanceUrl,
      username: o.username,
      connection,
      state: connections[connection]?.state,
    };
  });
  const readyMs = Date.now() - started;
  if (json) {
    process.stdout.write(`${JSON.stringify({ editorUrl: nodeRed.url, dashboardUrl, loginUrl: info.loginUrl, userDir, orgs, readyMs })}\n`);
  } else {
    say('');
    say('OrgBridge demo');
    say(`  Node-RED editor  ${nodeRed.url}`);
    if (dashboardUrl) say(`  Dashboard        ${dashboardUrl}`);
    say(`  Org emulator     ${info.loginUrl} (login URL)`);
    for (const o of orgs) say(`    ${o.name.padEnd(11)} ${o.displayName}, ${o.instanceUrl}, org ${o.orgId}: ${o.state} as ${o.username}`);
    say(`  Flows            ${examples.map((e) => e.title).join('; ')}`);
    say(`  User directory   ${path.relative(root, userDir) || userDir} (the demo flows are deployed afresh on every start)`);
    say(`Ready in ${(readyMs / 1000).toFixed(1)} s. Press Ctrl-C to stop.`);
  }
} catch (err) {
  process.stderr.write(`\nnpm start: ${err.message}\n`);
  await shutdown(1);
}
