// Builds the package: the emulator (CommonJS, with its `s2s-emulator` command), the suite's shared
// runtime (lib/ and nodes/shared/, one CommonJS module per source file), and every Node-RED node
// found under nodes/<type>/ (runtime CommonJS + editor IIFE inlined into <type>.html, with icons and
// locales copied beside them, where Node-RED's loader looks for them).
//
// The node files do not carry their own copies of lib/: every import of lib/ or nodes/shared/ is left
// as a require() of the shared module, so Node.js loads each once per process whatever the number of
// node types. A class (an error, the ledger registry, a cache keyed by connection) is then the same
// class in every node; bundling lib/ into each node file would give each node a private copy.
import { build } from 'esbuild';
import { cp, mkdir, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(root, 'dist');
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', sourcemap: 'linked', logLevel: 'warning' };

/** Source folders whose modules form the shared runtime, and where each lands in dist/. */
const SHARED = [
  { src: path.join(root, 'lib'), out: path.join(dist, 'lib') },
  // Browser code of the editors (nodes/shared/editor/) is bundled into each editor instead.
  { src: path.join(root, 'nodes', 'shared'), out: path.join(dist, 'nodes', 'shared'), skip: (rel) => rel.startsWith(`editor${path.sep}`) },
];

/** Where a help page wants the envelope described (see lib/sync/envelope-doc.ts). */
const SYNC_MESSAGE_MARK = '<!-- sync-message -->';

/** The envelope section of the help pages, from the schema itself (the shared runtime is built first). */
function syncMessageHelp() {
  const docModule = path.join(dist, 'lib', 'sync', 'envelope-doc.js');
  // Node caches the module: every help page gets the same text from one load.
  return createRequire(import.meta.url)(docModule).envelopeMarkdown();
}

async function sourceFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(file)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(file);
  }
  return out;
}

/** lib/ and nodes/shared/ compiled file by file: each module once in dist/, required by whoever needs it. */
async function buildShared() {
  for (const { src, out, skip } of SHARED) {
    const files = (await sourceFiles(src)).filter((f) => !skip?.(path.relative(src, f)));
    await build({ entryPoints: files, outdir: out, outbase: src, bundle: false, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'linked', logLevel: 'warning' });
  }
}

/** Where a source file of the shared runtime is found in dist/, or undefined for any other file. */
function sharedOutput(file) {
  for (const { src, out, skip } of SHARED) {
    const rel = path.relative(src, file);
    if (rel.startsWith('..') || path.isAbsolute(rel) || skip?.(rel)) continue;
    return path.join(out, rel.replace(/\.ts$/, '.js'));
  }
  return undefined;
}

/** Resolves imports of the shared runtime from a node's bundle to a require() of its module in dist/. */
function sharedRuntime(outDir) {
  return {
    name: 'shared-runtime',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const file = path.resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
        const target = sharedOutput(file);
        if (!target) return undefined;
        const rel = path.relative(outDir, target).split(path.sep).join('/');
        return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
      });
    },
  };
}

async function buildEmulator() {
  const out = path.join(dist, 'emulator');
  await build({ ...common, entryPoints: { index: 'emulator/index.ts' }, outdir: out });
  // The command requires the entry above instead of carrying a second copy of the emulator.
  const entryExternal = {
    name: 'emulator-entry',
    setup(b) {
      b.onResolve({ filter: /^\.\/index\.js$/ }, () => ({ path: './index.js', external: true }));
    },
  };
  await build({ ...common, entryPoints: { cli: 'emulator/cli.ts' }, outdir: out, plugins: [entryExternal] });
  await chmod(path.join(out, 'cli.js'), 0o755);
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
    plugins: [sharedRuntime(out)],
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
  const help = (existsSync(helpFile) ? await readFile(helpFile, 'utf8') : '').replace(SYNC_MESSAGE_MARK, () => syncMessageHelp());
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
  await writeLocales(type, dir, out);
}

/**
 * Node-RED reads one message catalog per node file (`locales/<lang>/<type>.json`), in the runtime
 * and in the editor alike, so keys shared by every node (connection states, common errors: `s2s.*`
 * in nodes/shared/locales) are merged into each node's catalog here.
 */
async function writeLocales(type, dir, out) {
  const own = path.join(dir, 'locales');
  const shared = path.join(root, 'nodes', 'shared', 'locales');
  const langs = new Set([...(existsSync(own) ? await readdir(own) : []), ...(existsSync(shared) ? await readdir(shared) : [])]);
  for (const lang of langs) {
    const file = path.join(own, lang, `${type}.json`);
    const catalog = existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : {};
    const sharedFile = path.join(shared, lang, 'shared.json');
    const common = existsSync(sharedFile) ? JSON.parse(await readFile(sharedFile, 'utf8')) : {};
    for (const key of Object.keys(common)) {
      if (key in catalog) throw new Error(`${file}: "${key}" is the shared catalog's; choose another key`);
    }
    await mkdir(path.join(out, 'locales', lang), { recursive: true });
    await writeFile(path.join(out, 'locales', lang, `${type}.json`), `${JSON.stringify({ ...catalog, ...common }, null, 2)}\n`);
  }
}

async function main() {
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });
  await buildEmulator();
  await buildShared();
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
