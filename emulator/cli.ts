#!/usr/bin/env node
/**
 * `s2s-emulator`: starts the emulator with the two demo orgs (hq and subsidiary).
 *   --json               print one line of JSON describing the orgs first (for scripts)
 *   --login-port N       port of the shared login host (default: any free port)
 *   --org-ports A,B      ports of the orgs' instance URLs, in order hq,subsidiary
 *   --node-red-port N    port of the Node-RED editor the demo apps' OAuth callback URLs point at
 *   --empty              start without the demo records
 *   --log                log every request
 */
import { parseArgs } from 'node:util';
// From the package's entry, which the build keeps a separate module: the emulator ships once.
import { demoJwtKeys, startDemoEmulator } from './index.js';

// Loopback traffic must never go through a proxy.
for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[k];

function fail(message: string): never {
  process.stderr.write(`s2s-emulator: ${message}\nUsage: s2s-emulator [--json] [--login-port N] [--org-ports A,B] [--node-red-port N] [--empty] [--log]\n`);
  process.exit(2);
}

function port(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${what} must be a port number (0-65535), got '${text}'`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        'login-port': { type: 'string' },
        'org-ports': { type: 'string' },
        'node-red-port': { type: 'string' },
        empty: { type: 'boolean', default: false },
        log: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write('Usage: s2s-emulator [--json] [--login-port N] [--org-ports A,B] [--node-red-port N] [--empty] [--log]\n');
    return;
  }
  const orgPorts = values['org-ports']?.split(',').map((p) => port(p.trim(), '--org-ports'));
  const emulator = await startDemoEmulator({
    loginPort: values['login-port'] !== undefined ? port(values['login-port'], '--login-port') : 0,
    orgPorts,
    ...(values['node-red-port'] !== undefined ? { nodeRedPort: port(values['node-red-port'], '--node-red-port') } : {}),
    seed: !values.empty,
    log: values.log ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
  // The demo connected apps' JWT key: public, shipped with the package, for the emulator only.
  const demoPrivateKeyFile = demoJwtKeys().privateKeyPath;
  const info = { ...emulator.describe(), demoPrivateKeyFile };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
  } else {
    process.stdout.write(`Salesforce org emulator\n  login URL: ${emulator.loginUrl}\n`);
    for (const o of (info as { orgs?: unknown }).orgs as Array<Record<string, string>>) {
      process.stdout.write(`  ${o.name}: ${o.instanceUrl}  org ${o.orgId}  user ${o.username}  client id ${o.clientId}\n`);
    }
    process.stdout.write(`  JWT private key of the demo connected apps (public, for the emulator only): ${demoPrivateKeyFile}\n`);
    process.stdout.write('Press Ctrl-C to stop.\n');
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    await emulator.stop();
    if (!values.json) process.stdout.write(`stopped (${signal})\n`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: Error) => {
  process.stderr.write(`s2s-emulator: ${err.message}\n`);
  process.exit(1);
});
