import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { DEMO_CREDENTIALS, demoJwtKeys } from '../../emulator/data/demo-orgs.js';
import { launchChromium } from './browser.js';
import { startDemo, type DemoProcess } from './demo-process.js';

for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete process.env[k];

const ARTIFACTS = path.resolve('.artifacts/e2e');
const PACKAGE = '@orgbridge/node-red-s2s';

/** The bits of the editor's global `RED` these checks call; evaluated in the page, never here. */
interface EditorNode {
  id: string;
  type: string;
  name?: string;
  z?: string;
  valid?: boolean;
  status?: { text?: string; fill?: string };
}
interface EditorRed {
  nodes: {
    getType(type: string): unknown;
    filterNodes(filter: { type?: string; z?: string }): EditorNode[];
    eachConfig(cb: (n: EditorNode) => void): void;
    eachNode(cb: (n: EditorNode) => void): void;
    node(id: string): EditorNode | undefined;
  };
  view: { importNodes(nodes: unknown[], options: Record<string, unknown>): void };
  editor: { editConfig(name: string, type: string, id: string): void; edit(node: EditorNode): void };
  workspaces: { show(id: string): void };
}
interface PageGlobals {
  RED: EditorRed;
  document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null; getAttribute(name: string): string | null }> };
  fetch(url: string): Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;
}

/** Example files under examples/, as the library names them: relative path without `.json`. */
function exampleNames(dir = 'examples', prefix = ''): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return exampleNames(p, `${prefix}${f}/`);
    return f.endsWith('.json') ? [`${prefix}${f.replace(/\.json$/, '')}`] : [];
  });
}

/** Every health-check status of an all-good demo: "n/n available" (not degraded or unavailable). */
function allAvailable(text: string | undefined): boolean {
  const m = /^(\d+)\/(\d+) available$/.exec(text ?? '');
  return !!m && m[1] === m[2] && Number(m[2]) > 0;
}

describe('editor and dashboard in Chromium (e2e)', function () {
  this.timeout(120_000);

  let tmp: string;
  let demo: DemoProcess;
  let context: BrowserContext;
  let editor: Page;
  const pageErrors: string[] = [];

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

  before(async function () {
    this.timeout(90_000);
    mkdirSync(ARTIFACTS, { recursive: true });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'orgbridge-e2e-'));
    // Chromium first: a missing browser should fail fast, before anything is started.
    context = await launchChromium(path.join(tmp, 'chromium-profile'));
    demo = await startDemo(path.join(tmp, 'demo'));
    editor = await context.newPage();
    editor.on('pageerror', (err) => pageErrors.push(`editor: ${err.message}`));
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && editor) {
      await shot(editor, `failed-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => undefined);
    }
  });

  after(async function () {
    this.timeout(30_000);
    await context?.close().catch(() => undefined);
    demo?.kill();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('npm start reports both demo connections connected', () => {
    expect(demo.ready.orgs.map((o) => [o.name, o.state])).to.deep.equal([
      ['hq', 'connected'],
      ['subsidiary', 'connected'],
    ]);
    expect(demo.ready.dashboardUrl).to.be.a('string');
  });

  it('loads the editor with no page errors, and the palette shows our nodes', async () => {
    await editor.goto(demo.ready.editorUrl);
    await editor.waitForFunction(
      () => {
        const RED = (globalThis as unknown as Partial<PageGlobals>).RED;
        return !!RED?.nodes?.getType?.('sf-health-check') && RED.nodes.filterNodes({ type: 'sf-health-check' }).length > 0;
      },
      undefined,
      { timeout: 30_000 },
    );
    const types = await editor.evaluate(() => {
      const RED = (globalThis as unknown as PageGlobals).RED;
      return { connection: !!RED.nodes.getType('sf-connection'), health: !!RED.nodes.getType('sf-health-check') };
    });
    expect(types).to.deep.equal({ connection: true, health: true });
    const category = editor.locator('#red-ui-palette-container-salesforce_sync');
    await category.waitFor({ state: 'visible' });
    expect(await category.locator('.red-ui-palette-header').innerText()).to.match(/salesforce sync/i);
    await category.locator('.red-ui-palette-node[data-palette-type="sf-health-check"]').waitFor({ state: 'visible' });
    await shot(editor, '01-editor');
    expect(pageErrors).to.deep.equal([]);
  });

  it('shows every health check of the deployed demo as available', async () => {
    await editor.waitForFunction(
      () => {
        const checks = (globalThis as unknown as PageGlobals).RED.nodes.filterNodes({ type: 'sf-health-check' });
        return checks.length > 0 && checks.every((n) => /^(\d+)\/\1 available$/.test(n.status?.text ?? ''));
      },
      undefined,
      { timeout: 30_000 },
    );
    const statuses = await editor.evaluate(() =>
      (globalThis as unknown as PageGlobals).RED.nodes.filterNodes({ type: 'sf-health-check' }).map((n) => n.status?.text),
    );
    expect(statuses).to.have.length(4);
    for (const s of statuses) expect(allAvailable(s), String(s)).to.equal(true);
    // The label on the canvas too, not just the editor's model.
    const labels = await editor.locator('.red-ui-flow-node-status-label').allTextContents();
    expect(labels.filter((l) => allAvailable(l.trim()))).to.have.length.greaterThan(0);
  });

  it('runs continuous and two-way sync in the demo: a change in either org arrives in the other, echoes dropped', async () => {
    const cdcStatuses = () => editor.evaluate(() =>
      (globalThis as unknown as PageGlobals).RED.nodes.filterNodes({ type: 'sf-cdc-in' }).map((n) => ({ id: n.id, z: n.z, text: n.status?.text ?? '' })));
    await editor.waitForFunction(
      () => {
        const nodes = (globalThis as unknown as PageGlobals).RED.nodes.filterNodes({ type: 'sf-cdc-in' });
        // Example 12's capture waits for its backfill, which the demo does not start by itself.
        const waiting = nodes.filter((n) => n.id === 'ex12-cdc');
        const live = nodes.filter((n) => n.id !== 'ex12-cdc');
        return live.length === 3 && live.every((n) => (n.status?.text ?? '').startsWith('listening')) &&
          waiting.length === 1 && (waiting[0]!.status?.text ?? '').startsWith("waiting for the backfill 'HQ history by month of CreatedDate' to start");
      },
      undefined,
      { timeout: 30_000 },
    );
    const control = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${demo.ready.loginUrl}/__emulator__${route}`, {
        method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
      });
      expect(res.ok, `${method} ${route}`).to.equal(true);
      return res.json() as Promise<unknown>;
    };
    const snapshot = async (org: string, object: string) => (await control('GET', `/orgs/${org}/snapshot/${object}`)) as Array<Record<string, unknown>>;
    const eventually = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
      for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
        const got = await probe();
        if (got !== undefined) return got;
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    const hqAccount = (await snapshot('hq', 'Account')).find((a) => a.Name === 'Altura EMEA')!;
    const seeded = (await control('POST', '/orgs/hq/seed', { object: 'Contact', records: [{ FirstName: 'Eve', LastName: 'Two-Way', AccountId: hqAccount.Id }] })) as { ids: string[] };
    const hqId = seeded.ids[0]!;
    const twin = await eventually('the HQ contact in the subsidiary', async () => (await snapshot('subsidiary', 'Contact')).find((c) => c.HQ_Id__c === hqId));
    await control('POST', '/orgs/subsidiary/edit', { object: 'Contact', records: [{ Id: twin.Id, Title: 'Edited in the subsidiary' }] });
    await eventually('the subsidiary change in HQ', async () => ((await snapshot('hq', 'Contact')).find((c) => c.Id === hqId)?.Title === 'Edited in the subsidiary' ? true : undefined));
    // The writes into each org came back as change events there, and were dropped.
    await editor.waitForFunction(
      () => ['ex10-cdc-hq', 'ex10-cdc-sub'].every((id) => /echoes dropped: [1-9]\d*$/.test((globalThis as unknown as PageGlobals).RED.nodes.node(id)?.status?.text ?? '')),
      undefined,
      { timeout: 15_000 },
    );
    const statuses = await cdcStatuses();
    const tab = statuses.find((n) => n.id === 'ex10-cdc-hq')!.z!;
    await editor.evaluate((z) => (globalThis as unknown as PageGlobals).RED.workspaces.show(z), tab);
    await editor.locator('.red-ui-flow-node-status-label', { hasText: 'echoes dropped' }).first().waitFor({ state: 'visible' });
    await shot(editor, '02c-two-way-sync');
    await editor.evaluate((z) => (globalThis as unknown as PageGlobals).RED.workspaces.show(z), statuses.find((n) => n.id === 'ex09-cdc')!.z!);
    await editor.locator('.red-ui-flow-node-status-label', { hasText: 'listening' }).first().waitFor({ state: 'visible' });
    await shot(editor, '02c-continuous-sync');

    // The change capture dialog, in words.
    await editor.evaluate(() => {
      const RED = (globalThis as unknown as PageGlobals).RED;
      RED.editor.edit(RED.nodes.node('ex10-cdc-sub')!);
    });
    const objects = editor.locator('#node-input-objects');
    await objects.waitFor({ state: 'visible' });
    expect(await objects.inputValue()).to.equal('Contact');
    expect(await editor.locator('#node-input-checkpointName').inputValue()).to.equal('two-way contacts');
    const labels = (await editor.locator('.red-ui-tray label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    expect(labels).to.include.members(['Objects', 'Fields', 'Condition', 'Checkpoint']);
    expect(labels.filter((l) => l.startsWith('sf-cdc-in.')), 'untranslated labels').to.deep.equal([]);
    expect(await editor.locator('#node-input-condition').getAttribute('placeholder')).to.contain('BillingCountry');
    await shot(editor, '02d-change-capture-dialog');
    await editor.locator('#node-dialog-cancel').click();
    await objects.waitFor({ state: 'detached' });
    expect(pageErrors).to.deep.equal([]);
  });

  it('shows the initial load\'s Bulk API settings in words: sf-bulk-query\'s threshold and resume, sf-upsert-out\'s threshold and hard deletes', async () => {
    const open = async (id: string) => {
      await editor.evaluate((nodeId) => {
        const RED = (globalThis as unknown as PageGlobals).RED;
        RED.editor.edit(RED.nodes.node(nodeId)!);
      }, id);
    };
    // The tray slides in: a screenshot before it has stopped shows it cut off at the right.
    const settled = () =>
      editor.waitForFunction(() => {
        const box = document.querySelector('#node-dialog-ok')?.getBoundingClientRect();
        const w = window as unknown as { lastTrayRight?: number };
        const still = box !== undefined && w.lastTrayRight === box.right;
        w.lastTrayRight = box?.right;
        return still && box.width > 0 && box.right <= window.innerWidth;
      }, undefined, { polling: 100 });
    const trayLabels = async () => (await editor.locator('.red-ui-tray label').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    const close = async (field: string) => {
      await editor.locator('#node-dialog-cancel').click();
      await editor.locator(field).waitFor({ state: 'detached' });
    };

    await open('ex11-read');
    await editor.locator('#node-input-threshold').waitFor({ state: 'visible' });
    expect(await editor.locator('#node-input-threshold').inputValue()).to.equal('10000');
    expect(await editor.locator('#node-input-resume').isChecked()).to.equal(true);
    expect(await editor.locator('#node-input-mode').inputValue()).to.equal('load');
    const readLabels = await trayLabels();
    expect(readLabels.filter((l) => l.startsWith('sf-bulk-query.')), 'untranslated labels').to.deep.equal([]);
    await settled();
    await shot(editor, '02e-bulk-query-dialog');
    await close('#node-input-threshold');

    await open('ex11-write');
    const threshold = editor.locator('#node-input-bulkThreshold');
    await threshold.waitFor({ state: 'visible' });
    expect(await threshold.inputValue()).to.equal('2000');
    const hard = editor.locator('#node-input-bulkHardDelete');
    expect(await hard.isChecked(), 'hard deletes are off unless asked for').to.equal(false);
    expect(await hard.isVisible()).to.equal(true);
    const writeLabels = await trayLabels();
    expect(writeLabels).to.include.members(['Bulk API from', 'Bulk API deletes skip the recycle bin (hardDelete)']);
    expect(writeLabels.filter((l) => l.startsWith('sf-upsert-out.')), 'untranslated labels').to.deep.equal([]);
    await settled();
    await shot(editor, '02f-upsert-out-dialog');
    await close('#node-input-bulkThreshold');
    expect(pageErrors).to.deep.equal([]);
  });

  it('tests the HQ connection from the sf-connection dialog', async () => {
    await editor.evaluate(() => (globalThis as unknown as PageGlobals).RED.editor.editConfig('', 'sf-connection', 'sf-conn-hq'));
    const button = editor.locator('#sf-connection-test');
    await button.waitFor({ state: 'visible' });
    await button.click();
    const result = editor.locator('#sf-connection-test-result');
    await editor.waitForFunction(
      () => /Connected to|Failed/.test(((globalThis as unknown as PageGlobals).document.querySelectorAll('#sf-connection-test-result')[0]?.textContent ?? '')),
      undefined,
      { timeout: 20_000 },
    );
    await shot(editor, '02-test-connection');
    const text = await result.innerText();
    const hq = demo.ready.orgs.find((o) => o.name === 'hq')!;
    expect(text).to.contain(`Connected to ${hq.displayName} (${hq.orgId})`);
    expect(await result.getAttribute('class')).to.contain('sf-ok');
    await editor.locator('#node-config-dialog-cancel').click();
    await button.waitFor({ state: 'detached' });
  });

  it('takes a JWT private key pasted into the connection dialog, repairing lost line breaks, and refuses what is no key', async () => {
    await editor.evaluate(() => (globalThis as unknown as PageGlobals).RED.editor.editConfig('', 'sf-connection', 'sf-conn-hq'));
    const keyText = editor.locator('#sf-connection-privateKey-text');
    await keyText.waitFor({ state: 'visible' });
    // The stored key is never shown back.
    expect(await keyText.inputValue()).to.equal('');
    expect(await editor.locator('#sf-connection-privateKey-hint').innerText()).to.match(/A key is stored/);
    const testAndRead = async () => {
      await editor.locator('#sf-connection-test').click();
      await editor.waitForFunction(
        () => /Connected to|Failed/.test(((globalThis as unknown as PageGlobals).document.querySelectorAll('#sf-connection-test-result')[0]?.textContent ?? '')),
        undefined,
        { timeout: 20_000 },
      );
      const text = await editor.locator('#sf-connection-test-result').innerText();
      // The next test waits for a fresh answer.
      await editor.evaluate(() => {
        const el = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } | null } }).document.getElementById('sf-connection-test-result');
        if (el) el.textContent = '';
      });
      return text;
    };

    await keyText.fill('my private key');
    expect(await editor.locator('#sf-connection-privateKey-hint').innerText()).to.match(/not a PEM private key/);
    const refused = await testAndRead();
    expect(refused).to.match(/^Failed: .*the private key is not a PEM key/);
    expect(refused).to.not.match(/DECODER|error:/);

    // Pasted as a chat message or a one-line field would leave it: every line break a space.
    const oneLine = demoJwtKeys().privateKey.replace(/\n/g, ' ');
    await keyText.fill(oneLine);
    expect(await editor.locator('#sf-connection-privateKey-hint').innerText()).to.match(/Looks like a PEM private key/);
    const hq = demo.ready.orgs.find((o) => o.name === 'hq')!;
    expect(await testAndRead()).to.contain(`Connected to ${hq.displayName} (${hq.orgId})`);
    await shot(editor, '02b-private-key');
    await editor.locator('#node-config-dialog-ok').click();
    await keyText.waitFor({ state: 'detached' });

    await editor.locator('#red-ui-header-button-deploy').click();
    await editor.locator('.red-ui-notification').filter({ hasText: 'Successfully deployed' }).first().waitFor({ state: 'visible', timeout: 20_000 });
    // The redeployed connection logs in with the key as pasted: the health checks come back available.
    await editor.waitForFunction(
      () => {
        const checks = (globalThis as unknown as PageGlobals).RED.nodes.filterNodes({ type: 'sf-health-check' });
        return checks.length > 0 && checks.every((n) => /^(\d+)\/\1 available$/.test(n.status?.text ?? ''));
      },
      undefined,
      { timeout: 45_000 },
    );
    expect(pageErrors).to.deep.equal([]);
  });

  it('shows both orgs as available on the dashboard', async () => {
    const dashboard = await context.newPage();
    dashboard.on('pageerror', (err) => pageErrors.push(`dashboard: ${err.message}`));
    await dashboard.goto(demo.ready.dashboardUrl!);
    const badges = dashboard.locator('.orgbridge-badge');
    await dashboard.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelectorAll('.orgbridge-badge').length >= 2, undefined, {
      timeout: 30_000,
    });
    const shown = await badges.evaluateAll((els) =>
      els.map((e) => ({ org: e.getAttribute('data-org'), status: e.getAttribute('data-status') })),
    );
    expect(shown.map((b) => b.org).sort()).to.deep.equal(['HQ', 'Subsidiary']);
    for (const b of shown) expect(b.status, `${b.org}`).to.equal('available');
    const rows = await dashboard.locator('table tbody tr').evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())),
    );
    expect(rows.map((r) => [r[0], r[1]]).sort()).to.deep.equal([
      ['HQ', 'available'],
      ['Subsidiary', 'available'],
    ]);
    await dashboard.locator('canvas').first().waitFor({ state: 'visible' });
    await shot(dashboard, '03-dashboard');
    await dashboard.close();
    expect(pageErrors).to.deep.equal([]);
  });

  it('imports every example from the library with no unknown node types, and deploys them', async () => {
    const names = exampleNames();
    expect(names).to.include.members(['01 Connect two orgs and watch availability', '02 Availability alerts', 'dashboard/Availability dashboard']);
    const before = await editor.evaluate(() => (globalThis as unknown as PageGlobals).RED.nodes.filterNodes({ type: 'sf-health-check' }).length);
    for (const name of names) {
      // Through the library API, as Import > Examples does: this also proves Node-RED found the examples.
      const url = `library/examples/flows/${PACKAGE}/${name.split('/').map(encodeURIComponent).join('/')}`;
      const outcome = await editor.evaluate(async (u) => {
        const g = globalThis as unknown as PageGlobals;
        const res = await g.fetch(u);
        if (!res.ok) return { error: `HTTP ${res.status}` };
        const flow = (await res.json()) as unknown[];
        g.RED.view.importNodes(flow, { generateIds: true, addFlow: true });
        const unknown: string[] = [];
        g.RED.nodes.eachNode((n) => void (n.type === 'unknown' && unknown.push(n.name ?? '?')));
        g.RED.nodes.eachConfig((n) => void (n.type === 'unknown' && unknown.push(n.name ?? '?')));
        const errors = Array.from(g.document.querySelectorAll('.red-ui-notification-error')).map((e) => e.textContent ?? '');
        return { count: flow.length, unknown, errors };
      }, url);
      expect(outcome, name).to.not.have.property('error');
      expect(outcome.count, name).to.be.greaterThan(0);
      expect(outcome.unknown, `${name}: unknown node types`).to.deep.equal([]);
      expect(outcome.errors, `${name}: import notifications`).to.deep.equal([]);
      // Imported nodes hang on the mouse until a click drops them, as they do for a user.
      await editor.locator('#red-ui-workspace-chart').click({ position: { x: 200, y: 200 } });
    }
    // Importing reuses the demo's connections and dashboard config nodes (same ids) instead of copying them.
    const configs = await editor.evaluate(() => {
      const list: string[] = [];
      (globalThis as unknown as PageGlobals).RED.nodes.eachConfig((n) => void list.push(n.type));
      return list;
    });
    expect(configs.filter((t) => t === 'sf-connection')).to.have.length(2);
    expect(configs.filter((t) => t === 'ui-base')).to.have.length(1);
    const after = await editor.evaluate(() => (globalThis as unknown as PageGlobals).RED.nodes.filterNodes({ type: 'sf-health-check' }).length);
    expect(after).to.equal(before * 2);

    // A second copy of a change-capture node on the same connection must have a checkpoint of its
    // own (two nodes moving one checkpoint are refused at deploy), as the node's help says.
    const renamed = await editor.evaluate(() => {
      const RED = (globalThis as unknown as PageGlobals).RED as PageGlobals['RED'] & { nodes: { dirty(d: boolean): void } };
      const copies = RED.nodes.filterNodes({ type: 'sf-cdc-in' }).filter((n) => !['ex09-cdc', 'ex10-cdc-hq', 'ex10-cdc-sub', 'ex12-cdc'].includes(n.id));
      for (const n of copies) Object.assign(n, { checkpointName: `imported copy of ${n.name}`, changed: true });
      RED.nodes.dirty(true);
      return copies.length;
    });
    expect(renamed, 'imported copies of sf-cdc-in').to.equal(4);
    await editor.locator('#red-ui-header-button-deploy').click();
    // Invalid or unknown nodes would raise a confirmation instead of deploying.
    const deployed = editor.locator('.red-ui-notification').filter({ hasText: 'Successfully deployed' });
    const warning = editor.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
    await Promise.race([deployed.first().waitFor({ state: 'visible', timeout: 20_000 }), warning.waitFor({ state: 'visible', timeout: 20_000 })]);
    if (await warning.isVisible()) {
      const text = await editor.locator('.red-ui-notification').last().innerText();
      throw new Error(`deploy asked for confirmation: ${text}`);
    }
    expect(await deployed.first().innerText()).to.not.match(/unused/i);
    await editor.waitForFunction(
      () => {
        const RED = (globalThis as unknown as PageGlobals).RED;
        const checks = RED.nodes.filterNodes({ type: 'sf-health-check' });
        const cdc = RED.nodes.filterNodes({ type: 'sf-cdc-in' });
        // Example 12's capture and its copy wait for the backfill; the others listen.
        // (No named functions in here: the page has not the bundler's helpers.)
        const texts = cdc.map((n) => n.status?.text ?? '');
        return checks.every((n) => /^(\d+)\/\1 available$/.test(n.status?.text ?? '')) && cdc.length === 8 &&
          texts.filter((t) => t.startsWith('waiting for the backfill')).length === 2 &&
          texts.filter((t) => !t.startsWith('waiting for the backfill')).every((t) => t.startsWith('listening'));
      },
      undefined,
      { timeout: 30_000 },
    );
    await shot(editor, '04-examples-deployed');
    expect(pageErrors).to.deep.equal([]);
  });

  it('keeps secrets out of the flows, the flow file and the log', async () => {
    const flows = await (await fetch(new URL('flows', demo.ready.editorUrl))).text();
    expect(flows).to.contain('sf-conn-hq');
    const keyBody = demoJwtKeys().privateKey.split('\n').filter((l) => l && !l.startsWith('-----'));
    const secrets = [
      ...keyBody.slice(0, 3),
      'PRIVATE KEY',
      ...Object.values(DEMO_CREDENTIALS).flatMap((c) => [c.clientSecret, c.admin.password, c.integration.password]),
    ];
    const onDisk = readFileSync(path.join(demo.ready.userDir, 'flows.json'), 'utf8');
    const credFile = readFileSync(path.join(demo.ready.userDir, 'flows_cred.json'), 'utf8');
    expect(JSON.parse(credFile)).to.have.property('$');
    for (const s of secrets) {
      expect(flows.includes(s), `GET /flows contains ${s.slice(0, 12)}…`).to.equal(false);
      expect(onDisk.includes(s), `flows.json contains ${s.slice(0, 12)}…`).to.equal(false);
      expect(credFile.includes(s), `flows_cred.json holds ${s.slice(0, 12)}… unencrypted`).to.equal(false);
      expect(demo.log().includes(s), `the log contains ${s.slice(0, 12)}…`).to.equal(false);
    }
  });

  it('stops cleanly on Ctrl-C', async () => {
    await context.close();
    const code = await demo.interrupt();
    expect(code, demo.log()).to.equal(0);
    const problems = demo.log().split('\n').filter((l) => /^\[node-red\] (error|fatal):|^\[emulator\]|^npm start:/.test(l));
    expect(problems, 'errors in the demo log').to.deep.equal([]);
  });
});
