import { execa } from 'execa';
import { libpqEnv, type DatabaseTarget } from '../postgres/connection.js';
import { secondsBetween } from '../util/format.js';
import { redact } from '../util/redact.js';
import type { Check, ChecklistTag } from './checks-file.js';
import { StepFailure } from '../report/step-pipeline.js';

export interface CheckResult {
  name: string;
  line: number;
  checklist: ChecklistTag[];
  passed: boolean;
  /** What it returned, or why it failed. */
  detail: string;
  durationSeconds: number;
}

const FIELD = '\u001f';
const RECORD = '\u001e';
const NULL = '\u0001';
const MESSAGE_KEPT = 2_000;

interface PsqlRun {
  ok: boolean;
  stdout: string;
  error: string;
}

async function psql(psqlPath: string, target: DatabaseTarget, script: string, timeoutSeconds: number, signal?: AbortSignal): Promise<PsqlRun> {
  const result = await execa(psqlPath, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-P', `null=${NULL}`, '-F', FIELD, '-R', RECORD, `--dbname=${target.url}`], {
    input: script,
    env: { PGAPPNAME: 'dr-actions restore-verify checks', PGOPTIONS: `-c statement_timeout=${timeoutSeconds}s`, ...libpqEnv(target) },
    reject: false,
    timeout: (timeoutSeconds + 30) * 1000,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  const stderr = String(result.stderr).trim();
  const how = result.timedOut ? `timed out after ${timeoutSeconds} s` : result.isCanceled ? 'was cancelled' : `psql exited with code ${result.exitCode}`;
  return { ok: result.exitCode === 0, stdout: String(result.stdout), error: stderr || how };
}

function rowsOf(stdout: string): (string | null)[][] {
  const text = stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout;
  if (text === '') return [];
  return text.split(RECORD).map((record) => record.split(FIELD).map((field) => (field === NULL ? null : field)));
}

/**
 * Runs one check in two steps: psql's \gdesc describes the result without running the
 * statement (so a statement that is not a boolean query never runs), then the statement runs.
 * Each check has its own connection, so one error cannot stop the others.
 */
async function runCheck(check: Check, target: DatabaseTarget, psqlPath: string, timeoutSeconds: number, secrets: (string | undefined)[], signal?: AbortSignal): Promise<Omit<CheckResult, 'durationSeconds'>> {
  const base = { name: check.name, line: check.line, checklist: check.checklist };
  const fail = (detail: string) => ({ ...base, passed: false, detail: redact(detail.slice(0, MESSAGE_KEPT), secrets) });
  const described = await psql(psqlPath, target, `${check.sql}\n\\gdesc\n`, timeoutSeconds, signal);
  if (!described.ok) return fail(described.error);
  const columns = rowsOf(described.stdout);
  const [column, type] = columns[0]?.length === 2 ? (columns[0] as string[]) : [];
  if (!column || !type) return fail('returns no rows or columns; a check must be a query whose first column is a boolean, e.g. SELECT count(*) > 0 FROM users');
  if (type !== 'boolean') return fail(`returns ${type} in its first column (${column}), not boolean; make it a comparison, e.g. SELECT count(*) > 0 rather than SELECT count(*)`);

  const ran = await psql(psqlPath, target, `${check.sql}\n\\g\n`, timeoutSeconds, signal);
  if (!ran.ok) return fail(ran.error);
  const rows = rowsOf(ran.stdout);
  if (rows.length !== 1) return fail(`returned ${rows.length} rows; a check must return exactly one`);
  const value = rows[0]?.[0];
  if (value === 't') return { ...base, passed: true, detail: 'true' };
  return fail(value === null ? 'returned NULL' : 'returned false');
}

export async function runChecks(
  checks: readonly Check[],
  target: DatabaseTarget,
  options: { psqlPath: string; timeoutSeconds: number; secrets: (string | undefined)[]; now: () => Date; signal?: AbortSignal },
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const started = options.now();
    const result = await runCheck(check, target, options.psqlPath, options.timeoutSeconds, options.secrets, options.signal);
    results.push({ ...result, durationSeconds: secondsBetween(started, options.now()) });
  }
  return results;
}

/** The checks step's verdict: its detail, or a StepFailure with one reason per failed check. */
export function judgeChecks(results: readonly CheckResult[], path: string): string {
  const failed = results.filter((r) => !r.passed);
  if (failed.length === 0) return `${results.length} checks passed`;
  throw new StepFailure(
    `${failed.length} of ${results.length} checks failed: ${failed.map((r) => r.name).join(', ')}`,
    failed.map((r) => `check '${r.name}' (${path} line ${r.line}) failed: ${r.detail}`),
  );
}
