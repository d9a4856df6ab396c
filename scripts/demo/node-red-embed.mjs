// Runs Node-RED 4 inside this process with the package's nodes and FlowFuse Dashboard, and builds the
// demo flows from examples/. Used by `npm start` (scripts/start.mjs), which the end-to-end test runs too.
/* global fetch, AbortSignal, structuredClone */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { inspect } from 'node:util';

const require = createRequire(import.meta.url);

/** Stable ids, shared by the examples and the demo, so importing an example reuses these connections. */
export const DEMO_CONNECTION_IDS = { hq: 'sf-conn-hq', subsidiary: 'sf-conn-subsidiary' };

const LEVELS = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info', 50: 'debug', 60: 'trace' };

/** Warnings this set-up causes on purpose (projects off, credentials reset each start): noise here. */
const EXPECTED_WARNINGS = [/^Projects disabled/, /^Encrypted credentials not found/];
/** The login URL the example flows ship with: the emulator as `npx s2s-emulator --login-port 8700` starts it. */
const SHIPPED_LOGIN_URL = 'http://127.0.0.1:8700';

/** Fails early, naming the port and the variable that moves it, instead of half-starting the demo. */
export async function assertPortsFree(ports, host = '127.0.0.1') {
  for (const { port, what, env } of ports) {
    if (!port) continue;
    await new Promise((resolve, reject) => {
      const probe = net.createServer();
      probe.once('error', (err) => {
        const hint = env ? ` Stop whatever uses it, or set ${env} to another port.` : '';
        reject(new Error(err.code === 'EADDRINUSE' ? `Port ${port} (${what}) is already in use.${hint}` : `Port ${port} (${what}): ${err.message}`));
      });
      probe.listen(port, host, () => probe.close(resolve));
    });
  }
}

/** A random credential secret kept beside the user directory, so flows_cred.json stays readable across restarts. */
export function credentialSecretFor(dir) {
  const file = path.join(dir, '.credential-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function formatLogLine(m) {
  const level = LEVELS[m.level] ?? String(m.level);
  const text = typeof m.msg === 'string' ? m.msg : m.msg instanceof Error ? m.msg.stack ?? m.msg.message : inspect(m.msg);
  const who = m.type ? `[${m.type}${m.name ? `:${m.name}` : ''}] ` : '';
  return `[node-red] ${level}: ${who}${text}`;
}

/**
 * Starts Node-RED on `host:port` (0: any free port) with `userDir`, our package (loaded as a
 * module through nodesDir) and the dashboard. `log` gets Node-RED's warnings and errors as lines.
 */
export async function startNodeRed({ repoRoot, userDir, port = 1880, host = '127.0.0.1', credentialSecret, log = (line) => console.error(line), logLevel = 'warn' }) {
  // One Node-RED per process: its runtime is a module-level singleton.
  const RED = require('node-red');
  // The express Node-RED itself was built against, wherever npm placed it.
  const express = createRequire(require.resolve('node-red/package.json'))('express');
  mkdirSync(userDir, { recursive: true });
  const app = express();
  const server = http.createServer(app);
  const settings = {
    userDir,
    flowFile: 'flows.json',
    credentialSecret,
    // The repo root has a package.json with a `node-red` section, so Node-RED loads it as the
    // @orgbridge/node-red-s2s module (examples included). The dashboard sits in the node_modules
    // next to node-red, which Node-RED scans for modules as it does for an app that embeds it.
    nodesDir: [repoRoot],
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    uiHost: host,
    uiPort: port,
    logging: {
      orgbridge: {
        level: logLevel,
        metrics: false,
        audit: false,
        handler: () => (m) => {
          if (m.level === 30 && typeof m.msg === 'string' && EXPECTED_WARNINGS.some((re) => re.test(m.msg))) return;
          log(formatLogLine(m));
        },
      },
    },
    editorTheme: {
      tours: false,
      projects: { enabled: false },
      page: { title: 'OrgBridge demo' },
      header: { title: 'OrgBridge demo' },
    },
    // No consent prompt and no calls home from a throw-away demo.
    telemetry: { enabled: false },
    diagnostics: { enabled: false, ui: false },
  };
  RED.init(server, settings);
  app.use(settings.httpAdminRoot, RED.httpAdmin);
  app.use(settings.httpNodeRoot, RED.httpNode);
  await new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`Port ${port} (Node-RED) is already in use. Set PORT or S2S_NODE_RED_PORT to another port.`) : err),
    );
    server.listen(port, host, resolve);
  });
  await RED.start();
  const actualPort = server.address().port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const url = `http://${shownHost}:${actualPort}/`;

  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      await RED.stop().catch((err) => log(`[node-red] error: stopping: ${err.message}`));
      // Editor comms and dashboard sockets are long-lived; close() alone would wait for them.
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    })();
    return stopped;
  };
  return { RED, server, url, port: actualPort, stop };
}

/** Which of the expected node types the runtime failed to register, for a clear start-up error. */
export function missingNodeTypes(RED, types) {
  return types.filter((t) => !RED.nodes.getType(t));
}

/** Every example flow under `dir` (subfolders included), in name order, with a readable title. */
export function readExamples(dir) {
  const found = [];
  const walk = (d) => {
    for (const f of readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.json')) found.push(p);
    }
  };
  walk(dir);
  return found.map((file) => ({
    file,
    title: path.basename(file, '.json').replace(/^\d+\s+/, ''),
    flow: JSON.parse(readFileSync(file, 'utf8')),
  }));
}

/**
 * The demo: every example on a tab of its own, config nodes once each (the examples share ids), the
 * sf-connection placeholders replaced by the emulator's orgs, and each connection's private key as a
 * credential, which the runtime encrypts into flows_cred.json on deploy.
 *
 * `emulator` is what `s2s-emulator --json` prints (Emulator.describe()).
 */
export function demoFlows({ examples, emulator, privateKey }) {
  const orgsByConnection = {};
  for (const [org, id] of Object.entries(DEMO_CONNECTION_IDS)) {
    const info = emulator.orgs.find((o) => o.name === org);
    if (!info) throw new Error(`the emulator has no "${org}" org`);
    orgsByConnection[id] = info;
  }
  const flows = [];
  const seen = new Set();
  examples.forEach((example, i) => {
    const tab = `demo-tab-${String(i + 1).padStart(2, '0')}`;
    const tabIds = new Map();
    flows.push({ id: tab, type: 'tab', label: example.title, disabled: false, info: `Example: ${path.basename(example.file)}` });
    for (const node of example.flow) {
      if (node.type === 'tab') {
        tabIds.set(node.id, tab);
        continue;
      }
      if (seen.has(node.id)) {
        // Config nodes are global and shared between examples; anything else must be unique.
        if (node.z) throw new Error(`${path.basename(example.file)}: node id ${node.id} is used by another example too`);
        continue;
      }
      seen.add(node.id);
      const copy = structuredClone(node);
      if (copy.z) copy.z = tabIds.get(copy.z) ?? tab;
      if (copy.type === 'sf-connection' && orgsByConnection[copy.id]) {
        const org = orgsByConnection[copy.id];
        Object.assign(copy, { environment: 'custom', domain: org.loginUrl ?? emulator.loginUrl, authFlow: 'jwt', clientId: org.clientId, username: org.username });
        copy.credentials = { privateKey };
      }
      if (copy.type === 'http request' && typeof copy.url === 'string' && copy.url.startsWith(SHIPPED_LOGIN_URL)) {
        // Demo helpers (example 11's data generator) call the emulator's control API at the login
        // URL the examples ship with; the emulator may listen elsewhere (S2S_LOGIN_PORT).
        copy.url = emulator.loginUrl + copy.url.slice(SHIPPED_LOGIN_URL.length);
      }
      flows.push(copy);
    }
  });
  for (const id of Object.keys(orgsByConnection)) {
    if (!seen.has(id)) throw new Error(`no example defines the sf-connection "${id}"`);
  }
  return flows;
}

async function adminRequest(url, pathname, init = {}) {
  const res = await fetch(new URL(pathname, url), { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${pathname}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** A full deploy through the admin API, as the editor's Deploy button does it. */
export async function deployFlows(url, flows) {
  return adminRequest(url, 'flows', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify({ flows }),
  });
}

/**
 * Logs every connection in (through the same shared OrgConnection the nodes use) and waits until
 * each reports `connected`; rejects with the connection's own reason when one fails.
 */
export async function waitForConnections(RED, ids, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  const result = {};
  for (const id of ids) {
    let node;
    while (!(node = RED.nodes.getNode(id))) {
      if (Date.now() > deadline) throw new Error(`connection ${id} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const org = node.org;
    const remaining = Math.max(1, deadline - Date.now());
    let timer;
    try {
      await Promise.race([
        org.connection(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`connection ${id} did not connect within ${timeoutMs} ms (state ${org.state})`)), remaining);
        }),
      ]);
    } catch (err) {
      throw new Error(`connection ${id} (${org.settings?.name ?? id}) failed: ${err.message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    if (org.state !== 'connected') throw new Error(`connection ${id} is ${org.state}`);
    result[id] = { state: org.state, identity: org.identity };
  }
  return result;
}

/**
 * The OrgBridge ledger of the demo's user directory (where the nodes put it by default: see
 * defaultLedgerPath in lib/ledger), and its WAL files.
 */
export function demoLedgerFiles(userDir) {
  const file = path.join(userDir, 'orgbridge', 'ledger.sqlite');
  return [file, `${file}-wal`, `${file}-shm`];
}

/**
 * The emulator starts from its demo data every time, so the ledger must start empty too: the Id
 * map and field hashes of an earlier run would describe records the new emulator never had, and
 * the sync flows would skip them as unchanged.
 */
export function resetLedger(userDir) {
  for (const f of demoLedgerFiles(userDir)) rmSync(f, { force: true });
}

/**
 * Starts from an empty flow file, so stale demo flows (pointing at old ports, with old
 * credentials) never start; the previous flows are kept as flows.previous.json.
 */
export function resetFlowFiles(userDir) {
  const flowsFile = path.join(userDir, 'flows.json');
  if (existsSync(flowsFile)) renameSync(flowsFile, path.join(userDir, 'flows.previous.json'));
  rmSync(path.join(userDir, 'flows_cred.json'), { force: true });
}
