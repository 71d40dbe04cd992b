// `npm run build`: the production build. tsc turns src/, commands/ and views/ into plain JavaScript
// under dist/ (entry point: dist/src/main.js), and the few files read at run time beside the code
// (the playground's page, the demo repository) are copied next to it. With --if-stale it does
// nothing when dist/ is newer than every source file (`npm start` runs it that way first).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OUT = 'dist';
const STAMP = join(OUT, '.built');
const SOURCES = ['src', 'commands', 'views', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const ASSETS = ['src/slack/playground/client/public', 'src/slack/playground/demo/repo'];

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
rmSync(STAMP, { force: true });
const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('apollo: the build failed (tsc); `npm run typecheck` shows the same errors');
  process.exit(tsc.status ?? 1);
}
for (const asset of ASSETS) {
  rmSync(join(OUT, asset), { recursive: true, force: true });
  cpSync(asset, join(OUT, asset), { recursive: true });
}
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
console.error(`apollo: built ${OUT}/ in ${((Date.now() - started) / 1000).toFixed(1)}s (node ${OUT}/src/main.js [all|web|worker])`);
