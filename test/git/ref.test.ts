import { describe, expect, it } from 'vitest';
import { GitRef, refNameProblem } from '../../src/git/ref.js';

describe('refs accepted by /apollo build', () => {
  it.each(['4d124eb', '4D124EB', '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9', 'main', 'release/1.2', 'feature/x-y_z', 'v0.2.10'])('accepts %s', (ref) => {
    expect(GitRef.safeParse(ref).success).toBe(true);
  });

  it.each([
    ['', 'is empty'],
    ['a b', 'contains a space'],
    ['main;rm', 'shell metacharacter'],
    ['$(id)', 'shell metacharacter'],
    ['`id`', 'shell metacharacter'],
    ['a|b', 'shell metacharacter'],
    ['-x', 'starts with -'],
    ['a..b', 'contains ..'],
    ['a//b', 'contains //'],
    ['/a', 'starts or ends with /'],
    ['a/', 'starts or ends with /'],
    ['a.', 'ends with .'],
    ['.hidden', 'component starting with .'],
    ['x/.y', 'component starting with .'],
    ['a.lock', '.lock'],
    ['a@{1}', '@{'],
    ['@', 'is @'],
    ['a~1', '~ ^'],
    ['a^', '~ ^'],
    ['a:b', '~ ^'],
    ['a\\b', '~ ^'],
    ['a\u0001b', 'control character'],
    ['x'.repeat(201), 'longer than'],
  ])('refuses %j (%s)', (ref, why) => {
    expect(refNameProblem(ref)).toContain(why);
    expect(GitRef.safeParse(ref).success).toBe(false);
  });

  it('takes 7 to 40 hex digits as a SHA, shorter hex as a name', () => {
    expect(refNameProblem('abc123')).toBeUndefined(); // a valid branch name, resolved as such
    expect(GitRef.safeParse('a'.repeat(41)).success).toBe(true); // valid as a branch name
  });
});
