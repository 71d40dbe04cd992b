import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { isConfiguredRepository, normalizeRemote } from '../../../src/webhooks/github/repo-match.js';
import { fixture } from '../webhook-client.js';

describe('repository matching', () => {
  it('writes every spelling of a GitHub remote the same way', () => {
    const spellings = [
      'https://github.com/Capgemini/Apollo.git',
      'https://github.com/Capgemini/Apollo',
      'https://github.com/capgemini/apollo/',
      'http://user@github.com/Capgemini/Apollo.git',
      'git@github.com:Capgemini/Apollo.git',
      'github.com:Capgemini/Apollo',
      'ssh://git@github.com/Capgemini/Apollo.git',
      'ssh://git@github.com:22/Capgemini/Apollo/',
      'git://github.com/Capgemini/Apollo.git',
    ];
    for (const spelling of spellings) expect([spelling, normalizeRemote(spelling)]).toEqual([spelling, 'github.com/capgemini/apollo']);
    expect(normalizeRemote('/srv/git/apollo.git/')).toBe('/srv/git/apollo');
    expect(normalizeRemote('file:///srv/git/apollo.git')).toBe('/srv/git/apollo');
    expect(normalizeRemote('https://github.com/Capgemini/Apollo-old.git')).not.toBe('github.com/capgemini/apollo');
  });

  it('matches the configured repository against the payload’s URLs', () => {
    const repo = fixture('push.json').repository;
    const config = (repository: string, autoBuild: Record<string, unknown> = {}) =>
      parseConfig({ repository, build: { steps: [{ name: 'noop', run: 'true' }] }, notifications: { autoBuild } }, 'test');
    expect(isConfiguredRepository(config('https://github.com/Capgemini/Apollo.git'), repo)).toBe(true);
    expect(isConfiguredRepository(config('git@github.com:capgemini/apollo.git'), repo)).toBe(true);
    expect(isConfiguredRepository(config('https://github.com/Capgemini/Apollo-fork.git'), repo)).toBe(false);
    expect(isConfiguredRepository(config('https://gitlab.com/Capgemini/Apollo.git'), repo)).toBe(false);
    // A local mirror says which GitHub repository it is.
    expect(isConfiguredRepository(config('/srv/mirrors/apollo'), repo)).toBe(false);
    expect(isConfiguredRepository(config('/srv/mirrors/apollo', { repository: 'capgemini/APOLLO' }), repo)).toBe(true);
    expect(isConfiguredRepository(config('https://github.com/Capgemini/Apollo.git', { repository: 'Capgemini/other' }), repo)).toBe(false);
  });
});
