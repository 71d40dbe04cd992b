import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ApolloError, ErrorCode } from '../errors.js';

/** What git knows of one object name: its id, type and size, or why it has none. */
export type ObjectInfo = { found: true; oid: string; type: string; size: number } | { found: false; reason: 'missing' | 'ambiguous' };

/** An object's info and, for `contents`, its bytes. */
export type ObjectRead = ObjectInfo & { data?: Buffer };

interface Pending {
  command: 'info' | 'contents';
  name: string;
  resolve: (read: ObjectRead) => void;
  reject: (err: Error) => void;
}

type BatchProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/** Answers slower than this mean git is stuck (a lock, a dying disk): the process is replaced. */
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * One long-lived `git cat-file --batch-command` for a repository: object lookups (a ref's commit, a
 * commit's headers, a file of a commit) answered over a pipe, with no process started per request.
 * Requests are answered in order. A process that exits, errors or stops answering fails what it was
 * asked and is started again by the next request; `restart` starts a fresh one (after a fetch, so
 * that new packs and refs are read from disk, not from its caches).
 */
export class CatFileBatch {
  private child: BatchProcess | undefined;
  private readonly pending: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;
  /** How many processes were started (tests and the bench look at it). */
  started = 0;

  constructor(
    private readonly gitDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The object `name` names (any revision syntax git takes: `refs/heads/x^{commit}`, `sha:path`). */
  info(name: string): Promise<ObjectInfo> {
    return this.ask('info', name);
  }

  /** `info`, and the object's bytes when it is found. Read `info` first when the size matters. */
  contents(name: string): Promise<ObjectRead> {
    return this.ask('contents', name);
  }

  /** The pid of the running process, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Ends the current process (its unanswered requests fail); the next request starts a new one. */
  restart(): void {
    const child = this.child;
    if (!child) return;
    this.detach(child, new ApolloError(ErrorCode.GitFailed, 'git cat-file was restarted'));
    child.stdin.end();
    child.kill();
  }

  close(): void {
    this.restart();
  }

  private async ask(command: Pending['command'], name: string): Promise<ObjectRead> {
    if (/[\n\r\0]/.test(name)) throw new ApolloError(ErrorCode.GitFailed, 'an object name cannot contain a line break');
    return new Promise<ObjectRead>((resolve, reject) => {
      const child = this.child ?? this.start();
      if (this.pending.length === 0) this.hold(child, true);
      this.pending.push({ command, name, resolve, reject });
      this.arm();
      child.stdin.write(`${command} ${name}\n`);
    });
  }

  private start(): BatchProcess {
    const child = spawn('git', ['--git-dir', this.gitDir, 'cat-file', '--batch-command'], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.started++;
    this.child = child;
    this.buffer = Buffer.alloc(0);
    // Not a reason to keep this process alive while idle; while requests wait, it is (see `hold`).
    this.hold(child, false);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse(child);
    });
    const fail = (why: string) => this.detach(child, new ApolloError(ErrorCode.GitFailed, `git cat-file stopped: ${why}`, { details: stderr ? [stderr.trim().split('\n').at(-1)!] : [] }));
    child.on('error', (err) => fail(err.message));
    child.on('exit', (code, signal) => fail(signal ? `killed by ${signal}` : `exit ${code}`));
    child.stdin.on('error', () => undefined); // a closed pipe shows up as the exit
    return child;
  }

  /** Answers what the buffer holds, in order. */
  private parse(child: BatchProcess): void {
    for (;;) {
      const next = this.pending[0];
      if (!next) return;
      const eol = this.buffer.indexOf(0x0a);
      if (eol < 0) return;
      const header = this.buffer.subarray(0, eol).toString('utf8');
      const parts = header.split(' ');
      const last = parts.at(-1);
      if (last === 'missing' || last === 'ambiguous') {
        this.buffer = this.buffer.subarray(eol + 1);
        this.answer({ found: false, reason: last });
        continue;
      }
      const [oid, type, sizeText] = parts;
      const size = Number(sizeText);
      if (parts.length !== 3 || !oid || !type || !Number.isSafeInteger(size)) {
        this.detach(child, new ApolloError(ErrorCode.GitFailed, `git cat-file answered something unexpected: ${header.slice(0, 100)}`));
        child.kill();
        return;
      }
      const info = { found: true as const, oid, type, size };
      if (next.command === 'info') {
        this.buffer = this.buffer.subarray(eol + 1);
        this.answer(info);
        continue;
      }
      // The contents, then a newline.
      if (this.buffer.length < eol + 1 + size + 1) return;
      const data = Buffer.from(this.buffer.subarray(eol + 1, eol + 1 + size));
      this.buffer = this.buffer.subarray(eol + 1 + size + 1);
      this.answer({ ...info, data });
    }
  }

  private answer(read: ObjectRead): void {
    this.pending.shift()?.resolve(read);
    if (this.pending.length === 0 && this.child) this.hold(this.child, false);
    this.arm();
  }

  /** Keeps this process alive for the child while an answer is awaited, and only then. */
  private hold(child: BatchProcess, waiting: boolean): void {
    for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as { ref?: () => void; unref?: () => void }[]) {
      if (waiting) handle.ref?.();
      else handle.unref?.();
    }
  }

  /** Watches for an answer that never comes, while requests are waiting. */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const child = this.child;
    if (this.pending.length === 0 || !child) return;
    this.timer = setTimeout(() => {
      this.detach(child, new ApolloError(ErrorCode.GitFailed, `git cat-file did not answer within ${ANSWER_TIMEOUT_MS / 1000}s`));
      child.kill('SIGKILL');
    }, ANSWER_TIMEOUT_MS);
    this.timer.unref();
  }

  /** Forgets `child` and fails its unanswered requests; the next request starts another. */
  private detach(child: BatchProcess, error: Error): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.buffer = Buffer.alloc(0);
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiting of this.pending.splice(0)) waiting.reject(error);
  }
}
