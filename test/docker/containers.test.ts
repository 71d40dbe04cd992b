import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/** The instructions of the Dockerfile's last stage (what runs), continuation lines joined. */
function runtimeStage(): string[] {
  const lines = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const lastFrom = lines.map((l, i) => (/^FROM /i.test(l) ? i : -1)).filter((i) => i >= 0).at(-1)!;
  return lines.slice(lastFrom);
}

/**
 * What the container files promise, checked where no Docker daemon is (CI also lints the
 * Dockerfile and runs compose config: scripts/check-containers.sh).
 */
describe('Dockerfile', () => {
  const stage = runtimeStage();
  const text = readFileSync('Dockerfile', 'utf8');

  it('builds in stages: production dependencies only, compiled once, no tsx at run time', () => {
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/npm run build/);
    const start = stage.filter((l) => /^(ENTRYPOINT|CMD) /.test(l)).join(' ');
    expect(start).toContain('dist/main.js');
    expect(start).not.toMatch(/tsx|npm/);
  });

  it('runs as a non-root user, with tini as PID 1 and a health check', () => {
    const user = stage.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
    expect(stage.find((l) => l.startsWith('ENTRYPOINT '))).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"/);
    expect(stage.find((l) => l.startsWith('HEALTHCHECK '))).toContain('scripts/healthcheck.mjs');
  });

  it('installs the steps\' tools: git and bash always, more through STEP_PACKAGES', () => {
    const install = stage.find((l) => l.includes('apt-get install'))!;
    for (const pkg of ['git', 'bash', 'tini', 'util-linux', '${STEP_PACKAGES}']) expect(install).toContain(pkg);
    expect(stage).toContain('ARG STEP_PACKAGES=""');
  });
});

describe('compose.yaml', () => {
  const compose = parse(readFileSync('compose.yaml', 'utf8')) as { services: Record<string, { command?: string[]; deploy?: { replicas?: unknown }; user?: string; cap_add?: string[] }> };

  it('has Redis with AOF and noeviction, web and workers', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['redis', 'web', 'worker']);
    const redis = compose.services.redis!.command!.join(' ');
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--appendfsync everysec/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    expect(redis).toMatch(/--requirepass/);
    expect(compose.services.web!.command).toEqual(['web']);
    expect(compose.services.worker!.command).toEqual(['worker']);
    expect(compose.services.worker!.deploy?.replicas).toBeDefined();
  });

  it('gives the worker what the step sandbox needs, and nothing to the web', () => {
    expect(compose.services.worker!.cap_add).toEqual(['SYS_ADMIN']);
    expect(compose.services.web!.user).toBeUndefined();
    expect(compose.services.web!.cap_add).toBeUndefined();
  });
});
