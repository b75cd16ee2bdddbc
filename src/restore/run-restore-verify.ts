import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createS3Client } from '../aws/clients.js';
import { ConfigurationError } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { findClient, type ClientBinary } from '../postgres/binaries.js';
import { PsqlSession } from '../postgres/psql-session.js';
import { newReport, StepRecorder, writeReport } from '../report/report.js';
import { BackupStore } from '../storage/backup-store.js';
import { formatBytes, formatDuration } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import type { ChecklistTag } from './checks-file.js';
import { compareWithManifest, checkFreeSpace, downloadToFile, type Downloaded } from './download.js';
import type { RestoreVerifySettings } from './inputs.js';
import { backupDetails, measureRto, REPORT_KIND, restoreChecklist, restoreObjectives, STEP, UNVERIFIABLE, type RestoreVerifyDetails, type RestoreVerifyReport } from './restore-report.js';
import { findRestoreClient, restoreCustom, restorePlain, restoreSessionOptions } from './restore-process.js';
import { measureRpo } from './rpo.js';
import { judgeChecks, runChecks } from './run-checks.js';
import { sameDatabaseResolved } from './same-database.js';
import { createScratchDatabase, dropScratchDatabase, inspectTarget, refuseUnsafeTarget, type TargetState } from './scratch-database.js';
import { readCatalog, selectBackup, type Selection } from './selection.js';
import { describeSelector } from './selector.js';
import { runSmokeCommand } from './smoke.js';
import { StepFailure, StepRunner } from './step-runner.js';
import { verifyAgainstManifest } from './verify-tables.js';

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
  const { log, target } = options;
  const secrets = [target.password, options.source?.password];
  const startedAt = now();
  const steps = new StepRunner(new StepRecorder(now), log, secrets, options.signal);
  // Response checksums only where asked for: see downloadToFile.
  const store = new BackupStore(createS3Client(options.aws, { responseChecksumValidation: 'WHEN_REQUIRED' }), options.bucket, options.prefix);
  const details: RestoreVerifyDetails = {
    bucket: options.bucket,
    prefix: options.prefix,
    selector: describeSelector(options.backup),
    target: { database: target.display, created: false, dropped: false },
    tables: [],
    checks: { file: options.checks?.path, results: [] },
    rto: { seconds: null },
  };

  let selection: Selection | undefined;
  let targetState: TargetState | undefined;
  let restoreClient: ClientBinary | undefined;
  let psqlPath = 'psql';
  let tempDir: string | undefined;
  let downloaded: Downloaded | undefined;

  try {
    selection = await steps.run(
      STEP.select,
      async () => {
        const catalog = await readCatalog(store);
        details.catalog = {
          complete: catalog.complete.length,
          withoutManifest: catalog.withoutManifest.length,
          invalidManifests: catalog.invalid.map((i) => ({ key: i.backup.key, error: i.error })),
        };
        details.rpo = measureRpo(catalog.complete.map((c) => ({ key: c.backup.key, snapshotAt: c.snapshotAt })), now());
        const chosen = await selectBackup(store, catalog, options.backup, options.random ?? Math.random);
        details.backup = backupDetails(chosen, now());
        return chosen;
      },
      (chosen) => `${chosen.backup.key}: ${chosen.reason}${chosen.manifest ? '' : ` (${UNVERIFIABLE})`}`,
    );

    await steps.run(
      STEP.preflight,
      async () => {
        const chosen = selection as Selection;
        psqlPath = (await findClient('psql')).path;
        if (options.source && (await sameDatabaseResolved(target, options.source))) {
          throw new ConfigurationError(`target-database-url resolves to the same database as source-database-url (${target.display}); name a scratch database`);
        }
        targetState = await inspectTarget(target, psqlPath);
        details.target.serverVersion = targetState.serverVersion;
        details.target.existed = targetState.exists;
        refuseUnsafeTarget(targetState, target, options.allowOverwrite);
        restoreClient = await findRestoreClient(chosen.backup.format, chosen.manifest, targetState);
        details.restore = {
          tool: restoreClient.tool,
          version: restoreClient.version,
          jobs: chosen.backup.format === 'custom' ? options.jobs : 1,
          sessionOptions: restoreSessionOptions(chosen.backup.format === 'custom' ? options.jobs : 1),
        };
        const dumpedFrom = chosen.manifest?.server.versionNum;
        if (dumpedFrom && Math.floor(dumpedFrom / 10000) > targetState.serverMajor) {
          log.warning(`the backup comes from PostgreSQL ${chosen.manifest?.server.version}, the target runs ${targetState.serverVersion}: restoring into an older server can fail`);
        }
      },
      () => {
        const state = targetState as TargetState;
        const where = state.exists ? (options.allowOverwrite && state.relationCount > 0 ? 'exists and will be dropped and recreated (allow-overwrite)' : 'exists and is empty') : 'will be created';
        return `${target.display} on PostgreSQL ${state.serverVersion} ${where}; ${restoreClient?.tool} ${restoreClient?.version}`;
      },
    );

    downloaded = await steps.run(
      STEP.download,
      async () => {
        const { backup, manifest } = selection as Selection;
        tempDir = await mkdtemp(join(options.tempDir, 'dr-actions-restore-'));
        const path = join(tempDir, basename(backup.key));
        await checkFreeSpace(path, backup.object.sizeBytes);
        return downloadToFile(store, backup.key, path, { log, signal: options.signal, now, storageChecksum: !manifest });
      },
      (d) => `${formatBytes(d.bytes)} in ${formatDuration(d.seconds)} (${formatBytes(d.bytes / Math.max(d.seconds, 0.001))}/s), SHA-256 ${d.sha256}`,
    );
    if (downloaded && details.backup) details.backup.downloaded = { bytes: downloaded.bytes, sha256: downloaded.sha256, seconds: downloaded.seconds, storageChecksumChecked: downloaded.storageChecksumChecked };

    if (selection && !selection.manifest) steps.skip(STEP.checksum, `${UNVERIFIABLE}: the SHA-256 is recorded, not compared`);
    else {
      await steps.run(
        STEP.checksum,
        async () => compareWithManifest(downloaded as Downloaded, (selection as Selection).manifest!, `s3://${options.bucket}/${(selection as Selection).backup.key}`),
        () => 'size and SHA-256 match the manifest',
      );
    }

    await steps.run(
      STEP.createDatabase,
      async () => {
        const state = targetState as TargetState;
        if (state.exists && !options.allowOverwrite) return `${target.display} exists and is empty: restoring into it; it is kept afterwards, as this run did not create it`;
        if (state.exists) await dropScratchDatabase(target, psqlPath, state.serverMajor);
        await createScratchDatabase(target, psqlPath);
        details.target.created = true;
        return state.exists ? `dropped and recreated ${target.display} (allow-overwrite)` : `created ${target.display}`;
      },
      (detail) => detail,
    );

    await steps.run(
      STEP.restore,
      async () => {
        const file = (downloaded as Downloaded).path;
        const client = restoreClient as ClientBinary;
        try {
          if ((selection as Selection).backup.format === 'custom') await restoreCustom(client, target, file, options.jobs, options.signal);
          else await restorePlain(client, target, file, options.signal);
        } finally {
          // The file is no longer needed; free the disk while the checks run.
          await rm(file, { force: true });
        }
      },
      () => `${restoreClient?.tool} ${restoreClient?.version}${(selection as Selection).backup.format === 'custom' ? ` with ${options.jobs} jobs` : ' (plain SQL, ON_ERROR_STOP)'}`,
    );

    if (selection && !selection.manifest) steps.skip(STEP.verify, `${UNVERIFIABLE}: row counts not compared`);
    else {
      await steps.run(
        STEP.verify,
        async () => {
          const session = await PsqlSession.open(target, { psqlPath });
          try {
            const verified = await verifyAgainstManifest(session, (selection as Selection).manifest!);
            details.tables = verified.tables;
            if (verified.failure) throw verified.failure;
            return verified.detail;
          } finally {
            await session.close();
          }
        },
        (detail) => detail,
        'independent',
      );
    }

    if (!options.checks) steps.skip(STEP.checks, 'no checks file');
    else {
      const checks = options.checks;
      await steps.run(
        STEP.checks,
        async () => {
          details.checks.results = await runChecks(checks.checks, target, { psqlPath, timeoutSeconds: options.rtoSeconds, secrets, now, signal: options.signal });
          return judgeChecks(details.checks.results, checks.path);
        },
        (detail) => detail,
        'independent',
      );
    }

    if (!options.smokeCommand) steps.skip(STEP.smoke, 'no smoke-command');
    else {
      const words = options.smokeCommand;
      await steps.run(
        STEP.smoke,
        async () => {
          const smoke = await runSmokeCommand(words, target, { timeoutSeconds: options.smokeTimeoutSeconds, secrets, now, env: options.env, signal: options.signal });
          details.smoke = smoke;
          if (smoke.output.trim()) log.info(`smoke command output:\n${smoke.output}`);
          if (!smoke.passed) throw new StepFailure(`${smoke.command} ${smoke.detail}`, [`smoke: ${smoke.command} ${smoke.detail}`]);
          return `${smoke.command} ${smoke.detail}`;
        },
        (detail) => detail,
        'independent',
      );
    }
  } finally {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    await dropIfCreated();
  }

  async function dropIfCreated(): Promise<void> {
    const state = targetState;
    if (!details.target.created || !state) {
      steps.skip(STEP.drop, state?.exists && !options.allowOverwrite ? 'not created by this run: left in place' : 'nothing to drop: no database was created');
      return;
    }
    if (options.keepDatabase) {
      steps.skip(STEP.drop, `keep-database: ${target.display} was kept`);
      return;
    }
    const cancelled = options.signal?.aborted;
    await steps.run(
      STEP.drop,
      async () => {
        if (cancelled) log.info('dropping the scratch database after the cancellation');
        await dropScratchDatabase(target, psqlPath, state.serverMajor);
        details.target.dropped = true;
        return `dropped ${target.display}`;
      },
      (detail) => detail,
      'always',
    );
  }

  const reasons = steps.reasons;
  details.rto = measureRto(steps.steps);
  const rtoSeconds = details.rto.seconds;
  const objectives = restoreObjectives(rtoSeconds, details.rpo, { rtoSeconds: options.rtoSeconds, rpoSeconds: options.rpoSeconds });
  for (const o of objectives) {
    if (o.passed === false) reasons.push(`${o.name} (${o.measure}): ${formatDuration(o.measuredSeconds as number)}, over the objective of ${formatDuration(o.targetSeconds)}`);
  }
  if (details.catalog && details.catalog.complete === 0) {
    reasons.push(`RPO: there is no complete backup (object and valid manifest) under s3://${options.bucket}/${options.prefix}, so data loss cannot be bounded`);
  }
  const tagged = new Set<ChecklistTag>((options.checks?.checks ?? []).flatMap((c) => c.checklist));
  const checklist = restoreChecklist(steps.steps, details, objectives, tagged);
  const passed = reasons.length === 0 && objectives.every((o) => o.passed === true);
  const report = newReport({
    kind: REPORT_KIND,
    run: options.run,
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    passed,
    reasons,
    steps: steps.steps,
    objectives,
    checklist,
    details,
  });
  await writeReport(options.reportPath, report);
  const restoreStep = steps.steps.find((s) => s.name === STEP.restore);
  return {
    report,
    passed,
    reportPath: options.reportPath,
    backupKey: selection?.backup.key,
    backupAgeSeconds: details.rpo?.ageSeconds ?? null,
    maxGapSeconds: details.rpo?.maxGapSeconds ?? null,
    restoreSeconds: restoreStep?.status === 'passed' ? (restoreStep.durationSeconds ?? null) : null,
    recoverySeconds: rtoSeconds,
  };
}
