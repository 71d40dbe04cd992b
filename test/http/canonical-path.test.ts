import { describe, expect, it } from 'vitest';
import { canonicalTarget } from '../../src/http/canonical-path.js';

describe('canonicalTarget', () => {
  it('gives every spelling of a path the one the routes are registered with', () => {
    const spellings = [
      '/slack/events',
      '/slack/events/',
      '//slack/events',
      '/slack//events',
      '/SLACK/Events',
      '/slack/./events',
      '/slack/x/../events',
      '/../slack/events',
      '/slack/%65vents',
      '/slack%2Fevents',
      '/slack/%2e/events',
      '/slack\\events',
      '/slack/events#fragment',
      'http://evil.example/slack/events',
    ];
    for (const spelling of spellings) expect(canonicalTarget(spelling), spelling).toMatchObject({ path: '/slack/events', search: '' });
  });

  it('keeps the query string as sent', () => {
    expect(canonicalTarget('/webhooks/github/?a=%2F&b')).toMatchObject({ path: '/webhooks/github', search: '?a=%2F&b' });
  });

  it('keeps the case as sent beside the routed path, resolved the same way', () => {
    expect(canonicalTarget('//Admin/queues/./static/locales/en-US/../en-GB/messages.json?x')).toEqual({
      path: '/admin/queues/static/locales/en-gb/messages.json',
      casedPath: '/Admin/queues/static/locales/en-GB/messages.json',
      search: '?x',
    });
  });

  it('maps the root and anything climbing above it to /', () => {
    for (const target of ['/', '', '/..', '/./../..', '//']) expect(canonicalTarget(target)?.path, target).toBe('/');
  });

  it('refuses what cannot be decoded or would be decoded differently further on', () => {
    for (const target of ['/slack/%zz', '/slack/%', '/slack/%2565vents', '/slack/events%3Fx', '/slack/events%23', '/slack/ev%09ents', '/slack/events%00', '/a%0d%0ab']) {
      expect(canonicalTarget(target), target).toBeUndefined();
    }
  });

  it('is what the URL parser Bolt routes with reads back', () => {
    for (const target of ['/a b/ü', '/"quoted"/<x>', '/slack/events']) {
      const path = canonicalTarget(target)!.path;
      expect(new URL(path, 'http://localhost').pathname).toBe(path);
    }
  });
});
