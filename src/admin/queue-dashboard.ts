import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { audit } from '../audit/record.js';
import type { AuditLog } from '../audit/audit-log.js';
import { basicCredentials, sameSecret } from '../http/credentials.js';
import type { Logger } from '../logger.js';

export const DASHBOARD_PATH = '/admin/queues';

/** The dashboard's actions that change something and are allowed: each is audited. */
const ALLOWED: Record<string, { action: 'queue.retried' | 'queue.cleaned'; scope: 'job' | 'state' }> = {
  '/api/queues/:queueName/:jobId/retry': { action: 'queue.retried', scope: 'job' },
  '/api/queues/:queueName/retry/:queueStatus': { action: 'queue.retried', scope: 'state' },
  '/api/queues/:queueName/:jobId/clean': { action: 'queue.cleaned', scope: 'job' },
  '/api/queues/:queueName/clean/:queueStatus': { action: 'queue.cleaned', scope: 'state' },
};

export interface QueueDashboardDeps {
  audit: Pick<AuditLog, 'append'>;
  logger: Logger;
}

export interface QueueDashboardOptions {
  queues: readonly Queue[];
  /** APOLLO_ADMIN_USER (default admin): who the audit says acted, as `admin:<user>`. */
  user: string;
  /** APOLLO_ADMIN_PASSWORD: without it the dashboard is not mounted at all. */
  password: string;
}

/** Run ids start our job ids (`b12`, `d7-deploy-aws`): the audit entry names the run too. */
function runIdOf(jobId: string | undefined): string | undefined {
  return jobId ? /^([bd]\d{1,12})(?:-|$)/.exec(jobId)?.[1] : undefined;
}

function refuse(res: ServerResponse): void {
  res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Basic realm="apollo queues", charset="UTF-8"' });
  res.end('the queue dashboard needs the admin user and password (APOLLO_ADMIN_USER, APOLLO_ADMIN_PASSWORD)\n');
}

/**
 * bull-board at /admin/queues, behind basic auth compared in constant time. It may look at every
 * queue and job, and do two things: retry and clean (one job, or every job in a state). Each is
 * written to the audit stream like a chat action (`/apollo history` shows it); everything else
 * that would change a queue (add, pause, empty, obliterate, edit job data) is refused.
 */
export function queueDashboardRoutes(deps: QueueDashboardDeps, options: QueueDashboardOptions): CustomRoute[] {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.map((q) => new BullMQAdapter(q, { allowRetries: true })),
    serverAdapter: adapter,
    options: {
      uiConfig: { boardTitle: 'apollo queues' },
      handlerHooks: {
        before: ({ method, route }) => {
          if (method === 'get' || ALLOWED[route]) return undefined;
          return { allow: false, status: 403, message: 'Only retry and clean are allowed from the apollo dashboard.' };
        },
        after: async ({ route, request }, result) => {
          const allowed = ALLOWED[route];
          if (!allowed || (result.status ?? 200) >= 400) return result;
          const user = basicCredentials(request.headers.authorization)?.user ?? options.user;
          const params = request.params as { queueName?: string; jobId?: string; queueStatus?: string };
          const runId = runIdOf(params.jobId);
          await audit(deps, {
            action: allowed.action,
            by: `admin:${user}`,
            ...(params.queueName ? { queue: params.queueName } : {}),
            ...(allowed.scope === 'job' && params.jobId ? { jobId: params.jobId } : {}),
            ...(allowed.scope === 'state' && params.queueStatus ? { jobState: params.queueStatus } : {}),
            ...(runId ? { runId } : {}),
          });
          deps.logger.info({ action: allowed.action, queue: params.queueName, jobId: params.jobId, state: params.queueStatus, by: `admin:${user}` }, 'queue dashboard action');
          return result;
        },
      },
    },
  });
  const board = adapter.getRouter() as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const credentials = basicCredentials(req.headers.authorization);
    // Both compared every time: which of the two was wrong does not show in the timing.
    const userOk = sameSecret(credentials?.user ?? '', options.user);
    const passwordOk = sameSecret(credentials?.password ?? '', options.password);
    if (!credentials || !userOk || !passwordOk) {
      deps.logger.warn({ path: req.url }, 'queue dashboard: refused without the admin credentials');
      refuse(res);
      return;
    }
    // bull-board routes below its base path, as when mounted with app.use(DASHBOARD_PATH, …).
    req.url = (req.url ?? '/').slice(DASHBOARD_PATH.length) || '/';
    board(req, res, (err?: unknown) => {
      if (res.headersSent) return;
      if (err) deps.logger.error({ err }, 'queue dashboard failed');
      res.writeHead(err ? 500 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(err ? 'the queue dashboard failed; see the bot log\n' : 'not found\n');
    });
  };
  return [{ path: `${DASHBOARD_PATH}{/*rest}`, method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], handler }];
}
