import type { LimitReached } from '../src/access/user-limits.js';
import type { Refusal } from '../src/access/requester-policy.js';

/** What a refused person reads (ephemeral): the rule, never who else may do it. */
export function refusalText(refusal: Refusal): string {
  switch (refusal.kind) {
    case 'foreign_team':
      return ':no_entry: This bot only takes requests from its own workspace (`access.teams`); nothing changed.';
    case 'external_user':
      return ':no_entry: People from other organisations (Slack Connect) cannot run builds, deploys or locks here; nothing changed.';
    case 'guest':
      return ':no_entry: Guests can read status, locks and history, but cannot run builds, deploys or locks; nothing changed.';
    case 'direct_message':
      return ':no_entry: Builds, deploys, cancels and locks happen in a channel, where the team sees them. In a DM I answer `help`, `status`, `locks` and `history`.';
    case 'unverifiable':
      return ':warning: I could not verify who you are with Slack just now; nothing changed. Try again in a minute.';
  }
}

export function limitText(limit: LimitReached): string {
  switch (limit.kind) {
    case 'queued_runs':
      return `:no_entry: You have ${limit.runIds.length} runs queued, running or waiting for approval (${limit.runIds.map((r) => `\`${r}\``).join(', ')}); the limit is ${limit.limit} (\`access.limits.queuedRunsPerUser\`). Wait for one to finish, or cancel one.`;
    case 'lock_changes':
      return `:no_entry: You have changed locks ${limit.limit} times this hour (\`access.limits.lockChangesPerHour\`); try again after ${new Date(limit.retryAt).toISOString().slice(11, 16)} UTC.`;
  }
}
