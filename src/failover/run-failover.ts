import { ConfigurationError, errorMessage } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { StepRecorder, writeReport } from '../report/report.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import { createContext, type FailoverPacing } from './context.js';
import { executeFailover, type ExecutionOutcome } from './execute.js';
import { buildFailoverReport, type FailoverReport } from './failover-report.js';
import { nextSteps, rollback } from './guidance.js';
import type { FailoverMode, FailoverSettings } from './inputs.js';
import { previousRecordValue, runPreflight, type Preflight } from './preflight.js';

export interface RunFailoverOptions extends FailoverSettings {
  run: RunContext;
  log: Logger;
  pacing?: Partial<FailoverPacing>;
  /** What the waits measure time by; tests pass one that does not sleep. */
  clock?: Clock;
}

export interface FailoverResult {
  mode: FailoverMode;
  /** The replica is a standalone primary now (promoted by this run or an earlier one). */
  promoted: boolean;
  /** host:port of the new primary; empty when the replica was not found. */
  endpoint: string;
  /** What the record held before this run changed (or, in plan mode, would change) it. */
  previousRecordValue: string;
  /**
   * The record as preflight read it, in the form expected-record-value takes (`(none)` when it does
   * not exist); empty when no record was given or it could not be read.
   */
  recordValue: string;
  /** The Route 53 change this run made; empty when it made none. */
  changeId: string;
  durationSeconds: number;
  reportPath: string;
  report: FailoverReport;
  preflight?: Preflight;
  outcome: ExecutionOutcome;
  /** Why the run failed; absent when it passed. A ConfigurationError is a guard that refused. */
  error?: Error;
}

/**
 * Preflight, then in plan mode nothing more, in execute mode promotion, the writable proof, the
 * DNS switch and the health check. Always returns (and writes the JSON report) once the inputs
 * are valid: a failure is in `error`, with the report showing every step's timing and outcome.
 */
export async function runFailover(options: RunFailoverOptions): Promise<FailoverResult> {
  const startedAt = new Date();
  const ctx = await createContext(options, options.log, options.pacing, options.clock, options.run);
  const steps = new StepRecorder();
  const outcome: ExecutionOutcome = { promoted: false, recordSwitched: false };
  const secrets = [options.replicaDatabase?.password];
  let preflight: Preflight | undefined;
  let error: Error | undefined;
  try {
    preflight = await steps.run(
      'preflight',
      () => runPreflight(options, ctx),
      (result) => `${result.findings.length} findings, ${result.blockers.length} blocking`,
    );
    outcome.promoted = preflight.role === 'promoted';
    for (const finding of preflight.findings) options.log.info(`preflight: ${finding.check}: ${finding.finding}`);
    if (options.mode === 'plan') {
      if (preflight.blockers.length)
        throw new ConfigurationError(`execute would refuse: ${preflight.blockers.join('; ')}`);
    } else {
      await executeFailover(options, preflight, ctx, steps, outcome);
    }
  } catch (caught) {
    // Kept as thrown (its class says what failed), with any password taken out.
    error = caught instanceof Error ? caught : new Error(errorMessage(caught));
    error.message = redact(error.message, secrets);
    if (error.stack) error.stack = redact(error.stack, secrets);
  }
  const finishedAt = new Date();
  const report = buildFailoverReport({
    settings: options,
    run: options.run,
    startedAt,
    finishedAt,
    steps: steps.steps,
    preflight,
    outcome,
    failures: error ? [error.message] : [],
    nextSteps: preflight ? nextSteps(options, preflight) : [],
    rollback: preflight ? rollback(options, preflight) : [],
  });
  if (!error && !report.passed) error = new Error(report.reasons.join('; '));
  await writeReport(options.reportPath, report);
  return {
    mode: options.mode,
    promoted: outcome.promoted,
    endpoint: preflight?.endpoint ?? '',
    previousRecordValue: preflight ? previousRecordValue(preflight) : '',
    recordValue: preflight?.record?.value ?? '',
    changeId: outcome.changeId ?? '',
    durationSeconds: report.durationSeconds,
    reportPath: options.reportPath,
    report,
    preflight,
    outcome,
    ...(error ? { error } : {}),
  };
}
