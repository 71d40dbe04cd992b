import type { Config } from '../config/schema.js';
import type { Notification } from './notification.js';

/** The kinds a route's `events` filter names. */
export type RouteEvent = 'build' | 'deploy' | 'workflow_run' | 'check_suite' | 'ci';

export interface RouteSubject {
  event: RouteEvent;
  /** owner/name; compared without regard to case, as GitHub does. */
  repo: string;
  branch?: string;
}

export interface RouteChoice {
  channel: string;
  onlyFailures: boolean;
  /** Index in `notifications.routes`; absent when the top-level `channel` was the fallback. */
  route?: number;
}

/**
 * Where a notification goes: the first route whose repos, branches and events all take it, else
 * the top-level `channel`, else nowhere. A route that names branches never takes a subject without
 * one. Its filters (onlyFailures) apply after the choice: a later route is not tried instead.
 */
export function chooseRoute(config: Pick<Config, 'channel' | 'notifications'>, subject: RouteSubject): RouteChoice | undefined {
  const repo = subject.repo.toLowerCase();
  for (const [index, route] of config.notifications.routes.entries()) {
    if (route.repos && !route.repos.some((r) => r.toLowerCase() === repo)) continue;
    if (route.branches && (subject.branch === undefined || !route.branches.includes(subject.branch))) continue;
    if (route.events && !route.events.includes(subject.event)) continue;
    return { channel: route.channel, onlyFailures: route.onlyFailures, route: index };
  }
  return config.channel ? { channel: config.channel, onlyFailures: false } : undefined;
}

/** `onlyFailures` lets through failures and the run that brings a branch back to normal. */
export function passesFilter(choice: RouteChoice, n: Pick<Notification, 'status' | 'transition'>): boolean {
  return !choice.onlyFailures || n.status === 'failed' || n.transition === 'fixed';
}
