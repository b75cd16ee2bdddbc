import { randomBytes } from 'node:crypto';
import type { ResultPromise } from 'execa';
import { execaProgram } from '../util/child-process.js';
import { redact } from '../util/redact.js';
import type { DatabaseTarget } from './connection.js';
import { parseRows, psqlArgs, psqlEnv, type Row } from './psql-protocol.js';

export type { Row } from './psql-protocol.js';

/** psql failed: connection refused, authentication, or an SQL error. The message is psql's own, redacted. */
export class PsqlError extends Error {
  override name = 'PsqlError';
}

interface Pending {
  marker: string;
  resolve(rows: Row[]): void;
  reject(error: Error): void;
}

export interface PsqlSessionOptions {
  psqlPath?: string;
  /** Extra secrets to mask in error messages, besides the target's password. */
  secrets?: string[];
}

/**
 * One long-lived psql process driven over stdin: statements keep a session (and a transaction,
 * with its snapshot) between calls, and connections behave exactly as pg_dump's do, because
 * both are libpq with the same URL and environment.
 *
 * Each query() sends one statement followed by an \echo of a unique marker; the output up to the
 * marker is that statement's result. A statement must be complete: one unterminated quote would
 * swallow the marker.
 */
export class PsqlSession {
  private buffer = '';
  private stderr = '';
  private readonly pending: Pending[] = [];
  private counter = 0;
  private readonly nonce = randomBytes(6).toString('hex');
  private exited: Error | undefined;

  private constructor(
    private readonly child: ResultPromise,
    private readonly secrets: (string | undefined)[],
  ) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    child.stdin?.on('error', () => undefined); // psql exited; the exit handler reports why
    void child.then((result) => this.onExit(`psql exited with code ${String(result.exitCode ?? result.signal)}`));
  }

  static async open(target: DatabaseTarget, options: PsqlSessionOptions = {}): Promise<PsqlSession> {
    const child = execaProgram(options.psqlPath ?? 'psql', psqlArgs(target), {
      env: await psqlEnv(target, 'dr-actions'),
      extendEnv: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
    });
    const session = new PsqlSession(child, [target.password, ...(options.secrets ?? [])]);
    await session.query('SET client_min_messages = warning');
    return session;
  }

  async query(sql: string): Promise<Row[]> {
    if (this.exited) throw this.exited;
    this.counter += 1;
    const marker = `@@dr-actions:${this.nonce}:${this.counter}@@`;
    const done = new Promise<Row[]>((resolve, reject) => this.pending.push({ marker, resolve, reject }));
    this.child.stdin?.write(`${sql}\n;\n\\echo ${marker}\n`);
    return done;
  }

  /** The first column of the first row, or undefined when there is no row. */
  async value(sql: string): Promise<string | null | undefined> {
    const rows = await this.query(sql);
    return rows[0]?.[0];
  }

  async close(): Promise<void> {
    if (!this.exited) {
      this.child.stdin?.end('\\q\n');
    }
    await this.child;
  }

  /** Ends psql at once, without waiting for what it is doing (an unanswered statement): its connection closes with it. */
  abandon(): void {
    this.child.kill('SIGKILL');
  }

  private onStdout(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const head = this.pending[0];
      if (!head) return;
      const end = this.buffer.indexOf(`${head.marker}\n`);
      if (end < 0) return;
      const output = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + head.marker.length + 1);
      this.pending.shift();
      head.resolve(parseRows(output));
    }
  }

  private onExit(reason: string): void {
    const message = redact(this.stderr.trim() || reason, this.secrets);
    this.exited = new PsqlError(message);
    for (const entry of this.pending.splice(0)) entry.reject(this.exited);
  }
}
