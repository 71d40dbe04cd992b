import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (CI installs it with apt-get), or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/**
 * Whether browser tests can run here. Under CI (which installs chromium) a missing browser is a
 * failure, not a skip; elsewhere the tests skip and say why.
 */
export function browserSkipReason(): string | undefined {
  if (CHROMIUM) return undefined;
  if (process.env.CI === 'true') throw new Error('chromium is not installed, and CI installs it (.ci/run): the browser tests must run');
  const reason = 'chromium not found (apt-get install chromium, or set CHROMIUM_PATH): browser tests SKIPPED';
  console.warn(reason);
  return reason;
}

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: tests run as root, where chromium's own sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
