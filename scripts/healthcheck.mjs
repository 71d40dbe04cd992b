/* global fetch, AbortSignal */
// The image's HEALTHCHECK: healthy when /healthz answers 200 on the web port (PORT) or, in a
// worker, on WORKER_METRICS_PORT. Either answers only while its process can reach Redis.
const ports = [process.env.PORT ?? '3000', process.env.WORKER_METRICS_PORT].filter(Boolean);

async function healthy(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

for (const port of ports) {
  if (await healthy(port)) process.exit(0);
}
process.exit(1);
