import { acceptBuild } from '../accept-build.js';
import { acceptNotification } from '../accept-notification.js';
import { deliveryId } from '../delivery-dedup.js';
import type { WebhookAnswer, WebhookHandler } from '../json-route.js';
import { decodeJson, header, parsePayload, readSignedBody } from '../signed-request.js';
import type { WebhookContext } from '../webhook-context.js';
import { WebhookError, WebhookErrorCode } from '../webhook-error.js';
import { fromCheckSuite, fromWorkflowRun } from './notify.js';
import { CheckSuiteEvent, PingEvent, PullRequestEvent, PushEvent, WorkflowRunEvent } from './schemas.js';
import { pullRequestTrigger, pushTrigger } from './triggers.js';

export interface GitHubWebhookOptions {
  secret: string | undefined;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
}

function ignored(reason: string): WebhookAnswer {
  return { status: 200, body: { ok: true, result: 'ignored', message: reason } };
}

/**
 * `POST /webhooks/github`: workflow_run and check_suite become notifications; push and pull_request
 * queue builds of the configured repository; ping is answered. Signed with X-Hub-Signature-256.
 */
export function githubWebhook(ctx: WebhookContext, options: GitHubWebhookOptions): WebhookHandler {
  return async (req) => {
    const raw = await readSignedBody(req, {
      secret: options.secret,
      secretName: 'GITHUB_WEBHOOK_SECRET',
      header: 'X-Hub-Signature-256',
      ...(options.maxBodyBytes ? { maxBytes: options.maxBodyBytes } : {}),
    });
    const event = header(req, 'x-github-event');
    if (!event) throw new WebhookError(WebhookErrorCode.PayloadInvalid, 400, 'the X-GitHub-Event header is missing');
    const payload = decodeJson(raw, header(req, 'content-type'));
    const delivery = { source: 'github' as const, id: deliveryId(header(req, 'x-github-delivery'), raw) };
    const config = ctx.services.config;

    switch (event) {
      case 'ping': {
        const ping = parsePayload(PingEvent, payload, 'ping payload');
        return { status: 200, body: { ok: true, result: 'pong', ...(ping.hook_id !== undefined ? { hook_id: ping.hook_id } : {}) } };
      }
      case 'workflow_run': {
        const n = fromWorkflowRun(parsePayload(WorkflowRunEvent, payload, 'workflow_run payload'));
        return 'ignored' in n ? ignored(n.ignored) : acceptNotification(ctx, delivery, n);
      }
      case 'check_suite': {
        const n = fromCheckSuite(parsePayload(CheckSuiteEvent, payload, 'check_suite payload'));
        return 'ignored' in n ? ignored(n.ignored) : acceptNotification(ctx, delivery, n);
      }
      case 'push': {
        const trigger = pushTrigger(config, parsePayload(PushEvent, payload, 'push payload'));
        return 'ignored' in trigger ? ignored(trigger.ignored) : acceptBuild(ctx, delivery, trigger);
      }
      case 'pull_request': {
        const trigger = pullRequestTrigger(config, parsePayload(PullRequestEvent, payload, 'pull_request payload'));
        return 'ignored' in trigger ? ignored(trigger.ignored) : acceptBuild(ctx, delivery, trigger);
      }
      default:
        return ignored(`${event} events are not used; subscribe to workflow_run, check_suite, push and pull_request`);
    }
  };
}
