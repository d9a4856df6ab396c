import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Connection } from 'jsforce';

const CLI = path.resolve('dist/emulator/cli.js');

interface OrgInfo {
  name: string;
  instanceUrl: string;
  orgId: string;
  loginUrl: string;
  username: string;
  password: string;
  clientId: string;
  clientSecret: string;
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      rl.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`s2s-emulator exited with ${code} before printing`)));
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('s2s-emulator command (built package)', () => {
  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does it first)`);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints the demo orgs as JSON first, serves them, and exits cleanly on ${signal}`, async () => {
      const env = { ...process.env };
      for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY']) delete env[k];
      const child = spawn(process.execPath, [CLI, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const info = JSON.parse(await firstLine(child)) as { loginUrl: string; orgs: OrgInfo[]; demoPrivateKeyFile: string };
        expect(info.orgs.map((o) => o.name)).to.deep.equal(['hq', 'subsidiary']);
        // The demo apps' key, beside the built emulator, for connections pointed at it.
        expect(info.demoPrivateKeyFile).to.equal(path.resolve('dist/emulator/keys/demo-jwt-private-key.pem'));
        expect(readFileSync(info.demoPrivateKeyFile, 'utf8')).to.match(/^-----BEGIN PRIVATE KEY-----/);
        for (const org of info.orgs) {
          expect(org.orgId).to.match(/^00D\w{15}$/);
          expect(org.instanceUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
          const conn = new Connection({
            loginUrl: org.loginUrl,
            version: '62.0',
            oauth2: { loginUrl: org.loginUrl, clientId: org.clientId, clientSecret: org.clientSecret },
          });
          const user = await conn.login(org.username, org.password);
          expect(user.organizationId).to.equal(org.orgId);
          expect(conn.instanceUrl).to.equal(org.instanceUrl);
          const accounts = await conn.query('SELECT COUNT() FROM Account');
          expect(accounts.totalSize).to.be.greaterThan(0);
        }
      } finally {
        child.kill(signal);
      }
      const exit = await exitOf(child);
      expect(exit).to.deep.equal({ code: 0, signal: null });
    });
  }

  it('refuses a bad option with a usage message and exit code 2', async () => {
    const child = spawn(process.execPath, [CLI, '--login-port', 'ninety'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = await exitOf(child);
    expect(exit.code).to.equal(2);
    expect(stderr).to.match(/--login-port must be a port number/);
    expect(stderr).to.match(/Usage: s2s-emulator/);
  });
});
