import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { verifyAgainstManifest } from '../checks/verify-tables.js';
import { withDatabase, type DatabaseTarget } from '../postgres/connection.js';
import { quoteIdent } from '../postgres/identifiers.js';
import { PsqlSession } from '../postgres/psql-session.js';
import { findRestoreClient, restoreCustom, restorePlain } from '../postgres/restore-process.js';
import type { TargetClaim } from '../postgres/target-claim.js';
import type { StepRecorder } from '../report/report.js';
import { checkFreeSpace, compareWithManifest, downloadToFile } from '../storage/backup-download.js';
import { compareParts, downloadBytesOf, downloadParts, partsOnDisk } from '../storage/backup-parts.js';
import { restoreInSections } from '../postgres/restore-sections.js';
import { createRolesStep, databaseSettingsStep } from '../storage/stored-roles.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { userProofSteps } from './application-steps.js';
import type { RecoveryRun } from './backup-run.js';
import { writeJournal, type Journal } from './journal.js';
import type { RecoveryPlan } from './plan.js';
import { STEP } from './steps.js';

/** What the restore and the cut-over share: the run, its plan, and a session on the server's maintenance database. */
export interface Execution {
  run: RecoveryRun;
  plan: RecoveryPlan;
  maintenance: PsqlSession;
  psqlPath: string;
  steps: StepRecorder;
  journal: Journal;
  /** This run's claim on the production database's name. */
  claim?: TargetClaim;
}

export function restoredTarget(execution: Execution): DatabaseTarget {
  return withDatabase(execution.run.settings.database, execution.plan.restoredAs);
}

/** Moves the journal on the database (by its current name) to `state`. */
export async function setJournal(execution: Execution, database: string, state: Journal['state']): Promise<void> {
  execution.journal = { ...execution.journal, state };
  await writeJournal(execution.maintenance, database, execution.journal);
}

/** Download, SHA-256 against the manifest, new database, roles, restore with owners, the database's settings: production is not touched. */
export async function restoreBeside(execution: Execution): Promise<void> {
  const { run, plan, steps, maintenance } = execution;
  const { backup, manifest } = plan.selection;
  const dir = await mkdtemp(join(run.settings.tempDir, 'dr-actions-recover-'));
  try {
    const file = join(dir, basename(backup.key));
    const downloaded = await steps.run(
      STEP.download,
      async () => {
        await checkFreeSpace(file, downloadBytesOf(manifest, backup.object.sizeBytes));
        const options = { log: run.log, signal: run.signal, now: run.now };
        const [downloaded, parts] = await Promise.all([
          downloadToFile(run.store, backup.key, file, { ...options, storageChecksum: false }),
          downloadParts(run.store, manifest.parts ?? [], dir, { ...options, jobs: run.settings.jobs }),
        ]);
        compareWithManifest(downloaded, manifest, `s3://${run.settings.bucket}/${backup.key}`);
        compareParts(parts, run.settings.bucket);
        return { ...downloaded, parts };
      },
      (d) =>
        `${formatBytes(d.bytes)} in ${formatDuration(d.seconds)}; size and SHA-256 ${d.sha256} match the manifest${d.parts.length ? `, and those of its ${d.parts.length} data parts` : ''}`,
    );
    const target = restoredTarget(execution);
    await steps.run(
      STEP.createDatabase,
      async () => {
        await maintenance.query(`CREATE DATABASE ${quoteIdent(target.database)} TEMPLATE template0`);
        await setJournal(execution, target.database, 'restoring');
        return `created ${target.database} beside ${run.settings.database.database}`;
      },
      (detail) => detail,
    );
    const rolesContext = {
      target,
      rolePasswords: {},
      existingRoles: 'keep' as const,
      store: run.store,
      details: run.details,
      log: run.log,
    };
    const roles = await steps.run(
      STEP.roles,
      () => createRolesStep(rolesContext, manifest, execution.psqlPath),
      (r) => r.detail,
    );
    await steps.run(
      STEP.restore,
      async () => {
        const client = await findRestoreClient(backup.format, manifest.pgDump.version, plan.server);
        const { jobs } = run.settings;
        if (manifest.parts)
          await restoreInSections(client, target, partsOnDisk(file, downloaded.parts), {
            jobs,
            signal: run.signal,
            withOwners: true,
          });
        else if (backup.format === 'custom') await restoreCustom(client, target, file, jobs, run.signal, true);
        else await restorePlain(client, target, file, run.signal);
        return `${client.tool} ${client.version}, with owners and privileges`;
      },
      (detail) => detail,
    );
    const databaseSql = roles.databaseSql;
    if (databaseSql)
      await steps.run(
        STEP.databaseSettings,
        () => databaseSettingsStep(rolesContext, databaseSql, execution.psqlPath),
        (detail) => detail,
      );
    else steps.skip(STEP.databaseSettings, "no stored globals: the database's own settings were not restored");
    await setJournal(execution, target.database, 'restored');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The proof restore-verify gives a restore: exact counts, sequences and the rest against the manifest, the checks file, the smoke command. */
export async function proveRestored(execution: Execution): Promise<void> {
  const { run, plan, steps } = execution;
  const target = restoredTarget(execution);
  await steps.run(
    STEP.verify,
    async () => {
      const session = await PsqlSession.open(target, { psqlPath: execution.psqlPath });
      try {
        const verified = await verifyAgainstManifest(session, plan.selection.manifest);
        run.details.tables = verified.tables;
        if (verified.failure) throw verified.failure;
        return verified.detail;
      } finally {
        await session.close();
      }
    },
    (detail) => detail,
  );
  await userProofSteps(execution, target, execution.psqlPath);
  await setJournal(execution, target.database, 'proven');
}
