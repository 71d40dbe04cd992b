import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of docs/architecture.md, lowest first. A module may import from its own layer and
 * those below, never from one above: data flows request → command/action → queue → worker →
 * pipeline → reports → views → message publisher, and dependencies point the other way.
 */
/** HTTP edges that live beside the Slack publisher. */
const EDGES = ['src/slack/guarded-listener.ts', 'src/slack/health-route.ts'];
/** What builds and wires the objects of a process (and may know `Services`). */
const COMPOSITION = ['src/services.ts', 'src/main.ts', 'src/slack/app.ts', 'src/worker/workers.ts', 'src/webhooks/routes.ts'];

const LAYERS: { name: string; owns: (path: string) => boolean }[] = [
  { name: 'foundation', owns: (p) => /^src\/(errors|logger|asset-path)\.ts$/.test(p) || /^src\/(config|redis|http|metrics)\//.test(p) },
  { name: 'domain', owns: (p) => /^src\/(git|reports|redaction|runs|pipeline|logs|audit|access|queue|notifications)\//.test(p) },
  { name: 'actions', owns: (p) => p.startsWith('src/actions/') },
  { name: 'views', owns: (p) => p.startsWith('views/') },
  { name: 'slack', owns: (p) => p.startsWith('src/slack/') && !EDGES.includes(p) && !COMPOSITION.includes(p) && !p.startsWith('src/slack/listeners/') && !p.startsWith('src/slack/playground/') },
  { name: 'edges', owns: (p) => !COMPOSITION.includes(p) && (EDGES.includes(p) || p.startsWith('commands/') || p.startsWith('src/slack/listeners/') || p.startsWith('src/webhooks/') || p.startsWith('src/worker/') || p.startsWith('src/admin/')) },
  { name: 'composition', owns: (p) => COMPOSITION.includes(p) || p.startsWith('src/slack/playground/') || p.startsWith('src/doctor/') },
];

const ROOT = resolve('.');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(path: string): number {
  const index = LAYERS.findIndex((l) => l.owns(path));
  if (index < 0) throw new Error(`${path} belongs to no layer: add it to docs/architecture.md and this test`);
  return index;
}

function imports(path: string): string[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs.map((spec) => relative(ROOT, resolve(ROOT, dirname(path), spec)).replace(/\.js$/, '.ts'));
}

describe('architecture', () => {
  const files = [...sources('src'), ...sources('commands'), ...sources('views')];

  it('puts every module in a layer', () => {
    for (const file of files) expect(() => layerOf(file), file).not.toThrow();
  });

  it('never imports from a layer above', () => {
    const upward = files.flatMap((file) =>
      imports(file)
        .filter((target) => layerOf(target) > layerOf(file))
        .map((target) => `${file} (${LAYERS[layerOf(file)]!.name}) → ${target} (${LAYERS[layerOf(target)]!.name})`),
    );
    expect(upward).toEqual([]);
  });

  it('keeps Redis clients and key names out of commands and Slack listeners', () => {
    const offenders = files
      .filter((f) => f.startsWith('commands/') || f.startsWith('src/slack/listeners/'))
      .filter((f) => imports(f).some((t) => t === 'src/redis/keys.ts' || t === 'src/redis/connection.ts' || t === 'src/redis/scripts.ts') || /from 'ioredis'/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
