import type { ChildProcess } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { executable, onPath, spawnProgram } from './child-process.js';
import { secondsBetween } from './format.js';
import { redact } from './redact.js';
import { splitWords } from './words.js';

/** How a user's command (a smoke command, an application restart) ran. */
export interface CommandResult {
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

export interface CommandOptions {
  /** The command's whole environment: nothing else is inherited. */
  env: NodeJS.ProcessEnv;
  timeoutSeconds: number;
  secrets: readonly (string | undefined)[];
  now: () => Date;
  signal?: AbortSignal;
  /**
   * What happens to processes the command leaves in its process group when it exits: 'stop'
   * (a smoke command's server must not hold the database), or 'keep' (a restart command starts
   * the application, which must go on running). Both are killed on timeout or cancel.
   */
  leftovers?: 'stop' | 'keep';
  /** Sees every chunk of output as it comes, before the middle of a long output is dropped. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

const HEAD_BYTES = 8 * 1024;
const TAIL_BYTES = 24 * 1024;
/** How long a process group has to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5_000;
/** With leftovers kept, how long their output is still read after the command exits. */
const KEPT_OUTPUT_GRACE_MS = 1_000;

/** The command must exist before anything is done; a typo should not cost a whole restore or a restart half-way. */
function checkCommandExists(command: string, inputName: string, env: NodeJS.ProcessEnv, cwd: string): void {
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    if (!executable(path))
      throw new ConfigurationError(`${inputName}: '${command}' is not an executable file (looked for ${path})`);
    return;
  }
  if (!onPath(command, env.PATH))
    throw new ConfigurationError(
      `${inputName}: '${command}' was not found on PATH; install it in an earlier step or give its path`,
    );
}

/** A command input as words (no shell), its program checked to exist; undefined when empty. */
export function parseCommand(
  input: string,
  inputName: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): string[] | undefined {
  const words = splitWords(input, inputName);
  if (words.length === 0) return undefined;
  checkCommandExists(words[0] as string, inputName, env, cwd);
  return words;
}

/** The words as a shell would need them quoted, for people to read and copy. */
export function quoteWords(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(' ');
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

type Exit = { code: number | null; signal: NodeJS.Signals | null; error?: Error };
type Child = ChildProcess;

/** Resolves when the command's output is closed; with `graceMs`, also when that much time passed (its pipes are then let go). */
function outputClosed(child: Child, graceMs?: number): Promise<void> {
  const { stdout, stderr } = child;
  if (!stdout || !stderr || (stdout.closed && stderr.closed)) return Promise.resolve();
  return new Promise<void>((done) => {
    const timer =
      graceMs === undefined
        ? undefined
        : setTimeout(() => {
            // Processes left running (an application the command started) may hold the pipes open.
            for (const stream of [stdout, stderr]) (stream as unknown as { unref?: () => void }).unref?.();
            done();
          }, graceMs);
    child.once('close', () => {
      clearTimeout(timer);
      done();
    });
  });
}

function describeExit(
  file: string,
  exit: Exit,
  how: { timedOut: boolean; cancelled: boolean; timeoutSeconds: number },
): string {
  if (exit.error) return `could not start ${file}: ${exit.error.message}`;
  if (how.timedOut) return `timed out after ${how.timeoutSeconds} s; its process group was killed`;
  if (how.cancelled) return 'cancelled; its process group was killed';
  if (exit.code === 0) return 'exited with code 0';
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * Runs a command without a shell, in its own process group, with exactly the environment given,
 * tied to the action's process (child-process.ts). When it times out or is cancelled the whole group is killed (a script's children too); when it
 * ends, what it left running in its group is stopped or kept as `leftovers` says.
 */
export async function runCommand(words: readonly string[], options: CommandOptions): Promise<CommandResult> {
  const [file, ...args] = words as [string, ...string[]];
  const started = options.now();
  const output = new BoundedOutput();
  const child = spawnProgram(file, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]?.setEncoding('utf8').on('data', (chunk: string) => {
      output.add(chunk);
      options.onOutput?.(chunk, stream);
    });
  }

  const how = { timedOut: false, cancelled: false, timeoutSeconds: options.timeoutSeconds };
  let killTimer: NodeJS.Timeout | undefined;
  const stopGroup = () => {
    signalGroup(child.pid, 'SIGTERM');
    killTimer ??= setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    how.timedOut = true;
    stopGroup();
  }, options.timeoutSeconds * 1000);
  const onAbort = () => {
    how.cancelled = true;
    stopGroup();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const exit = await new Promise<Exit>((done) => {
    child.once('error', (error) => done({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => done({ code, signal }));
  });
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  if (!exit.error) {
    const keep = options.leftovers === 'keep' && !how.timedOut && !how.cancelled;
    if (!keep) stopGroup();
    await outputClosed(child, keep ? KEPT_OUTPUT_GRACE_MS : undefined);
  }
  // A member that closed its output but ignores SIGTERM still gets the SIGKILL; the run need not wait for it.
  if (groupAlive(child.pid)) killTimer?.unref();
  else clearTimeout(killTimer);

  return {
    command: redact(quoteWords(words), options.secrets),
    passed: !exit.error && !how.timedOut && !how.cancelled && exit.code === 0,
    exitCode: exit.code,
    signal: exit.signal,
    timedOut: how.timedOut,
    durationSeconds: secondsBetween(started, options.now()),
    output: redact(output.text(), options.secrets),
    omittedCharacters: output.omitted,
    detail: redact(describeExit(file, exit, how), options.secrets),
  };
}
