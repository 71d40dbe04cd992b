import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every metric the bot exports, in one place: names, labels and buckets are an interface that
 * dashboards and alerts depend on (docs/grafana/, docs/prometheus/). Metrics are process-wide by
 * nature, as the log destination is: one registry per process, served at its `/metrics`. Web and
 * worker processes each serve their own; the `role` label says which one a series came from.
 */
export const registry = new Registry();

/** Durations of steps and runs: seconds to hours (terraform applies take tens of minutes). */
const LONG_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

export const runsTotal = new Counter({
  name: 'apollo_runs_total',
  help: 'Runs finished, by kind (build, deploy, destroy) and outcome (passed, failed, cancelled, interrupted)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const runDuration = new Histogram({
  name: 'apollo_run_duration_seconds',
  help: 'From the first lane starting to the last one finishing, by kind and outcome',
  labelNames: ['kind', 'outcome'] as const,
  buckets: LONG_SECONDS,
  registers: [registry],
});

export const stepDuration = new Histogram({
  name: 'apollo_step_duration_seconds',
  help: "A step's run time, by kind, step name (from apollo.yml) and outcome",
  labelNames: ['kind', 'step', 'outcome'] as const,
  buckets: LONG_SECONDS,
  registers: [registry],
});

export const queueWait = new Histogram({
  name: 'apollo_queue_wait_seconds',
  help: 'How long a job waited in its queue before a worker took it (delay and parent waits excluded)',
  labelNames: ['queue'] as const,
  buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600],
  registers: [registry],
});

export const slackApiCalls = new Counter({
  name: 'apollo_slack_api_calls_total',
  help: 'Slack Web API calls as the bot made them (after the client\'s own retries), by method and outcome (ok, slack_error, rate_limited, http_error, request_error)',
  labelNames: ['method', 'outcome'] as const,
  registers: [registry],
});

export const slackApiRequests = new Counter({
  name: 'apollo_slack_api_requests_total',
  help: 'HTTP requests to the Slack Web API, every attempt (so retries count), by method and HTTP status (429: rate limited; network_error: no answer)',
  labelNames: ['method', 'status'] as const,
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'apollo_webhook_deliveries_total',
  help: 'Webhook deliveries answered, by source (github, ci) and result (accepted, duplicate, ignored, or the error code)',
  labelNames: ['source', 'result'] as const,
  registers: [registry],
});

export const commandAck = new Histogram({
  name: 'apollo_slash_command_ack_seconds',
  help: 'From a slash command reaching the listener to its ack (Slack gives up after 3 s), by outcome (ok, refused, invalid, queue_down)',
  labelNames: ['outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
  registers: [registry],
});

/** Gauges read from Redis when scraped (`refreshGauges`): the queues and the locks as they are now. */
export const queueDepth = new Gauge({
  name: 'apollo_queue_depth',
  help: 'Jobs in each queue by state (waiting, active, delayed, prioritized, waiting-children, failed)',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
});

export const queueOldestWaiting = new Gauge({
  name: 'apollo_queue_oldest_waiting_seconds',
  help: 'Age of the oldest job waiting in each queue (0 when none waits): a stuck queue grows it',
  labelNames: ['queue'] as const,
  registers: [registry],
});

export const locksActive = new Gauge({
  name: 'apollo_locks_active',
  help: 'Clouds held now, by kind of lock (run: a deploy or destroy in progress; sticky: /apollo lock)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

/** Reads something (queue counts, locks) into the gauges above; registered by the composition. */
export type GaugeSource = () => Promise<void>;
const gaugeSources = new Set<GaugeSource>();

/** Adds a source read before every scrape; returns its removal. */
export function addGaugeSource(source: GaugeSource): () => void {
  gaugeSources.add(source);
  return () => gaugeSources.delete(source);
}

/**
 * Reads every source, then the text Prometheus scrapes. Sources are read first, all together, so
 * that one scrape shows one moment; a failing source (Redis down) leaves its gauges as they were
 * and the rest of the scrape still answers.
 */
export async function scrape(): Promise<string> {
  await Promise.allSettled([...gaugeSources].map((source) => source()));
  return registry.metrics();
}

let defaultsStarted = false;

/**
 * Names the process (`role`: web, worker or all) and adds Node's default process metrics (CPU,
 * memory, event loop lag, GC). Called once by main.ts; tests that import the metrics skip it.
 */
export function startProcessMetrics(role: string): void {
  registry.setDefaultLabels({ role });
  if (defaultsStarted) return;
  defaultsStarted = true;
  // Unprefixed (process_cpu_seconds_total, nodejs_eventloop_lag_seconds…), as stock dashboards expect.
  collectDefaultMetrics({ register: registry });
}
