// Turns what the fault-injection suites recorded (.state/reliability/faults.jsonl) into
// docs/reliability.md. Run it with `npm run reliability`, which runs those suites first.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { FaultFigures } from '../test/helpers/reliability.js';

type Row = FaultFigures & { at: string };

const source = resolve('.state/reliability/faults.jsonl');
if (!existsSync(source)) {
  console.error(`no ${source}: run the fault suites first (npm run reliability)`);
  process.exit(1);
}
// The latest record of each fault: a suite run more than once keeps its newest figures.
const latest = new Map<string, Row>();
for (const line of readFileSync(source, 'utf8').split('\n').filter(Boolean)) {
  const row = JSON.parse(line) as Row;
  latest.set(`${row.suite}|${row.fault}`, row);
}
const rows = [...latest.values()].sort((a, b) => a.suite.localeCompare(b.suite));
const sum = (pick: (r: Row) => number) => rows.reduce((n, r) => n + pick(r), 0);
const when = rows.map((r) => r.at).sort().at(-1) ?? '';

const table = [
  '| suite | fault injected | tried | runs lost | silent duplicates | leaks | notes |',
  '| --- | --- | ---: | ---: | ---: | ---: | --- |',
  ...rows.map((r) => `| ${r.suite} | ${r.fault} | ${r.tried} | ${r.lost} | ${r.duplicates} | ${r.leaks} | ${[r.handled !== undefined ? `${r.handled} handled, ${r.crashes ?? 0} crashes` : '', r.note ?? ''].filter(Boolean).join('; ')} |`),
  `| **total** | ${rows.length} kinds of fault | **${sum((r) => r.tried)}** | **${sum((r) => r.lost)}** | **${sum((r) => r.duplicates)}** | **${sum((r) => r.leaks)}** | |`,
].join('\n');

const doc = `# Reliability

The bot runs terraform against real clouds: a run that is lost, or silently run twice, costs money
and trust. Each behaviour below is proven by a test that injects the fault and asserts the outcome
(\`test/fault/\`, \`test/redaction/\`). The figures are written by those tests themselves
(\`npm run reliability\` runs them and regenerates this page); last run: ${when}.

## Figures

${table}

*Runs lost*: a run whose job vanished or whose final state never reached Slack. *Silent duplicates*:
a run executed again without the card saying so. *Leaks*: processes or cloud locks left behind, or
secrets that reached Slack.

## What happens, fault by fault

**Worker killed (SIGKILL, OOM, power loss).** BullMQ locks each active job for \`lockDuration\`
(30 s, renewed every 15 s by the worker); every worker checks for stalled jobs every
\`stalledInterval\` (30 s). Deploy and destroy jobs run with \`maxStalledCount: 0\`: a stalled one is
never re-run behind anyone's back, because a half-applied terraform (and its state lock) needs a
person. The first check that finds it stalled fails it; every worker listens for such failures and
the first one marks the lane *interrupted* with the step that was running, releases the cloud's run
lock, stops the dead worker's step if it is on the same host (its process group is recorded on the
lane), and the deploy's parent job delivers the final card. Every worker resumes reading those
events from a cursor kept in Redis, so a stall that happened while all workers were down is settled
when the first one starts again. Builds only read, so they run with
\`maxStalledCount: 1\`: retried once from the first step, and the card says
"retried from the start: the worker running it was lost". Worst-case detection: about
lockDuration + stalledInterval = 60 s (tests use 2 s and 1 s through \`APOLLO_JOB_LOCK_MS\` and
\`APOLLO_STALLED_INTERVAL_MS\`). A run lock left by a dead worker also expires on its own after 60 s.

**Worker stopped (SIGTERM).** It stops taking jobs, lets running steps finish for
\`worker.shutdownGrace\` (30 s), then sends their process groups SIGTERM and, after the kill grace,
SIGKILL; the steps end *interrupted*, locks are released and the cards settled before it exits.

**Redis down.** \`GET /healthz\` answers 503. The web process's connections fail fast (no offline
queue), so a slash command is answered in its ack within about a second: "The queue is unavailable
(Redis is not answering); try again in a minute. Nothing was queued." Workers' connections wait and
reconnect; a step that was running finishes and its result is written once Redis is back. With AOF
on (\`appendfsync everysec\`), queued jobs survive a Redis restart.

**Slack down or limiting.** The Web API client does not wait half an hour on its own
(\`rejectRateLimitedCalls\`, two retries for 5xx). Intermediate card edits that fail are dropped —
the next change carries the newer state. The final state is always delivered: the worker keeps
trying (honouring \`Retry-After\`, else backing off to 5 s) for up to 10 minutes, and a new card is
posted with retries before the run's updates begin. Web API calls time out after 10 s. A card's
edit lock (which keeps edits of one card in order across processes) expires 10 s after a holder
dies. A Slack failure never fails a run.

**Cancel.** \`/apollo cancel <run>\` or the Cancel button (requester or approvers; for builds, any
deployer): queued jobs are removed, the run is marked cancelled once, and a Redis pub/sub message
reaches whichever worker process holds the job, which aborts it: SIGTERM to the step's process
group, SIGKILL after the grace. A running job also re-reads the flag every 2 s, so a lost pub/sub
message delays a cancel by seconds, never loses it. Locks are released as the job ends; the card
says "cancelled by @x". Deploy and destroy have separate flags: a cancelled deploy can be destroyed.
A job that loses its cloud lock (Redis gone longer than the lock's 60 s) stops its lane rather than
run unprotected.

**Secrets.** Every text that leaves for Slack — cards, thread replies, ephemeral answers, uploaded
logs — passes one redactor: values of the environment variables named in \`secrets:\`, cloud env
entries marked \`secret: true\` (also in their mrkdwn-escaped spelling), and patterns (AWS access key
ids and secret keys, \`xox[abpr]-\` and \`ghp_\` tokens, credentials in URLs, private key blocks,
\`password=\`-style pairs). Step output is redacted before it is stored in Redis, as one text per
step, so no view can cut a secret in half. Git SHAs stay readable. Notification texts can never
ping a channel (\`<!channel>\` in a commit subject stays text).

**Hostile input.** Generated malformed slash texts, interaction payloads (missing or extra fields,
wrong types, huge values, unknown action ids, stale message timestamps, non-object payloads) and
webhook bodies (unsigned, forged, malformed, oversized): each gets a clear error, nothing is queued
or posted, nothing crashes, and the bot is healthy afterwards. Malformed interaction payloads that
would throw inside Bolt are answered 400 before they reach it.

**Audit.** Every request, approval, rejection, expiry, destroy, cancel and lock change is appended
to a Redis stream (\`<prefix>:audit\`, about 10,000 entries kept); \`/apollo history [cloud]\` shows
the latest.
`;
writeFileSync(resolve('docs/reliability.md'), doc);
console.log(`docs/reliability.md: ${rows.length} faults, ${sum((r) => r.tried)} tried, ${sum((r) => r.lost)} lost, ${sum((r) => r.duplicates)} duplicates, ${sum((r) => r.leaks)} leaks`);
