import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { browserSkipReason, launchChromium } from '../../../helpers/browser.js';
import { PlaygroundProcess } from '../../../helpers/playground-process.js';

/** The README's screenshot of a finished deploy card. */
const SCREENSHOT = join(process.cwd(), 'docs/playground.png');
const skip = browserSkipReason();
/** Waits for things the bot does (steps of a few seconds each); never a claim about how long they take. */
const PATIENCE = { timeout: 90_000 };

/**
 * The README's tour in a real browser, as a newcomer does it: `npm start` with no token and no
 * apollo.yml (the built-in demo), the printed URL, the composer and the user picker.
 */
describe.skipIf(skip !== undefined)('the playground client: the tour', () => {
  let playground: PlaygroundProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    playground = await PlaygroundProcess.start();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await page.goto(playground.url);
    await page.locator('body[data-ready="true"]').waitFor();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await playground?.stop();
  });

  const people: Record<string, string> = { alice: 'U0ALICE', bob: 'U0BOB', carol: 'U0CAROL', dave: 'U0DAVE' };
  const actAs = (name: string) => page.getByLabel('User', { exact: true }).selectOption(people[name]!);
  const type = async (text: string) => {
    await page.getByLabel('Message', { exact: true }).fill(text);
    await page.getByLabel('Message', { exact: true }).press('Enter');
  };
  const card = (): Locator => page.locator('#messages .msg').filter({ has: page.locator('.sk-header', { hasText: /Deploy .* sim-east, sim-west/ }) });

  it('starts from the URL it prints', async () => {
    expect(playground.output()).toContain(`open ${playground.url} and type /apollo deploy all HEAD`);
    await expect.poll(() => page.title()).toBe('apollo playground');
  });

  it('answers a mistyped command privately, to the one who typed it', async () => {
    await actAs('dave');
    await type('/apollo deplyo all main');
    const reply = page.locator('#messages .msg.ephemeral').last();
    await reply.waitFor(PATIENCE);
    await expect.poll(() => reply.innerText()).toMatch(/Only visible to you[\s\S]*(deplyo|Usage|usage|help)/);
    await type('/apolo help');
    await expect.poll(() => page.locator('#messages .msg.ephemeral').last().innerText()).toMatch(/\/apolo.*is not a valid command/);
    // alice sees none of dave's private answers.
    await actAs('alice');
    await expect.poll(() => page.locator('#messages .msg.ephemeral').count()).toBe(0);
  });

  it('deploys, refuses a self-approval, approves, ticks live, shows the failure thread and a log, and destroys', async () => {
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await actAs('alice');
    await type('/apollo deploy all HEAD');
    await card().waitFor(PATIENCE);
    const approve = card().getByRole('button', { name: 'Approve' });
    await approve.waitFor();
    expect(await card().getByRole('button', { name: 'Reject' }).count()).toBe(1);

    // alice may approve, but never her own deploy.
    await approve.click();
    const refusal = page.locator('#messages .msg.ephemeral', { hasText: 'own deploy' });
    await refusal.waitFor(PATIENCE);
    expect(await refusal.innerText()).toContain('Only visible to you');

    // bob approves; the card changes in place while the clouds work, with no reload.
    await actAs('bob');
    await expect.poll(() => page.locator('#messages .msg.ephemeral').count()).toBe(0);
    await card().getByRole('button', { name: 'Approve' }).click();
    await card().filter({ hasText: /Approved by @bob/ }).waitFor(PATIENCE);
    await card().filter({ hasText: /🔄|⏳|running/ }).waitFor(PATIENCE);
    await card().getByRole('button', { name: 'Destroy' }).waitFor(PATIENCE);
    const finished = await card().innerText();
    expect(finished).toMatch(/✅ sim-east passed/);
    expect(finished).toMatch(/❌ sim-west failed/);
    expect(finished).toMatch(/integration: 3\/4 passed, 1 failed/);
    expect(finished).toContain('(edited)');
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The README's picture: a finished deploy card, with its failure.
    await card().screenshot({ path: SCREENSHOT });

    // The failure's thread.
    await card().getByRole('button', { name: /repl(y|ies)/ }).click();
    const thread = page.locator('#thread');
    await thread.locator('.msg', { hasText: /sim-west · integration[\s\S]*test_checkout_latency_within_200ms/ }).waitFor(PATIENCE);

    // A log, uploaded into the thread, downloaded.
    await card().getByRole('button', { name: 'Logs: sim-west' }).click();
    const download = thread.getByRole('link', { name: 'Download' }).first();
    await download.waitFor(PATIENCE);
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    const log = await readFile((await file.path())!, 'utf8');
    expect(log).toContain('expected checkout latency <= 200 ms, measured 260 ms on sim-west');

    // Destroy opens a modal: the clouds it destroys, and their names typed to confirm.
    await card().getByRole('button', { name: 'Destroy' }).click();
    const dialog = page.locator('dialog#modal');
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/sim-east[\s\S]*sim-west[\s\S]*cannot be undone/);
    await dialog.locator('input').fill('sim-west');
    await dialog.getByRole('button', { name: 'Destroy' }).click();
    await dialog.getByText('type sim-east, sim-west').waitFor(PATIENCE);
    await dialog.locator('input').fill('sim-east, sim-west');
    await dialog.getByRole('button', { name: 'Destroy' }).click();
    await card().filter({ hasText: /Destroy requested by @bob .*: destroyed/ }).waitFor(PATIENCE);
    const final = await card().innerText();
    // Both clouds' teardown rows, under the destroy line.
    expect(final).toMatch(/Destroy requested by @bob[^\n]*destroyed\n✅ sim-east passed[^\n]*\n✅ sim-west passed/);
    await expect.poll(() => card().getByRole('button', { name: 'Destroy', exact: true }).count()).toBe(0);
    expect(await card().getByRole('button', { name: 'Redeploy', exact: true }).count()).toBe(1);
  });

  it('opens the App Home as alice and asks for a deploy with its form: a cloud ticked, a commit typed', async () => {
    await actAs('alice');
    await page.getByRole('button', { name: /Home/ }).click();
    const home = page.locator('#home');
    await home.getByRole('button', { name: 'Request a deploy' }).waitFor(PATIENCE);
    expect(await home.innerText()).toMatch(/Clouds[\s\S]*sim-east[\s\S]*sim-west/);
    expect(await page.locator('#messages').isHidden()).toBe(true);

    await home.getByRole('button', { name: 'Request a deploy' }).click();
    const dialog = page.locator('dialog#modal');
    await dialog.getByRole('heading', { name: 'Request a deploy' }).waitFor(PATIENCE);
    const east = dialog.getByLabel('sim-east', { exact: true });
    expect(await east.getAttribute('type')).toBe('checkbox');
    expect(await east.isChecked()).toBe(false);
    await east.check();
    await dialog.getByLabel('Commit, branch or tag').fill('HEAD');
    await dialog.getByRole('button', { name: 'Request', exact: true }).click();

    await page.getByRole('button', { name: '# playground' }).click();
    const asked = page.locator('#messages .msg').filter({ has: page.getByRole('button', { name: 'Approve' }) });
    await asked.waitFor(PATIENCE);
    const text = await asked.innerText();
    expect(text).toMatch(/sim-east/);
    expect(text).not.toMatch(/sim-west/);
    expect(text).toMatch(/@alice/);
  });
});
