import { spawn } from 'node:child_process';
import type { DatabaseTarget } from '../postgres/connection.js';
import { secondsBetween } from '../util/format.js';
import { redact } from '../util/redact.js';
import { StepFailure } from '../report/step-pipeline.js';
import { commandEnv } from '../util/child-env.js';

export interface SmokeResult {
  /** The words, joined for people to read. */
  command: string;
  passed: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationSeconds: number;
  /** stdout and stderr interleaved, the start and the end kept, secrets masked. */
  output: string;
  omittedCharacters: number;
  detail: string;
}

const HEAD_BYTES = 8 * 1024;
const TAIL_BYTES = 24 * 1024;
/** How long a process group has to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5_000;

/** The variables an application reads to find its database, all pointing at the restored copy. */
export function databaseEnv(target: DatabaseTarget): Record<string, string> {
  const url = new URL(target.url);
  if (target.password !== undefined) url.password = encodeURIComponent(target.password);
  return {
    DATABASE_URL: url.toString(),
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGDATABASE: target.database,
    ...(target.user ? { PGUSER: target.user } : {}),
    ...(target.password !== undefined ? { PGPASSWORD: target.password } : {}),
  };
}

/**
 * The smoke command's whole environment: the runner's own variables and libpq's settings (PATH,
 * HOME, temp, locale, TLS), the variables smoke-env names, and the restored database's
 * DATABASE_URL and PG*. Nothing else of the action's: not its inputs, nor the runner's tokens,
 * nor AWS credentials.
 */
export function smokeEnv(
  target: DatabaseTarget,
  passOn: readonly string[],
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const named: Record<string, string> = {};
  for (const name of passOn) if (env[name] !== undefined) named[name] = env[name];
  return { ...commandEnv(env), ...named, ...databaseEnv(target) };
}

/** Keeps the first and the last bytes of a long output, cut at line ends so no secret is cut in two. */
class BoundedOutput {
  private head = '';
  private tail = '';
  private headFull = false;
  omitted = 0;

  add(chunk: string): void {
    if (!this.headFull) {
      const room = HEAD_BYTES - this.head.length;
      if (chunk.length <= room) {
        this.head += chunk;
        return;
      }
      const cut = chunk.lastIndexOf('\n', room);
      const keep = cut >= 0 ? cut + 1 : room;
      this.head += chunk.slice(0, keep);
      chunk = chunk.slice(keep);
      this.headFull = true;
    }
    this.tail += chunk;
    if (this.tail.length > TAIL_BYTES * 2) this.trimTail();
  }

  private trimTail(): void {
    if (this.tail.length <= TAIL_BYTES) return;
    let start = this.tail.length - TAIL_BYTES;
    const lineStart = this.tail.indexOf('\n', start);
    if (lineStart >= 0 && lineStart < this.tail.length - 1) start = lineStart + 1;
    this.omitted += start;
    this.tail = this.tail.slice(start);
  }

  text(): string {
    this.trimTail();
    return this.omitted > 0
      ? `${this.head}\n[... ${this.omitted} characters omitted ...]\n${this.tail}`
      : this.head + this.tail;
  }
}

function groupAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/**
 * Runs the smoke command without a shell, in its own process group, with the restored
 * database in DATABASE_URL and PG* and no more of the action's environment than smokeEnv gives. When it times out the whole group is killed (a script's
 * children too); when it ends, whatever it left running in its group is stopped as well.
 */
export async function runSmokeCommand(
  words: readonly string[],
  target: DatabaseTarget,
  options: {
    timeoutSeconds: number;
    secrets: (string | undefined)[];
    now: () => Date;
    env?: NodeJS.ProcessEnv;
    passOn?: readonly string[];
    signal?: AbortSignal;
  },
): Promise<SmokeResult> {
  const [file, ...args] = words as [string, ...string[]];
  const started = options.now();
  const output = new BoundedOutput();
  const child = spawn(file, args, {
    env: smokeEnv(target, options.passOn ?? [], options.env ?? process.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => output.add(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => output.add(chunk));

  let timedOut = false;
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stopGroup = () => {
    signalGroup(child.pid, 'SIGTERM');
    killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stopGroup();
  }, options.timeoutSeconds * 1000);
  const onAbort = () => {
    cancelled = true;
    stopGroup();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  // Leftovers in the group (a server the script started) must not outlive the run or hold the database.
  if (!exit.error) {
    stopGroup();
    await new Promise<void>((resolve) =>
      child.stdout.closed && child.stderr.closed ? resolve() : child.once('close', () => resolve()),
    );
  }
  // A member that closed its output but ignores SIGTERM still gets the SIGKILL; the run need not wait for it.
  if (groupAlive(child.pid)) killTimer?.unref();
  else clearTimeout(killTimer);

  const command = redact(
    words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(' '),
    options.secrets,
  );
  const passed = !exit.error && !timedOut && !cancelled && exit.code === 0;
  const detail = exit.error
    ? `could not start ${file}: ${exit.error.message}`
    : timedOut
      ? `timed out after ${options.timeoutSeconds} s; its process group was killed`
      : cancelled
        ? 'cancelled; its process group was killed'
        : exit.code === 0
          ? 'exited with code 0'
          : exit.signal
            ? `was killed by ${exit.signal}`
            : `exited with code ${exit.code}`;
  return {
    command,
    passed,
    exitCode: exit.code,
    signal: exit.signal,
    timedOut,
    durationSeconds: secondsBetween(started, options.now()),
    output: redact(output.text(), options.secrets),
    omittedCharacters: output.omitted,
    detail: redact(detail, options.secrets),
  };
}

/** The smoke step's verdict, like judgeChecks: its detail, or a StepFailure naming the command and how it ended. */
export function judgeSmoke(smoke: SmokeResult): string {
  const detail = `${smoke.command} ${smoke.detail}`;
  if (!smoke.passed) throw new StepFailure(detail, [`smoke: ${detail}`]);
  return detail;
}
