import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createS3Client } from '../aws/clients.js';
import { ConfigurationError, errorMessage } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { findClient, type ClientBinary } from '../postgres/binaries.js';
import { PsqlSession } from '../postgres/psql-session.js';
import { newReport, StepRecorder, writeReport, type ReportStep } from '../report/report.js';
import { BackupStore } from '../storage/backup-store.js';
import { formatBytes, formatDuration, secondsBetween } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import type { ChecklistTag } from './checks-file.js';
import { compareWithManifest, checkFreeSpace, downloadToFile, type Downloaded } from './download.js';
import type { RestoreVerifySettings } from './inputs.js';
import { REPORT_KIND, restoreChecklist, restoreObjectives, STEP, UNVERIFIABLE, type BackupDetails, type RestoreVerifyDetails, type RestoreVerifyReport } from './restore-report.js';
import { restoreCustom, restorePlain, restoreSessionOptions } from './restore-process.js';
import { measureRpo } from './rpo.js';
import { runChecks } from './run-checks.js';
import { sameDatabaseResolved } from './same-database.js';
import { createScratchDatabase, dropScratchDatabase, inspectTarget, refuseUnsafeTarget, type TargetState } from './scratch-database.js';
import { readCatalog, selectBackup, type Selection } from './selection.js';
import { describeSelector } from './selector.js';
import { runSmokeCommand } from './smoke.js';
import { compareTables, describeDifferences } from './verify-tables.js';

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

/** A step failed for these reasons (one sentence each); the step's detail is the message. */
class StepFailure extends Error {
  constructor(
    message: string,
    readonly reasons: string[],
  ) {
    super(message);
  }
}

const MAX_LISTED_DIFFERENCES = 10;

function listSome(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED_DIFFERENCES).join('; ');
  return items.length > MAX_LISTED_DIFFERENCES ? `${shown}; and ${items.length - MAX_LISTED_DIFFERENCES} more` : shown;
}

function majorOf(version: string): number {
  return Number.parseInt(version, 10);
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
  const recorder = new StepRecorder(now);
  const reasons: string[] = [];
  let blockedBy: string | undefined;
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

  /**
   * Runs a step. A failed 'blocking' step stops the later ones; an 'independent' one (the
   * verifications) does not; 'always' (the drop) runs whatever failed and even after a cancel.
   */
  const attempt = async <T>(
    name: string,
    fn: () => Promise<T>,
    describe?: (result: T) => string | undefined,
    mode: 'blocking' | 'independent' | 'always' = 'blocking',
  ): Promise<T | undefined> => {
    if (blockedBy && mode !== 'always') {
      recorder.skip(name, `not run: ${blockedBy}`);
      return undefined;
    }
    if (options.signal?.aborted && mode !== 'always') {
      blockedBy = 'the run was cancelled';
      reasons.push('the run was cancelled');
      recorder.skip(name, `not run: ${blockedBy}`);
      return undefined;
    }
    log.info(`${name}...`);
    try {
      const result = await recorder.run(
        name,
        async () => {
          try {
            return await fn();
          } catch (error) {
            // Messages go into the report and the summary: no secret may ride along.
            const message = errorMessage(error);
            const clean = redact(message, secrets);
            if (clean === message) throw error;
            throw error instanceof ConfigurationError ? new ConfigurationError(clean) : new Error(clean);
          }
        },
        describe,
      );
      const step = recorder.steps.at(-1);
      if (step?.detail) log.info(`${name}: ${step.detail}`);
      return result;
    } catch (error) {
      if (mode === 'blocking') blockedBy = `'${name}' failed`;
      const stepReasons = error instanceof StepFailure ? error.reasons : [`${name}: ${errorMessage(error)}`];
      reasons.push(...stepReasons.map((r) => redact(r, secrets)));
      log.warning(`${name} failed: ${errorMessage(error)}`);
      return undefined;
    }
  };
  /** A step that does not apply (nothing configured, nothing to compare): skipped with why, failed or not. */
  const skip = (name: string, detail: string) => recorder.skip(name, detail);

  let selection: Selection | undefined;
  let targetState: TargetState | undefined;
  let restoreClient: ClientBinary | undefined;
  let psqlPath = 'psql';
  let tempDir: string | undefined;
  let downloaded: Downloaded | undefined;

  try {
    selection = await attempt(
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

    await attempt(
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
        restoreClient = await restoreClientFor(chosen, targetState);
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

    downloaded = await attempt(
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

    if (selection && !selection.manifest) skip(STEP.checksum, `${UNVERIFIABLE}: the SHA-256 is recorded, not compared`);
    else {
      await attempt(
        STEP.checksum,
        async () => compareWithManifest(downloaded as Downloaded, (selection as Selection).manifest!, `s3://${options.bucket}/${(selection as Selection).backup.key}`),
        () => 'size and SHA-256 match the manifest',
      );
    }

    await attempt(
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

    await attempt(
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

    if (selection && !selection.manifest) skip(STEP.verify, `${UNVERIFIABLE}: row counts not compared`);
    else {
      await attempt(
        STEP.verify,
        async () => {
          const manifest = (selection as Selection).manifest!;
          const session = await PsqlSession.open(target, { psqlPath });
          try {
            details.tables = await compareTables(session, manifest.tables);
          } finally {
            await session.close();
          }
          const differences = describeDifferences(details.tables);
          if (differences.length) {
            throw new StepFailure(`the restored data differs from the manifest: ${listSome(differences)}`, [
              `verify: the restored data differs from the manifest of ${manifest.key}: ${listSome(differences)}`,
            ]);
          }
          const compared = details.tables.filter((t) => t.status === 'equal');
          const rows = compared.reduce((sum, t) => sum + (t.restoredRows ?? 0), 0);
          if (manifest.rowCounts === 'off') return `${manifest.tables.length} tables present; the backup counted no rows (row-counts: off), so counts were not compared`;
          return `${compared.length} tables, ${rows.toLocaleString('en-US')} rows: every count equals the manifest`;
        },
        (detail) => detail,
        'independent',
      );
    }

    if (!options.checks) skip(STEP.checks, 'no checks file');
    else {
      const checks = options.checks;
      await attempt(
        STEP.checks,
        async () => {
          details.checks.results = await runChecks(checks.checks, target, { psqlPath, timeoutSeconds: options.rtoSeconds, secrets, now, signal: options.signal });
          const failed = details.checks.results.filter((r) => !r.passed);
          if (failed.length) {
            throw new StepFailure(
              `${failed.length} of ${details.checks.results.length} checks failed: ${failed.map((r) => r.name).join(', ')}`,
              failed.map((r) => `check '${r.name}' (${checks.path} line ${r.line}) failed: ${r.detail}`),
            );
          }
          return `${details.checks.results.length} checks passed`;
        },
        (detail) => detail,
        'independent',
      );
    }

    if (!options.smokeCommand) skip(STEP.smoke, 'no smoke-command');
    else {
      const words = options.smokeCommand;
      await attempt(
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
      recorder.skip(STEP.drop, state?.exists && !options.allowOverwrite ? 'not created by this run: left in place' : 'nothing to drop: no database was created');
      return;
    }
    if (options.keepDatabase) {
      recorder.skip(STEP.drop, `keep-database: ${target.display} was kept`);
      return;
    }
    const cancelled = options.signal?.aborted;
    await attempt(
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

  const steps = recorder.steps;
  details.rto = measureRto(steps);
  const rtoSeconds = details.rto.seconds;
  const objectives = restoreObjectives(rtoSeconds, details.rpo, { rtoSeconds: options.rtoSeconds, rpoSeconds: options.rpoSeconds });
  for (const o of objectives) {
    if (o.passed === false) reasons.push(`${o.name} (${o.measure}): ${formatDuration(o.measuredSeconds as number)}, over the objective of ${formatDuration(o.targetSeconds)}`);
  }
  if (details.catalog && details.catalog.complete === 0) {
    reasons.push(`RPO: there is no complete backup (object and valid manifest) under s3://${options.bucket}/${options.prefix}, so data loss cannot be bounded`);
  }
  const tagged = new Set<ChecklistTag>((options.checks?.checks ?? []).flatMap((c) => c.checklist));
  const checklist = restoreChecklist(steps, details, objectives, tagged);
  const passed = reasons.length === 0 && objectives.every((o) => o.passed === true);
  const report = newReport({
    kind: REPORT_KIND,
    run: options.run,
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    passed,
    reasons,
    steps,
    objectives,
    checklist,
    details,
  });
  await writeReport(options.reportPath, report);
  const restoreStep = steps.find((s) => s.name === STEP.restore);
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

  async function restoreClientFor(chosen: Selection, state: TargetState): Promise<ClientBinary> {
    const tool = chosen.backup.format === 'custom' ? 'pg_restore' : 'psql';
    const dumpMajor = chosen.manifest ? majorOf(chosen.manifest.pgDump.version) : 0;
    const needed = Math.max(state.serverMajor, dumpMajor);
    try {
      return await findClient(tool, needed, needed === state.serverMajor ? state.serverVersion : undefined);
    } catch (error) {
      if (dumpMajor > state.serverMajor && error instanceof ConfigurationError) {
        throw new ConfigurationError(`the backup was made by pg_dump ${chosen.manifest?.pgDump.version}, so restoring it needs ${tool} ${dumpMajor} or newer. ${error.message}`);
      }
      throw error;
    }
  }
}

function backupDetails(chosen: Selection, now: Date): BackupDetails {
  const m = chosen.manifest;
  return {
    key: chosen.backup.key,
    format: chosen.backup.format,
    keyTime: chosen.backup.keyTime.toISOString(),
    sizeBytes: chosen.backup.object.sizeBytes,
    reason: chosen.reason,
    verifiable: Boolean(m),
    dataFrom: m ? m.snapshotAt : chosen.backup.keyTime.toISOString(),
    ...(m
      ? {
          manifest: {
            database: m.database,
            serverVersion: m.server.version,
            pgDumpVersion: m.pgDump.version,
            compression: m.compression,
            startedAt: m.startedAt,
            finishedAt: m.finishedAt,
            snapshotAt: m.snapshotAt,
            sizeBytes: m.sizeBytes,
            sha256: m.sha256,
            storageChecksum: m.storageChecksum,
            rowCounts: m.rowCounts,
            tables: m.tables.length,
            run: m.run,
          },
        }
      : {}),
    dataAgeSeconds: secondsBetween(new Date(m ? m.snapshotAt : chosen.backup.keyTime), now),
  };
}

const RECOVERY_STEPS: string[] = [STEP.download, STEP.checksum, STEP.createDatabase, STEP.restore, STEP.verify, STEP.checks, STEP.smoke];

/**
 * RTO as the plan means it for a database failure: from the start of the download to the end
 * of the last verification (checks and smoke command included). Measured only when the
 * recovery completed: every one of those steps passed or was not configured.
 */
function measureRto(steps: readonly ReportStep[]): RestoreVerifyDetails['rto'] {
  const recovery = steps.filter((s) => RECOVERY_STEPS.includes(s.name));
  const completed = recovery.every((s) => s.status === 'passed' || (s.status === 'skipped' && !/^not run/.test(s.detail ?? '')));
  const ran = recovery.filter((s) => s.startedAt && s.finishedAt);
  const first = ran[0];
  const last = ran.at(-1);
  if (!completed || !first || !last || first.name !== STEP.download) return { seconds: null };
  return { from: first.startedAt, to: last.finishedAt, seconds: secondsBetween(new Date(first.startedAt as string), new Date(last.finishedAt as string)) };
}
