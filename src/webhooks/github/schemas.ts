import { z } from 'zod';

/*
 * GitHub's payloads carry hundreds of fields and gain new ones: the schemas below hold the fields the
 * bot reads to their exact types and let the rest through untouched (z.object strips, never fails,
 * on unknown keys). A field GitHub documents as nullable is nullable here.
 */

const FullSha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a full commit SHA');
const Timestamp = z.iso.datetime({ offset: true });
const HttpUrl = z.url({ protocol: /^https?$/ });
const Account = z.object({ login: z.string().min(1) });

export const Repository = z.object({
  full_name: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name'),
  html_url: HttpUrl,
  clone_url: z.string().optional(),
  ssh_url: z.string().optional(),
  git_url: z.string().optional(),
  svn_url: z.string().optional(),
});
export type Repository = z.infer<typeof Repository>;

const CommitSummary = z.object({
  message: z.string(),
  author: z.object({ name: z.string() }),
});

export const WorkflowRunEvent = z.object({
  action: z.string(),
  workflow_run: z.object({
    id: z.number().int().positive(),
    name: z.string().nullish(),
    head_branch: z.string().nullable(),
    head_sha: FullSha,
    run_number: z.number().int().positive(),
    // Absent from payloads older than re-runs.
    run_attempt: z.number().int().min(1).optional(),
    status: z.string().nullable(),
    conclusion: z.string().nullable(),
    html_url: HttpUrl,
    created_at: Timestamp,
    updated_at: Timestamp,
    run_started_at: Timestamp.optional(),
    actor: Account.nullish(),
    head_commit: CommitSummary.nullish(),
    head_repository: z.object({ full_name: z.string(), html_url: HttpUrl }).nullish(),
  }),
  workflow: z.object({ name: z.string() }).nullish(),
  repository: Repository,
  sender: Account,
});
export type WorkflowRunEvent = z.infer<typeof WorkflowRunEvent>;

export const CheckSuiteEvent = z.object({
  action: z.string(),
  check_suite: z.object({
    id: z.number().int().positive(),
    head_branch: z.string().nullable(),
    head_sha: FullSha,
    status: z.string().nullable(),
    conclusion: z.string().nullable(),
    app: z.object({ name: z.string().min(1), slug: z.string().optional() }),
    created_at: Timestamp,
    updated_at: Timestamp,
    head_commit: CommitSummary.nullish(),
  }),
  repository: Repository,
  sender: Account,
});
export type CheckSuiteEvent = z.infer<typeof CheckSuiteEvent>;

export const PushEvent = z.object({
  ref: z.string().min(1),
  after: FullSha,
  deleted: z.boolean().optional(),
  repository: Repository,
  sender: Account,
});
export type PushEvent = z.infer<typeof PushEvent>;

export const PullRequestEvent = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    head: z.object({
      ref: z.string().min(1),
      sha: FullSha,
      // null when the fork was deleted.
      repo: z.object({ full_name: z.string() }).nullable(),
    }),
  }),
  repository: Repository,
  sender: Account,
});
export type PullRequestEvent = z.infer<typeof PullRequestEvent>;

export const PingEvent = z.object({ zen: z.string().optional(), hook_id: z.number().optional() });
