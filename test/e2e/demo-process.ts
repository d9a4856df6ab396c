import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** What `npm start -- --json` prints once the demo is up. */
export interface DemoReady {
  editorUrl: string;
  dashboardUrl?: string;
  loginUrl: string;
  userDir: string;
  readyMs: number;
  orgs: Array<{ name: string; displayName: string; orgId: string; instanceUrl: string; username: string; connection: string; state: string }>;
}

export interface DemoProcess {
  ready: DemoReady;
  /** Everything the demo printed (stdout and stderr, its Node-RED log and the emulator's). */
  log(): string;
  /** Ctrl-C as a terminal sends it (SIGINT to the whole process group); resolves with the exit code. */
  interrupt(timeoutMs?: number): Promise<number | null>;
  kill(): void;
}

/**
 * Runs `scripts/start.mjs` (what `npm start` runs) on free ports in `demoDir`, without building:
 * npm test builds first. Its own process group, so an interrupt reaches the emulator too.
 */
export async function startDemo(demoDir: string, timeoutMs = 60_000): Promise<DemoProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', S2S_NODE_RED_PORT: '0', S2S_LOGIN_PORT: '0', S2S_ORG_PORTS: '0,0', S2S_DEMO_DIR: demoDir };
  for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[k];
  const child: ChildProcess = spawn(process.execPath, [path.resolve('scripts/start.mjs'), '--no-build', '--json'], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const stdout = createInterface({ input: child.stdout! });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const ready = await new Promise<DemoReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo was not ready within ${timeoutMs} ms:\n${lines.join('\n')}`)), timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (code ${code}) before it was ready:\n${lines.join('\n')}`));
    });
    stdout.on('line', (line) => {
      lines.push(line);
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as DemoReady);
      } catch (err) {
        reject(err as Error);
      }
    });
  }).catch((err: Error) => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    throw err;
  });

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    ready,
    log: () => lines.join('\n'),
    interrupt: async (ms = 15_000) => {
      if (child.exitCode !== null) return child.exitCode;
      signalGroup('SIGINT');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
      if (code === 'timeout') {
        signalGroup('SIGKILL');
        throw new Error(`the demo did not stop within ${ms} ms of Ctrl-C`);
      }
      return code;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) signalGroup('SIGKILL');
    },
  };
}
