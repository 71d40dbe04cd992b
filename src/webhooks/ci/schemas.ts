import { z } from 'zod';
import { SLACK_USER_ID } from '../../config/slack-ids.js';

// eslint-disable-next-line no-control-regex
const NO_CONTROL = /^[^\x00-\x1f\x7f]+$/;
const Name = (max: number) => z.string().min(1).max(max).regex(NO_CONTROL, 'must be one line without control characters');
const HttpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const Count = z.number().int().min(0).max(100_000_000);

/** A sender's id for one request; also the shape `X-Apollo-Delivery` must have. */
export const DeliveryId = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'expected 1–200 characters of A-Z a-z 0-9 . _ : -');

export const CI_STATUSES = ['queued', 'running', 'passed', 'failed', 'canceled'] as const;

/**
 * The generic CI event (README: webhooks). Strict: an unknown or misspelled key is a 400, not a
 * silently missing line. Every event of one run carries the same `runId`; `status` moves from
 * queued or running to a verdict, and the run's one message follows it.
 */
export const CiEvent = z.strictObject({
  id: DeliveryId.optional(),
  runId: z.union([Name(100), z.number().int().min(0)], { error: 'expected a string or a non-negative integer' }).transform(String),
  attempt: z.number().int().min(1).max(1000).default(1),
  pipeline: Name(100),
  status: z.enum(CI_STATUSES),
  repo: Name(200),
  branch: Name(255),
  commit: z.string().regex(/^[0-9a-fA-F]{7,40}$/, 'expected a commit SHA (7–40 hex digits)'),
  message: z.string().max(10_000).optional(),
  /** Shown as text, never mentioned: CI systems fill it from the commit or the pusher. */
  author: Name(200).optional(),
  /** The Slack user to mention when the run fails; the sender vouches that it is theirs to ping. */
  slackUser: z.string().regex(SLACK_USER_ID, 'expected a Slack user id (U… or W…)').optional(),
  url: HttpUrl.optional(),
  commitUrl: HttpUrl.optional(),
  /** Seconds. */
  duration: z.number().min(0).max(30 * 24 * 3600).optional(),
  tests: z.strictObject({ passed: Count, failed: Count, skipped: Count.default(0) }).optional(),
});
export type CiEvent = z.infer<typeof CiEvent>;
