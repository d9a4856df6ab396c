// `npm start`: the demo. Builds the package and starts the org emulator with the two demo orgs.
// (Node-RED with the demo flows joins it as the nodes land.) Ctrl-C stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { ensureDependencies } from './ensure-deps.mjs';

for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete process.env[k];

ensureDependencies();
const built = spawnSync('node', ['build.mjs'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status || 1);

const loginPort = process.env.S2S_LOGIN_PORT ?? '8700';
const orgPorts = process.env.S2S_ORG_PORTS ?? '8701,8702';
const emulator = spawn('node', ['dist/emulator/cli.js', '--login-port', loginPort, '--org-ports', orgPorts], { stdio: 'inherit' });
emulator.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => emulator.kill(signal));
