// `npm run build`: the production build. esbuild bundles src/main.ts, with the code of its
// dependencies, into minified ES modules under dist/ (entry point: dist/main.js). The web and worker
// halves are separate chunks, loaded by main.js's dynamic imports, so each process parses only its
// own half. Fewer, smaller modules are what keeps each process's memory low: a process holds the
// source text and metadata of every module it loads (docs/performance.md).
//
// Files read at run time beside the code (the playground's page, the demo repository) are copied
// to the same place under dist/ as under src/ (see src/asset-path.ts). Type checking is
// `npm run typecheck` (tsc); esbuild only strips the types.
//
// With --if-stale it does nothing when dist/ is newer than every source file (`npm start` runs it
// that way first). --out <dir> builds somewhere else (tests build their own copy).
import { build } from 'esbuild';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const outArg = process.argv.indexOf('--out');
const OUT = outArg > 0 ? process.argv[outArg + 1] : 'dist';
const STAMP = join(OUT, '.built');
const SOURCES = ['src', 'commands', 'views', 'package-lock.json', 'scripts/build.mjs'];
/** Read at run time, not imported: copied from src/<path> to <OUT>/<path>. */
const ASSETS = ['slack/playground/client/public', 'slack/playground/demo/repo'];

/**
 * Loaded at run time from node_modules, never bundled: a native addon (msgpackr's optional
 * accelerator) and the terminal log formatter, which only a person's terminal loads (src/logger.ts).
 */
const EXTERNAL = ['msgpackr-extract', 'pino-pretty'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(STAMP)) {
  const built = statSync(STAMP).mtimeMs;
  if (SOURCES.every((source) => newestMtime(source) <= built)) process.exit(0);
}

const started = Date.now();
rmSync(OUT, { recursive: true, force: true });
try {
  await build({
    entryPoints: { main: 'src/main.ts' },
    outdir: OUT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    // Class and function names stay: errors, logs and stack traces name them.
    keepNames: true,
    sourcemap: 'linked',
    external: EXTERNAL,
    // Bundled CommonJS dependencies still call require() for node's own modules.
    banner: { js: "import { createRequire as __apolloRequire } from 'node:module'; const require = __apolloRequire(import.meta.url);" },
    logLevel: 'warning',
    legalComments: 'none',
  });
} catch {
  console.error('apollo: the build failed (esbuild); `npm run typecheck` shows type errors');
  process.exit(1);
}
for (const asset of ASSETS) cpSync(join('src', asset), join(OUT, asset), { recursive: true });
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
console.error(`apollo: built ${OUT}/ in ${((Date.now() - started) / 1000).toFixed(1)}s (node ${OUT}/main.js [all|web|worker])`);
