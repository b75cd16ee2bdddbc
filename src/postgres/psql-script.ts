import { execaProgram } from '../util/child-process.js';
import type { DatabaseTarget } from './connection.js';
import { parseRows, psqlArgs, psqlEnv, type Row } from './psql-protocol.js';

export interface PsqlScriptOptions {
  psqlPath: string;
  /** application_name in pg_stat_activity. */
  applicationName: string;
  /** The server cancels a statement after this long; psql itself is stopped 30 s later. */
  timeoutSeconds: number;
  signal?: AbortSignal;
}

export type PsqlScriptResult = { ok: true; rows: Row[] } | { ok: false; error: string };

/**
 * Runs a script in a psql of its own (its own connection, so one failure cannot touch another
 * script's session) and returns the rows it printed, or psql's own error.
 */
export async function runPsqlScript(
  target: DatabaseTarget,
  script: string,
  options: PsqlScriptOptions,
): Promise<PsqlScriptResult> {
  const { timeoutSeconds, signal } = options;
  const result = await execaProgram(options.psqlPath, psqlArgs(target), {
    input: script,
    env: await psqlEnv(target, options.applicationName, { PGOPTIONS: `-c statement_timeout=${timeoutSeconds}s` }),
    extendEnv: false,
    reject: false,
    timeout: (timeoutSeconds + 30) * 1000,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  if (result.exitCode === 0) return { ok: true, rows: parseRows(String(result.stdout)) };
  const stderr = String(result.stderr).trim();
  const how = result.timedOut
    ? `timed out after ${timeoutSeconds} s`
    : result.isCanceled
      ? 'was cancelled'
      : `psql exited with code ${result.exitCode}`;
  return { ok: false, error: stderr || how };
}
