import type { CustomRoute } from '@slack/bolt';
import type { Redis } from 'ioredis';
import { redisAnswers } from '../redis/connection.js';

/** `GET /healthz`: 200 when Redis answers, 503 otherwise. */
export function healthRoute(redis: Redis): CustomRoute {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      void redisAnswers(redis, 1000).then((ok) => {
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok, redis: ok ? 'up' : 'down' }));
      });
    },
  };
}
