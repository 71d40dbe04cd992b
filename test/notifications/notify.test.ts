import { describe, expect, it } from 'vitest';
import type { Notification, Transition } from '../../src/notifications/notification.js';
import { recordNotification, type NotifyDeps } from '../../src/notifications/notify.js';
import type { RouteChoice } from '../../src/notifications/routing.js';

function run(status: Notification['status'], extra: Partial<Notification> = {}): Notification {
  return {
    source: 'ci',
    repo: 'Capgemini/Apollo',
    pipeline: 'serverspec',
    runId: 'r1',
    attempt: 1,
    status,
    branch: 'master',
    sha: '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9',
    links: {},
    ...extra,
  };
}

/** A store that answers with `version` and says whether the run already has a message. */
function deps(version: number, options: { posted?: boolean; transition?: Transition } = {}) {
  const recorded: Notification[] = [];
  const fake: NotifyDeps = {
    store: {
      record: async (n) => {
        recorded.push(n);
        return version;
      },
      message: async () => (options.posted ? { channel: 'C0QUIET', ts: '1.0' } : undefined),
    },
    transitions: { observe: async () => options.transition },
  };
  return { fake, recorded };
}

const everything: RouteChoice = { channel: 'C0ALL', onlyFailures: false };
const onlyFailures: RouteChoice = { channel: 'C0QUIET', onlyFailures: true };

describe('recordNotification', () => {
  it('records the state with its transition and accepts it', async () => {
    const { fake, recorded } = deps(2, { transition: 'broken' });
    const notified = await recordNotification(fake, run('failed'), everything);
    expect(notified).toEqual({ result: 'accepted', state: { ...run('failed'), transition: 'broken' } });
    expect(recorded).toEqual([{ ...run('failed'), transition: 'broken' }]);
  });

  it('is stale when the store has a later state of the run', async () => {
    expect(await recordNotification(deps(0).fake, run('running'), everything)).toEqual({ result: 'stale' });
  });

  it('filters what the route does not take, until the run has a message', async () => {
    expect(await recordNotification(deps(1).fake, run('running'), onlyFailures)).toEqual({ result: 'filtered' });
    expect(await recordNotification(deps(1).fake, run('failed'), onlyFailures)).toMatchObject({ result: 'accepted' });
    expect(await recordNotification(deps(3, { transition: 'fixed' }).fake, run('passed'), onlyFailures)).toMatchObject({ result: 'accepted' });
    // Its message keeps being edited: it must not freeze on an old state.
    expect(await recordNotification(deps(2, { posted: true }).fake, run('passed'), onlyFailures)).toMatchObject({ result: 'accepted' });
  });
});
