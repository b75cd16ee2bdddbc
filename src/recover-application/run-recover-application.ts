import type { RunContext } from '../github/run-context.js';
import { describeProbe, probeHealth, waitHealthy } from '../health/wait.js';
import { StepRecorder, writeReport } from '../report/report.js';
import type { Backoff } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import { runCommand, type CommandResult } from '../util/command.js';
import { formatDuration, plural } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import {
  buildRecoverApplicationReport,
  recoverySeconds,
  runSecrets,
  type LogScanResult,
  type RecoverApplicationReport,
  type RecoveryOutcome,
} from './application-report.js';
import type { LogCheck, RecoverApplicationSettings } from './inputs.js';
import { LogScan } from './log-scan.js';
import { lockApplication } from './run-lock.js';

export interface RecoverApplicationOptions extends RecoverApplicationSettings {
  run: RunContext;
  log: Logger;
  /** What the RTO and the health wait measure time by; the system clock when absent. */
  clock?: Clock;
  healthBackoff?: Backoff;
  signal?: AbortSignal;
  /** Where the commands run. */
  cwd?: string;
}

export interface RecoverApplicationResult {
  report: RecoverApplicationReport;
  recovered: boolean;
  recoverySeconds: number | null;
  reportPath: string;
}

const HEALTH_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 10_000, factor: 1.5 };

/** One run: its settings, its clock, what it has found so far. */
interface Recovery {
  options: RecoverApplicationOptions;
  now: () => Date;
  recorder: StepRecorder;
  outcome: RecoveryOutcome;
  secrets: string[];
}

/** Runs one step; a failure becomes a reason of the report and `undefined`, so the caller decides what may still run. */
async function step<T>(
  recovery: Recovery,
  name: string,
  fn: () => Promise<T>,
  describe: (result: T) => string,
): Promise<T | undefined> {
  recovery.options.log.info(`${name}...`);
  try {
    const result = await recovery.recorder.run(name, fn, describe);
    recovery.options.log.info(`${name}: ${describe(result)}`);
    return result;
  } catch (error) {
    const reason = `${name}: ${(error as Error).message}`;
    recovery.outcome.reasons.push(reason);
    recovery.options.log.warning(reason);
    return undefined;
  }
}

/** Runs a command; its output goes to the log (shown, never obeyed as workflow commands); a failure throws with how it ended. */
async function command(
  recovery: Recovery,
  input: string,
  words: string[],
  extra: Partial<Parameters<typeof runCommand>[1]> = {},
): Promise<CommandResult> {
  const { options } = recovery;
  const result = await runCommand(words, {
    env: options.commandEnv.env,
    timeoutSeconds: options.commandTimeoutSeconds,
    secrets: recovery.secrets,
    now: recovery.now,
    signal: options.signal,
    ...extra,
  });
  if (result.output.trim()) options.log.info(`${input} output:\n${result.output.trimEnd()}`);
  if (!result.passed) throw new Error(`${result.command} ${result.detail}`);
  return result;
}

/** When the step just recorded started or finished: one reading of the clock for the step and the RTO alike. */
function lastStepTime(recovery: Recovery, edge: 'startedAt' | 'finishedAt'): Date {
  const recorded = recovery.recorder.steps.at(-1)?.[edge];
  return recorded ? new Date(recorded) : recovery.now();
}

async function crashStep(recovery: Recovery, words: string[]): Promise<boolean> {
  const crash = await step(
    recovery,
    'Crash the application (drill)',
    () => command(recovery, 'crash-command', words),
    (r) => `${r.command} ${r.detail}`,
  );
  recovery.outcome.rtoStartedAt = lastStepTime(recovery, 'startedAt');
  recovery.outcome.crash = crash;
  return crash !== undefined;
}

async function restartStep(recovery: Recovery): Promise<boolean> {
  const { options, outcome } = recovery;
  // The restart starts the application: what it leaves running must go on running.
  const restart = await step(
    recovery,
    'Restart the application',
    () => command(recovery, 'restart-command', options.restartCommand, { leftovers: 'keep' }),
    (r) => `${r.command} ${r.detail}`,
  );
  outcome.rtoStartedAt ??= options.outageStartedAt ?? lastStepTime(recovery, 'startedAt');
  outcome.restart = restart;
  return restart !== undefined;
}

async function healthStep(recovery: Recovery): Promise<void> {
  const { options, outcome } = recovery;
  const target = options.health;
  await step(
    recovery,
    'Wait for health',
    async () => {
      const wait = await waitHealthy(target, options.healthBackoff ?? HEALTH_BACKOFF, options.clock ?? systemClock);
      outcome.health = wait;
      if (!wait.healthy) {
        throw new Error(
          `${target.display} did not answer HTTP ${target.expectStatus} within health-timeout-seconds (${formatDuration(target.timeoutSeconds)}): ${plural(wait.attempts, 'attempt')}, last answer ${describeProbe(wait.last)}. The restart-command ran; check the application's logs`,
        );
      }
      return wait;
    },
    (wait) => `${target.display} answered HTTP ${target.expectStatus} after ${plural(wait.attempts, 'attempt')}`,
  );
  if (outcome.health?.healthy) outcome.recoveredAt = lastStepTime(recovery, 'finishedAt');
}

async function logStep(recovery: Recovery, check: LogCheck): Promise<void> {
  const scan = new LogScan(check.pattern);
  const result: LogScanResult = {
    command: '',
    pattern: check.pattern.source,
    passed: false,
    detail: '',
    lines: 0,
    matches: 0,
    shown: [],
  };
  recovery.outcome.logScan = result;
  await step(
    recovery,
    'Check the logs for errors',
    async () => {
      const ran = await runCommand(check.command, {
        env: recovery.options.commandEnv.env,
        timeoutSeconds: recovery.options.commandTimeoutSeconds,
        secrets: recovery.secrets,
        now: recovery.now,
        signal: recovery.options.signal,
        onOutput: (chunk, stream) => scan.add(chunk, stream),
      });
      scan.finish();
      Object.assign(result, {
        command: ran.command,
        lines: scan.lines,
        matches: scan.matches,
        shown: scan.shown.map((line) => redact(line, recovery.secrets)),
      });
      if (!ran.passed)
        throw new Error((result.detail = `log-command ${ran.command} ${ran.detail}, so the logs were not checked`));
      if (scan.matches > 0) {
        recovery.options.log.info(
          `log lines matching log-errors /${check.pattern.source}/:\n${result.shown.join('\n')}`,
        );
        throw new Error(
          (result.detail = `${plural(scan.matches, 'line')} of ${scan.lines} the log-command printed ${scan.matches === 1 ? 'matches' : 'match'} log-errors /${check.pattern.source}/; the first: ${result.shown[0] ?? ''}`),
        );
      }
      result.passed = true;
      result.detail = `none of ${plural(scan.lines, 'log line')} matches log-errors`;
      return result;
    },
    (r) => r.detail,
  );
}

async function execute(recovery: Recovery): Promise<void> {
  const { options } = recovery;
  if (options.crashCommand && !(await crashStep(recovery, options.crashCommand))) return;
  if (!(await restartStep(recovery))) return;
  await healthStep(recovery);
  // The logs are read whatever the health wait found: when it failed, they say why.
  if (options.logCheck) await logStep(recovery, options.logCheck);
  else recovery.recorder.skip('Check the logs for errors', 'no log-command');
}

async function plan(recovery: Recovery): Promise<void> {
  const target = recovery.options.health;
  await step(
    recovery,
    'Probe health',
    async () => (recovery.outcome.before = await probeHealth(target)),
    (probe) =>
      `${target.display} answers ${describeProbe(probe)} now; execute would restart the application and wait for HTTP ${target.expectStatus}`,
  );
}

/**
 * The plan's Application Recovery. Plan: runs nothing, says what execute would run and how the
 * application answers now. Execute: (in a drill, the crash first), the restart, the bounded wait
 * for health, the log check; the RTO from the crash, the outage's start, or the restart.
 */
export async function runRecoverApplication(options: RecoverApplicationOptions): Promise<RecoverApplicationResult> {
  const clock = options.clock ?? systemClock;
  const now = () => new Date(clock.now());
  const startedAt = now();
  const rtoFrom = options.crashCommand
    ? 'crash-command'
    : options.outageStartedAt
      ? 'outage-started-at'
      : 'restart-command';
  const recovery: Recovery = {
    options,
    now,
    recorder: new StepRecorder(now),
    outcome: { steps: [], reasons: [], rtoFrom },
    secrets: runSecrets(options),
  };
  if (options.mode === 'plan') await plan(recovery);
  else {
    const release = await lockApplication(options.application, startedAt);
    try {
      await execute(recovery);
    } finally {
      await release();
    }
  }
  if (options.signal?.aborted) recovery.outcome.reasons.push('the run was cancelled');
  recovery.outcome.steps = recovery.recorder.steps;
  const report = buildRecoverApplicationReport(options, recovery.outcome, options.run, {
    startedAt,
    finishedAt: now(),
  });
  await writeReport(options.reportPath, report);
  const recovered =
    options.mode === 'execute' && recovery.outcome.recoveredAt !== undefined && recovery.outcome.restart !== undefined;
  return { report, recovered, recoverySeconds: recoverySeconds(recovery.outcome), reportPath: options.reportPath };
}
