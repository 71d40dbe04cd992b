import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './net.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from './redis.js';

/** The production bundle, as `npm start` runs it (test/global-setup.ts builds it when stale). */
const MAIN = join(process.cwd(), 'dist/main.js');

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Two free loopback ports in a row: the playground's bot and its stand-in of Slack. */
async function portPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port < 65535 && (await listenable(port + 1))) return port;
  }
  throw new Error('no two free ports in a row');
}

/**
 * `npm start` as a newcomer runs it: the production bundle with no token and no apollo.yml (the
 * working directory is empty), so the built-in demo; its own state dir and Redis prefix.
 */
export class PlaygroundProcess {
  private readonly lines: string[] = [];

  private constructor(
    readonly child: ResultPromise,
    readonly port: number,
    readonly dir: string,
    readonly prefix: string,
  ) {}

  /** What it printed so far (stdout and stderr). */
  output(): string {
    return this.lines.join('');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  static async start(env: Record<string, string> = {}): Promise<PlaygroundProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'apollo-playground-client-'));
    const port = await portPair();
    const prefix = uniquePrefix();
    const child = execa(process.execPath, ['--max-semi-space-size=2', MAIN, 'all'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', REDIS_URL: TEST_REDIS_URL, APOLLO_REDIS_PREFIX: prefix, APOLLO_STATE_DIR: join(dir, 'state'), PORT: String(port), LOG_LEVEL: 'info', ...env },
      extendEnv: false,
      reject: false,
      all: true,
    });
    const started = new PlaygroundProcess(child, port, dir, prefix);
    child.all?.on('data', (chunk: Buffer) => started.lines.push(chunk.toString('utf8')));
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`the playground exited early (${String(child.exitCode)}): ${String((await child).all)}`);
      if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) return started;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the playground did not answer /healthz within 60 s');
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.child.catch(() => undefined);
    await deletePrefix(this.prefix);
    await rm(this.dir, { recursive: true, force: true });
  }
}
