import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { chooseRoute, passesFilter } from '../../src/notifications/routing.js';

const config = parseConfig(
  {
    repository: 'https://github.com/Capgemini/Apollo.git',
    channel: 'C0DEFAULT',
    build: { steps: [{ name: 'noop', run: 'true' }] },
    notifications: {
      routes: [
        { channel: 'C0RELEASE', repos: ['Capgemini/Apollo'], branches: ['release-1', 'release-2'] },
        { channel: 'C0CHECKS', events: ['check_suite'] },
        { channel: 'C0QUIET', repos: ['Capgemini/quiet'], onlyFailures: true },
        { channel: 'C0NEVER', repos: ['Capgemini/quiet'] },
      ],
    },
  },
  'test',
);

describe('notification routing', () => {
  it('takes the first route whose repos, branches and events all match', () => {
    expect(chooseRoute(config, { event: 'workflow_run', repo: 'capgemini/apollo', branch: 'release-2' })).toEqual({ channel: 'C0RELEASE', onlyFailures: false, route: 0 });
    expect(chooseRoute(config, { event: 'check_suite', repo: 'Capgemini/Apollo', branch: 'release-1' })).toMatchObject({ channel: 'C0RELEASE' });
    expect(chooseRoute(config, { event: 'check_suite', repo: 'Capgemini/Apollo', branch: 'master' })).toMatchObject({ channel: 'C0CHECKS' });
    expect(chooseRoute(config, { event: 'ci', repo: 'Capgemini/quiet', branch: 'master' })).toEqual({ channel: 'C0QUIET', onlyFailures: true, route: 2 });
  });

  it('falls back to the top-level channel, and to nothing without one', () => {
    expect(chooseRoute(config, { event: 'ci', repo: 'Capgemini/Apollo', branch: 'master' })).toEqual({ channel: 'C0DEFAULT', onlyFailures: false });
    // A route naming branches does not take an event without a branch.
    expect(chooseRoute(config, { event: 'ci', repo: 'Capgemini/Apollo' })).toMatchObject({ channel: 'C0DEFAULT' });
    const { channel: _channel, ...noChannel } = config;
    expect(chooseRoute({ ...noChannel, notifications: { ...config.notifications, routes: [] } }, { event: 'ci', repo: 'x/y' })).toBeUndefined();
  });

  it('lets only failures and recoveries through an onlyFailures route', () => {
    const quiet = { channel: 'C0QUIET', onlyFailures: true };
    expect(passesFilter(quiet, { status: 'failed' })).toBe(true);
    expect(passesFilter(quiet, { status: 'passed', transition: 'fixed' })).toBe(true);
    expect(passesFilter(quiet, { status: 'passed' })).toBe(false);
    expect(passesFilter(quiet, { status: 'running' })).toBe(false);
    expect(passesFilter(quiet, { status: 'canceled' })).toBe(false);
    expect(passesFilter({ channel: 'C0', onlyFailures: false }, { status: 'queued' })).toBe(true);
  });
});
