import type { RunContext } from '../github/run-context.js';
import type { HealthProbe } from '../health/wait.js';
import { checklistItem, type ChecklistItem } from '../report/checklist.js';
import { newReport, objective, type ObjectiveResult, type Report, type ReportStep } from '../report/report.js';
import type { CommandResult } from '../util/command.js';
import { quoteWords } from '../util/command.js';
import { formatDuration, secondsBetween } from '../util/format.js';
import { redact } from '../util/redact.js';
import type { RecoverApplicationMode, RecoverApplicationSettings } from './inputs.js';

export const RECOVER_APPLICATION_KIND = 'recover-application';
export const SCENARIO = 'application crash';

/** Where the RTO is measured from. */
export type RtoStart = 'crash-command' | 'outage-started-at' | 'restart-command';

export interface LogScanResult {
  command: string;
  pattern: string;
  passed: boolean;
  detail: string;
  lines: number;
  matches: number;
  /** The first matching lines, masked. */
  shown: string[];
}

export interface HealthOutcome {
  healthy: boolean;
  attempts: number;
  last: HealthProbe;
}

export interface RecoverApplicationDetails {
  mode: RecoverApplicationMode;
  application: string;
  /** A crash-command ran first: a rehearsal, not an incident. */
  drill: boolean;
  planDigest: string;
  commands: { crash?: string; restart: string; log?: string };
  passEnv: string[];
  health: { url: string; expectStatus: number; timeoutSeconds: number; before?: HealthProbe; after?: HealthOutcome };
  crash?: CommandResult;
  restart?: CommandResult;
  logScan?: LogScanResult;
  rto: { from: RtoStart; startedAt?: string; recoveredAt?: string; recoverySeconds: number | null };
}

export type RecoverApplicationReport = Report<typeof RECOVER_APPLICATION_KIND, RecoverApplicationDetails>;

/** What a run found, as the report needs it. */
export interface RecoveryOutcome {
  steps: ReportStep[];
  reasons: string[];
  before?: HealthProbe;
  crash?: CommandResult;
  restart?: CommandResult;
  health?: HealthOutcome;
  logScan?: LogScanResult;
  rtoFrom: RtoStart;
  rtoStartedAt?: Date;
  recoveredAt?: Date;
}

const MEASURED_FROM: Record<RtoStart, string> = {
  'crash-command': 'start of crash-command',
  'outage-started-at': 'outage-started-at',
  'restart-command': 'start of restart-command',
};

export function recoverySeconds(outcome: RecoveryOutcome): number | null {
  if (!outcome.rtoStartedAt || !outcome.recoveredAt) return null;
  return secondsBetween(outcome.rtoStartedAt, outcome.recoveredAt);
}

function objectives(settings: RecoverApplicationSettings, outcome: RecoveryOutcome): ObjectiveResult[] {
  if (settings.mode === 'plan') return [];
  const measure = `${MEASURED_FROM[outcome.rtoFrom]} to ${settings.health.display} answering HTTP ${settings.health.expectStatus}`;
  return [objective('RTO', SCENARIO, measure, settings.rtoSeconds, recoverySeconds(outcome))];
}

function checklist(
  settings: RecoverApplicationSettings,
  outcome: RecoveryOutcome,
  rto: ObjectiveResult | undefined,
): ChecklistItem[] {
  if (settings.mode === 'plan') return [];
  const { health, logScan } = outcome;
  let starts: ChecklistItem;
  if (!health)
    starts = checklistItem(
      'applicationStarts',
      'failed',
      `not reached: ${outcome.reasons[0] ?? 'an earlier step failed'}`,
    );
  else if (!health.healthy)
    starts = checklistItem(
      'applicationStarts',
      'failed',
      `${settings.health.display} did not answer HTTP ${settings.health.expectStatus}`,
    );
  else if (logScan && !logScan.passed) starts = checklistItem('applicationStarts', 'failed', logScan.detail);
  else
    starts = checklistItem(
      'applicationStarts',
      'passed',
      `${settings.health.display} answered HTTP ${settings.health.expectStatus}${logScan ? `; ${logScan.detail}` : '; logs not scanned (no log-command)'}`,
    );
  const rtoRow =
    !rto || rto.passed === null
      ? checklistItem('rto', 'failed', 'the application did not recover, so no recovery time')
      : checklistItem(
          'rto',
          rto.passed ? 'passed' : 'failed',
          `${formatDuration(rto.measuredSeconds ?? 0)} of ${formatDuration(rto.targetSeconds)}`,
        );
  return [starts, rtoRow];
}

/** Values masked wherever the commands or their output are shown: passed secrets, the health URL's query. */
export function runSecrets(settings: RecoverApplicationSettings): string[] {
  const query = new URL(settings.health.url).search.slice(1);
  return [...settings.commandEnv.secrets, ...(query ? [settings.health.url, query] : [])];
}

export function buildRecoverApplicationReport(
  settings: RecoverApplicationSettings,
  outcome: RecoveryOutcome,
  run: RunContext,
  times: { startedAt: Date; finishedAt: Date },
): RecoverApplicationReport {
  const objectiveResults = objectives(settings, outcome);
  const shown = (words: string[]) => redact(quoteWords(words), runSecrets(settings));
  const reasons = [...outcome.reasons];
  const [rto] = objectiveResults;
  if (rto?.passed === false)
    reasons.push(
      `the application recovered in ${formatDuration(rto.measuredSeconds ?? 0)}, over the RTO of ${formatDuration(rto.targetSeconds)} (rto-seconds; ${rto.measure})`,
    );
  return newReport({
    kind: RECOVER_APPLICATION_KIND,
    run,
    startedAt: times.startedAt.toISOString(),
    finishedAt: times.finishedAt.toISOString(),
    passed: reasons.length === 0,
    reasons,
    steps: outcome.steps,
    objectives: objectiveResults,
    checklist: checklist(settings, outcome, rto),
    details: {
      mode: settings.mode,
      application: settings.application,
      drill: settings.crashCommand !== undefined,
      planDigest: settings.planDigest,
      commands: {
        ...(settings.crashCommand ? { crash: shown(settings.crashCommand) } : {}),
        restart: shown(settings.restartCommand),
        ...(settings.logCheck ? { log: shown(settings.logCheck.command) } : {}),
      },
      passEnv: settings.commandEnv.passed,
      health: {
        url: settings.health.display,
        expectStatus: settings.health.expectStatus,
        timeoutSeconds: settings.health.timeoutSeconds,
        before: outcome.before,
        after: outcome.health,
      },
      crash: outcome.crash,
      restart: outcome.restart,
      logScan: outcome.logScan,
      rto: {
        from: outcome.rtoFrom,
        startedAt: outcome.rtoStartedAt?.toISOString(),
        recoveredAt: outcome.recoveredAt?.toISOString(),
        recoverySeconds: recoverySeconds(outcome),
      },
    },
  });
}
