// `npm run slash -- build main`: sends a signed `/apollo …` to a locally running playground bot, as
// Slack would. The playground's signing secret is random per start; it is read from the state dir.
import { randomUUID } from 'node:crypto';
import { signedSlackHeaders } from '../signing.js';
import { readPlaygroundSecret } from './playground-secret.js';
import { PLAYGROUND_CHANNEL, PLAYGROUND_TEAM, REQUESTER } from './roster.js';

const port = Number(process.env.PORT ?? 3000);
const stateDir = process.env.APOLLO_STATE_DIR ?? './.state';
const secret = process.env.SLACK_SIGNING_SECRET ?? (await readPlaygroundSecret(stateDir));
if (!secret) {
  process.stderr.write(`apollo: no playground signing secret in ${stateDir}: start the bot first (npm start), or set SLACK_SIGNING_SECRET\n`);
  process.exit(1);
}
const text = process.argv.slice(2).join(' ');
const body = new URLSearchParams({
  command: '/apollo',
  text,
  user_id: process.env.APOLLO_PLAYGROUND_USER ?? REQUESTER.id,
  user_name: REQUESTER.name,
  channel_id: process.env.APOLLO_PLAYGROUND_CHANNEL ?? PLAYGROUND_CHANNEL.id,
  channel_name: PLAYGROUND_CHANNEL.name,
  team_id: PLAYGROUND_TEAM,
  response_url: `http://127.0.0.1:${port + 1}/response/${randomUUID()}`,
  trigger_id: '0.0.0',
}).toString();

const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(secret, body) },
  body,
});
const answer = await res.text();
process.stdout.write(`${res.status} ${answer || '(acknowledged; replies and cards appear in the playground client, at the URL the bot printed)'}\n`);
