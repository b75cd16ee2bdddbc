import type { ResultPromise } from 'execa';
import { execaProgram } from '../util/child-process.js';
import { redact } from '../util/redact.js';
import type { ClientBinary } from './binaries.js';
import { clientEnv, type DatabaseTarget } from './connection.js';
import { untangleMessages } from './tool-messages.js';

/** The restore tool failed; the message is its own, redacted. */
export class RestoreFailedError extends Error {
  override name = 'RestoreFailedError';
}

const STDERR_KEPT = 16 * 1024;

export interface RunningRestore {
  child: ResultPromise;
  /** The tail of what the tool wrote to stderr so far. */
  stderr(): string;
}

function keepTail(text: string): string {
  return text.length > STDERR_KEPT ? `...${text.slice(-STDERR_KEPT)}` : text;
}

export interface RestoreClientOptions {
  /** Session settings for every connection the tool opens (parallel workers too), through PGOPTIONS. */
  sessionOptions: string;
  /** 'pipe' when the caller feeds the tool (psql -f -). */
  stdin: 'pipe' | 'ignore';
  signal?: AbortSignal;
}

/** Starts pg_restore or psql against the target; the password reaches it through PGPASSWORD, never argv. */
export async function startRestoreClient(
  binary: ClientBinary,
  args: string[],
  target: DatabaseTarget,
  options: RestoreClientOptions,
): Promise<RunningRestore> {
  const child = execaProgram(binary.path, [...args, `--dbname=${target.url}`], {
    env: await clientEnv(target, { PGAPPNAME: 'dr-actions restore-verify', PGOPTIONS: options.sessionOptions }),
    extendEnv: false,
    stdin: options.stdin,
    stdout: 'ignore',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = keepTail(stderr + chunk.toString());
  });
  return { child, stderr: () => stderr.trim() };
}

/** Resolves when the tool exited 0; otherwise throws its fate and its own words, redacted. */
export async function restoreClientExit(
  run: RunningRestore,
  tool: string,
  secrets: (string | undefined)[],
): Promise<void> {
  const result = await run.child;
  if (result.exitCode === 0 && !result.signal) return;
  const how = result.isCanceled
    ? 'was cancelled'
    : result.signal
      ? `was killed (${result.signal})`
      : `exited with code ${result.exitCode}`;
  // pg_restore's parallel workers write to one stderr at once; their messages are taken apart again.
  const said = tool === 'pg_restore' ? untangleMessages(run.stderr(), tool).join('\n') : run.stderr();
  throw new RestoreFailedError(redact(`${tool} ${how}${said ? `: ${said}` : ''}`, secrets));
}
