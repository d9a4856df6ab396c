// Builds the package: the emulator (CommonJS, with its `s2s-emulator` command) and every Node-RED
// node found under nodes/<type>/ (runtime CommonJS + editor IIFE inlined into <type>.html, with
// icons and locales copied beside them, where Node-RED's loader looks for them).
import { build } from 'esbuild';
import { cp, mkdir, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(root, 'dist');
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', sourcemap: 'linked', logLevel: 'warning' };

async function buildEmulator() {
  await build({
    ...common,
    entryPoints: { index: 'emulator/index.ts', cli: 'emulator/cli.ts' },
    outdir: path.join(dist, 'emulator'),
  });
  await chmod(path.join(dist, 'emulator', 'cli.js'), 0o755);
  // The demo connected apps' JWT key pair (test fixtures) is read at run time from beside the bundle.
  await cp(path.join(root, 'emulator', 'data', 'keys'), path.join(dist, 'emulator', 'keys'), { recursive: true });
}

async function buildNode(type) {
  const dir = path.join(root, 'nodes', type);
  const out = path.join(dist, 'nodes');
  await build({
    ...common,
    entryPoints: [path.join(dir, `${type}.ts`)],
    outfile: path.join(out, `${type}.js`),
    // node-red-node-test-helper calls the module itself, so export the initialiser, not {default}.
    footer: { js: 'if (module.exports && module.exports.default) { module.exports = module.exports.default; }' },
  });
  const editor = await build({
    entryPoints: [path.join(dir, 'editor.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2019',
    minify: false,
    write: false,
    logLevel: 'warning',
  });
  const template = await readFile(path.join(dir, 'template.html'), 'utf8');
  const helpFile = path.join(dir, 'help.html');
  const help = existsSync(helpFile) ? await readFile(helpFile, 'utf8') : '';
  const html = [
    '<script type="text/javascript">',
    editor.outputFiles[0].text.trim(),
    '</script>',
    '',
    template.trim(),
    '',
    help.trim(),
    '',
  ].join('\n');
  await writeFile(path.join(out, `${type}.html`), html);
  const locales = path.join(dir, 'locales');
  if (existsSync(locales)) await cp(locales, path.join(out, 'locales'), { recursive: true });
}

async function main() {
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });
  await buildEmulator();
  const nodesDir = path.join(root, 'nodes');
  const types = existsSync(nodesDir)
    ? (await readdir(nodesDir)).filter((d) => existsSync(path.join(nodesDir, d, `${d}.ts`)))
    : [];
  for (const type of types) await buildNode(type);
  if (existsSync(path.join(root, 'icons'))) await cp(path.join(root, 'icons'), path.join(dist, 'nodes', 'icons'), { recursive: true });
  const summary = types.length ? `${types.length} nodes (${types.join(', ')})` : 'no nodes yet';
  console.log(`built dist/emulator and ${summary}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
