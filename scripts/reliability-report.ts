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
(\`test/fault/\`, \`test/redaction/\`, and the attacks of the security model: \`test/pipeline/sandbox.e2e.test.ts\`,
\`test/access/\`, \`test/git/mirror.test.ts\`, \`test/slack/request-guard.e2e.test.ts\`). The figures are written by those tests themselves
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
builder; the button only on the run's own card): queued jobs are removed, the run is marked cancelled once, and a Redis pub/sub message
reaches whichever worker process holds the job, which aborts it: SIGTERM to the step's process
group, SIGKILL after the grace; when the step's PID namespace ends, every process it started goes
with it. A running job also re-reads the flag every 2 s, so a lost pub/sub
message delays a cancel by seconds, never loses it. Locks are released as the job ends; the card
says "cancelled by @x". Deploy and destroy have separate flags: a cancelled deploy can be destroyed.
A job that loses its cloud lock (Redis gone longer than the lock's 60 s) stops its lane rather than
run unprotected.

**Secrets.** Output is redacted in the worker where it is produced, as it streams (a private key or
a sensitive terraform value split across chunks is held until complete), before the log file, Redis,
the card, the thread or a Logs upload see it; the web process, which does not know the worker's
secrets, only ever handles redacted text. The redactor knows the values of \`secrets:\` and secret
cloud env entries (also base64, JSON-, URL- and mrkdwn-escaped), sensitive \`terraform output\`
values, and the shapes of 50-odd credential kinds (AWS keys and STS tokens, DigitalOcean, GitHub,
Slack, npm, GitLab, Google, Stripe and more, JWTs, Authorization headers, URLs with credentials,
private key blocks, secret-named \`KEY=value\` pairs). Log files are removed once stored; stored
logs expire (\`worker.logRetention\`). Git SHAs stay readable. Names from commits, branches,
workflows and lock reasons can never ping or link (\`<!channel>\` in a commit subject stays text).

**A step that attacks the worker.** Steps run as an unprivileged user in their own PID and mount
namespaces, with an environment built from an allowlist: the worker's \`/proc/<pid>/environ\`, the
config file, the state dir (mirror, logs, other checkouts) and the Redis password are out of reach,
and every process a step leaves behind dies with it. Builds never get cloud credentials.

**Unreviewed code.** Only branches and tags are fetched; a fork's commit (\`pull/1/head\`) or a
commit force-pushed out of every branch is refused by name and by SHA.

**Forged, replayed and slow requests.** Signatures are checked before anything is parsed; a replayed
Slack request is answered but not acted on, a replayed webhook body is a duplicate whatever its
delivery id; slow bodies are cut off with 408. Requests from other teams, Slack Connect users and
guests cannot make the bot act; per-person limits cap unfinished runs and lock changes.

**Hostile input.** Generated malformed slash texts, interaction payloads (missing or extra fields,
wrong types, huge values, unknown action ids, stale message timestamps, non-object payloads) and
webhook bodies (unsigned, forged, malformed, oversized): each gets a clear error, nothing is queued
or posted, nothing crashes, and the bot is healthy afterwards. Malformed interaction payloads that
would throw inside Bolt are answered 400 before they reach it.

**Audit.** Every request, approval, rejection, expiry, destroy, cancel and lock change is appended
to a Redis stream (\`<prefix>:audit\`, entries kept 180 days and removed by age only, so nobody can
flush it by repeating cheap actions); \`/apollo history [cloud]\` shows the latest.
`;
writeFileSync(resolve('docs/reliability.md'), doc);
console.log(`docs/reliability.md: ${rows.length} faults, ${sum((r) => r.tried)} tried, ${sum((r) => r.lost)} lost, ${sum((r) => r.duplicates)} duplicates, ${sum((r) => r.leaks)} leaks`);
