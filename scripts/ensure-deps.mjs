// Runs before `npm start` and `npm test`: on a fresh checkout, installs the locked dependencies
// so that the README's two quick-start commands work as they are.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

if (!existsSync('node_modules/.package-lock.json')) {
  console.error('apollo: installing dependencies (npm ci)…');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
