/**
 * `npm start` with the sync examples deployed: the HTTP endpoint of example 04 answers against the
 * demo orgs, and a second start begins from an empty ledger, as the emulator begins from its demo
 * data (an old ledger would take every record for written already and skip it).
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDemo, type DemoProcess } from '../e2e/demo-process.js';

interface Report {
  status: string;
  totals: { collected: number; written: number; created: number; updated: number; unchanged: number; deadLettered: number };
}

describe('npm start: the sync examples against the demo orgs', function () {
  this.timeout(120_000);
  let dir: string;
  let demo: DemoProcess | undefined;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'orgbridge-demo-sync-'));
  });
  afterEach(() => demo?.kill());
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function sync(body: unknown): Promise<{ status: number; body: Report }> {
    const res = await fetch(new URL('s2s/sync', demo!.ready.editorUrl), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: (await res.json()) as Report };
  }
  const brightwave = { object: 'Account', filter: { Name: 'Brightwave Health' }, depth: 2 };

  it('answers POST /s2s/sync, and starts again from an empty ledger with the fresh demo data', async () => {
    demo = await startDemo(dir);
    const first = await sync(brightwave);
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body.totals).to.include({ collected: 4, written: 4, created: 3, updated: 1, deadLettered: 0 });
    expect((await sync(brightwave)).body.totals).to.include({ written: 0, unchanged: 4 });
    expect(existsSync(path.join(demo.ready.userDir, 'orgbridge', 'ledger.sqlite')), 'the ledger file').to.equal(true);
    expect(await demo.interrupt()).to.equal(0);

    demo = await startDemo(dir);
    const afterRestart = await sync(brightwave);
    expect(afterRestart.status).to.equal(200);
    expect(afterRestart.body.totals, 'written to the new emulator').to.include({ written: 4, created: 3, updated: 1 });
    expect(demo.log()).to.not.match(/\berror\b/i);
  });
});
