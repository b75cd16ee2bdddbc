import { createS3Client } from '../aws/clients.js';
import type { RunContext } from '../github/run-context.js';
import { missedObjectives, restoreTestPassed } from '../report/recovery-evidence.js';
import { newReport, StepRecorder, writeReport, type ReportStep } from '../report/report.js';
import { BackupStore } from '../storage/backup-store.js';
import type { Logger } from '../util/logger.js';
import { checklistTags } from '../checks/checks-file.js';
import type { RestoreVerifySettings } from './inputs.js';
import {
  measureRto,
  REPORT_KIND,
  restoreChecklist,
  restoreObjectives,
  STEP,
  type RestoreVerifyDetails,
  type RestoreVerifyReport,
} from './restore-report.js';
import { restoreVerifySteps, type RestoreRun } from './restore-steps.js';
import { describeSelector } from '../storage/backup-selector.js';
import type { DiskProbe } from './disk-preflight.js';

export interface RestoreVerifyOptions extends RestoreVerifySettings {
  run: RunContext;
  log: Logger;
  now?: () => Date;
  /** For `random`: a number in [0, 1). */
  random?: () => number;
  /** Aborting stops the running step; the scratch database is still dropped. */
  signal?: AbortSignal;
  /** The environment the smoke command inherits (connection variables are replaced). */
  env?: NodeJS.ProcessEnv;
  /** The free space of a folder's filesystem (statfs unless given): tests decide what the disk holds. */
  probeDisk?: DiskProbe;
}

export interface RestoreVerifyResult {
  report: RestoreVerifyReport;
  passed: boolean;
  reportPath: string;
  backupKey?: string;
  /** RPO now: age of the newest complete backup's data. */
  backupAgeSeconds: number | null;
  /** RPO at the worst moment of the last 30 days. */
  maxGapSeconds: number | null;
  restoreSeconds: number | null;
  /** RTO: download start to end of verification. */
  recoverySeconds: number | null;
}

/**
 * The plan's monthly restore test and its "Complete Database Recovery", automated: select a
 * backup, download and checksum it, restore it into a scratch database, prove the data equals
 * the manifest, run the user's checks and smoke command, drop the database; measure RTO and
 * RPO. Every failure after the inputs were parsed ends up in the returned report (and the
 * file at reportPath); it throws only when the report itself cannot be written.
 */
export async function runRestoreVerify(options: RestoreVerifyOptions): Promise<RestoreVerifyResult> {
  const now = options.now ?? (() => new Date());
  const { target } = options;
  const secrets = [target.password, options.source?.password, ...Object.values(options.rolePasswords)];
  const startedAt = now();
  // Response checksums only where asked for: see downloadToFile.
  const store = new BackupStore(
    createS3Client(options.aws, { responseChecksumValidation: 'WHEN_REQUIRED' }),
    options.bucket,
    options.prefix,
  );
  const details: RestoreVerifyDetails = {
    bucket: options.bucket,
    prefix: options.prefix,
    selector: describeSelector(options.backup),
    target: { database: target.display, created: false, dropped: false },
    tables: [],
    checks: { file: options.checks?.path, results: [] },
    rto: { seconds: null },
  };
  const run: RestoreRun = {
    settings: options,
    store,
    details,
    log: options.log,
    now,
    random: options.random ?? Math.random,
    secrets,
    signal: options.signal,
    env: options.env,
    probeDisk: options.probeDisk,
    madeBy: options.run.url ?? (options.run.runId ? `run ${options.run.runId}` : 'a run outside GitHub Actions'),
  };
  const { results, reasons, steps } = await restoreVerifySteps(run)
    .run(
      {},
      { recorder: new StepRecorder(now), onFailure: 'collect', log: options.log, secrets, signal: options.signal },
    )
    .finally(() => run.claim?.release());
  const report = await finishReport(options, { startedAt, finishedAt: () => now(), details, steps, reasons });
  const restoreStep = steps.find((s) => s.name === STEP.restore);
  return {
    report,
    passed: report.passed,
    reportPath: options.reportPath,
    backupKey: results.selection?.backup.key,
    backupAgeSeconds: details.rpo?.ageSeconds ?? null,
    maxGapSeconds: details.rpo?.maxGapSeconds ?? null,
    restoreSeconds: restoreStep?.status === 'passed' ? (restoreStep.durationSeconds ?? null) : null,
    recoverySeconds: details.rto.seconds,
  };
}

/** The report from the steps as they ran: RTO and RPO against their objectives, the checklist, written to reportPath. */
async function finishReport(
  options: RestoreVerifyOptions,
  run: {
    startedAt: Date;
    finishedAt: () => Date;
    details: RestoreVerifyDetails;
    steps: ReportStep[];
    reasons: string[];
  },
): Promise<RestoreVerifyReport> {
  const { details, steps } = run;
  const reasons = [...run.reasons];
  details.rto = measureRto(steps);
  const objectives = restoreObjectives(details.rto.seconds, details.rpo, {
    rtoSeconds: options.rtoSeconds,
    rpoSeconds: options.rpoSeconds,
    rebuild: options.rebuild,
  });
  reasons.push(...missedObjectives(objectives));
  if (details.catalog && details.catalog.complete === 0) {
    reasons.push(
      `RPO: there is no complete backup (object and valid manifest) under s3://${options.bucket}/${options.prefix}, so data loss cannot be bounded`,
    );
  }
  const checklist = restoreChecklist(steps, details, objectives, checklistTags(options.checks));
  const passed = restoreTestPassed(reasons, objectives);
  const report = newReport({
    kind: REPORT_KIND,
    run: options.run,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt().toISOString(),
    passed,
    reasons,
    steps,
    objectives,
    checklist,
    details,
  });
  await writeReport(options.reportPath, report);
  return report;
}
