import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { startDemo, type DemoProcess } from './demo-process.js';

for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete process.env[k];

const ARTIFACTS = path.resolve('.artifacts/e2e');
const NODE_ID = 'e2e-map-fields';
const P = '#sf-map-fields';

/** The bits of the editor's global RED these checks use; evaluated in the page. */
interface EditorRed {
  nodes: { node(id: string): { id: string; mapping: string; status?: { text?: string } } | undefined; getType(type: string): unknown };
  view: { importNodes(nodes: unknown[], options: Record<string, unknown>): void };
  editor: { edit(node: unknown): void };
  workspaces: { active(): string };
}
type G = { RED: EditorRed; document: { querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null; value?: string }> } };

describe('the sf-map-fields editor dialog in Chromium (e2e)', function () {
  this.timeout(120_000);
  let tmp: string;
  let demo: DemoProcess;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

  before(async function () {
    this.timeout(90_000);
    mkdirSync(ARTIFACTS, { recursive: true });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'orgbridge-e2e-mf-'));
    context = await launchChromium(path.join(tmp, 'chromium-profile'));
    demo = await startDemo(path.join(tmp, 'demo'));
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(demo.ready.editorUrl);
    await page.waitForFunction(() => !!(globalThis as unknown as Partial<G>).RED?.nodes?.getType?.('sf-map-fields'), undefined, { timeout: 30_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) await shot(`mf-failed-${this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 50)}`).catch(() => undefined);
  });

  after(async function () {
    this.timeout(30_000);
    await context?.close().catch(() => undefined);
    demo?.kill();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Values of a datalist's options. */
  const options = (list: string) =>
    page.evaluate((sel) => Array.from((globalThis as unknown as G).document.querySelectorAll(`${sel} option`)).map((o) => o.getAttribute('value') ?? ''), list);

  const openDialog = async () => {
    await page.evaluate((id) => {
      const RED = (globalThis as unknown as G).RED;
      RED.editor.edit(RED.nodes.node(id));
    }, NODE_ID);
    await page.locator(`${P}-source-object`).waitFor({ state: 'visible' });
  };

  it('picks the objects from both orgs, auto-maps fields, saves the document and shows it again on reopening', async () => {
    // A fresh mapper wired to the demo's two connections, as a user drops one from the palette.
    await page.evaluate((id) => {
      const RED = (globalThis as unknown as G).RED;
      RED.view.importNodes([{ id, type: 'sf-map-fields', name: 'e2e mapping', source: 'sf-conn-hq', target: 'sf-conn-subsidiary', mapping: '', template: '', x: 300, y: 500, z: RED.workspaces.active(), wires: [[], []] }], { generateIds: false });
    }, NODE_ID);
    await page.locator('#red-ui-workspace-chart').click({ position: { x: 300, y: 500 } });
    await openDialog();

    // Both pickers are filled from the orgs: the subsidiary has objects HQ lacks.
    await page.waitForFunction((sel) => (globalThis as unknown as G).document.querySelectorAll(`${sel} option`).length > 5, `${P}-dl-target-objects`, { timeout: 20_000 });
    await page.waitForFunction((sel) => (globalThis as unknown as G).document.querySelectorAll(`${sel} option`).length > 5, `${P}-dl-source-objects`, { timeout: 20_000 });
    const sourceObjects = await options(`${P}-dl-source-objects`);
    const targetObjects = await options(`${P}-dl-target-objects`);
    expect(sourceObjects).to.include.members(['Account', 'Contact', 'Opportunity']);
    expect(targetObjects).to.include('Engagement__c');
    expect(sourceObjects).to.not.include('Engagement__c');

    await page.locator(`${P}-doc-name`).fill('Account: e2e');
    await page.locator(`${P}-source-object`).fill('Account');
    await page.locator(`${P}-source-object`).dispatchEvent('change');
    await page.locator(`${P}-target-object`).fill('Account');
    await page.locator(`${P}-target-object`).dispatchEvent('change');
    // The target's external Id fields come from its describe.
    await page.waitForFunction((sel) => (globalThis as unknown as G).document.querySelectorAll(`${sel} option`).length > 0, `${P}-dl-target-extids`, { timeout: 20_000 });
    expect(await options(`${P}-dl-target-extids`)).to.include('HQ_Id__c');
    await page.locator(`${P}-match-field`).fill('HQ_Id__c');
    await shot('mf-01-objects');

    await page.locator('#red-ui-tab-sf-map-fields-tab-fields').click();
    await page.locator(`${P}-auto-map`).click();
    const rows = page.locator(`${P}-fields .sf-mf-field-row`);
    await page.waitForFunction(() => (globalThis as unknown as G).document.querySelectorAll('.sf-mf-field-row').length > 3, undefined, { timeout: 20_000 });
    const pairs = await rows.evaluateAll((els) =>
      els.map((e) => [(e.querySelector('.sf-mf-target') as HTMLInputElement | null)?.value ?? '', (e.querySelector('.sf-mf-source') as HTMLInputElement | null)?.value ?? '']),
    );
    expect(pairs).to.deep.include(['Name', 'Name']);
    expect(pairs.map(([t]) => t), 'the match field is not mapped twice').to.not.include('HQ_Id__c');
    await shot('mf-02-auto-mapped');

    await page.locator('#node-dialog-ok').click();
    await page.locator(`${P}-source-object`).waitFor({ state: 'detached' });
    const saved = await page.evaluate((id) => JSON.parse((globalThis as unknown as G).RED.nodes.node(id)!.mapping) as { format: string; name: string; source: { object: string }; target: { object: string }; match: { field: string }; fields: Array<{ target: string; source?: string }> }, NODE_ID);
    expect(saved).to.deep.include({ format: 'orgbridge-mapping/1', name: 'Account: e2e', source: { object: 'Account' }, target: { object: 'Account' } });
    expect(saved.match.field).to.equal('HQ_Id__c');
    expect(saved.fields).to.deep.include({ target: 'Name', source: 'Name' });
    expect(saved.fields).to.have.length(pairs.length);

    // Reopened, the dialog shows the saved document.
    await openDialog();
    expect(await page.locator(`${P}-source-object`).inputValue()).to.equal('Account');
    expect(await page.locator(`${P}-doc-name`).inputValue()).to.equal('Account: e2e');
    await page.locator('#red-ui-tab-sf-map-fields-tab-fields').click();
    await page.waitForFunction((n) => (globalThis as unknown as G).document.querySelectorAll('.sf-mf-field-row').length === n, pairs.length, { timeout: 10_000 });
    await shot('mf-03-reopened');
    await page.locator('#node-dialog-cancel').click();
    await page.locator(`${P}-source-object`).waitFor({ state: 'detached' });
    // Cancel after no change leaves the document as saved.
    const again = await page.evaluate((id) => (globalThis as unknown as G).RED.nodes.node(id)!.mapping, NODE_ID);
    expect(JSON.parse(again)).to.deep.equal(saved);
    expect(pageErrors).to.deep.equal([]);
  });
});
