import type { DatabaseTarget } from '../postgres/connection.js';
import { runPsqlScript } from '../postgres/psql-script.js';
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

const MESSAGE_KEPT = 2_000;

/**
 * Runs one check in two steps: psql's \gdesc describes the result without running the
 * statement (so a statement that is not a boolean query never runs), then the statement runs.
 * Each check has its own connection, so one error cannot stop the others.
 */
async function runCheck(
  check: Check,
  target: DatabaseTarget,
  psqlPath: string,
  timeoutSeconds: number,
  secrets: (string | undefined)[],
  signal?: AbortSignal,
): Promise<Omit<CheckResult, 'durationSeconds'>> {
  const base = { name: check.name, line: check.line, checklist: check.checklist };
  const fail = (detail: string) => ({ ...base, passed: false, detail: redact(detail.slice(0, MESSAGE_KEPT), secrets) });
  const script = { psqlPath, applicationName: 'dr-actions restore-verify checks', timeoutSeconds, signal };
  const described = await runPsqlScript(target, `${check.sql}\n\\gdesc\n`, script);
  if (!described.ok) return fail(described.error);
  const columns = described.rows;
  const [column, type] = columns[0]?.length === 2 ? (columns[0] as string[]) : [];
  if (!column || !type)
    return fail(
      'returns no rows or columns; a check must be a query whose first column is a boolean, e.g. SELECT count(*) > 0 FROM users',
    );
  if (type !== 'boolean')
    return fail(
      `returns ${type} in its first column (${column}), not boolean; make it a comparison, e.g. SELECT count(*) > 0 rather than SELECT count(*)`,
    );

  const ran = await runPsqlScript(target, `${check.sql}\n\\g\n`, script);
  if (!ran.ok) return fail(ran.error);
  const rows = ran.rows;
  if (rows.length !== 1) return fail(`returned ${rows.length} rows; a check must return exactly one`);
  const value = rows[0]?.[0];
  if (value === 't') return { ...base, passed: true, detail: 'true' };
  return fail(value === null ? 'returned NULL' : 'returned false');
}

export async function runChecks(
  checks: readonly Check[],
  target: DatabaseTarget,
  options: {
    psqlPath: string;
    timeoutSeconds: number;
    secrets: (string | undefined)[];
    now: () => Date;
    signal?: AbortSignal;
  },
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const started = options.now();
    const result = await runCheck(
      check,
      target,
      options.psqlPath,
      options.timeoutSeconds,
      options.secrets,
      options.signal,
    );
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
