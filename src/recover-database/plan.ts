import { ConfigurationError } from '../errors.js';
import { quoteIdent } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import { readCatalog, selectBackup, type Selection } from '../storage/backup-selection.js';
import { downloadBytesOf } from '../storage/backup-parts.js';
import type { BackupManifest } from '../storage/manifest.js';
import type { RecoveryRun } from './backup-run.js';
import { measureDataLoss } from './data-loss.js';
import { damagedName, restoredName } from './names.js';
import { assessPhase, readServerState, type Phase, type ServerState } from './server-state.js';

/** What execute does, bound to what plan showed: the backup, the names, the database it replaces. */
export interface RecoveryPlan {
  selection: Selection & { manifest: BackupManifest };
  server: ServerState;
  phase: Phase;
  restoredAs: string;
  keptAs: string;
  /** The OID of the damaged database. */
  replaces: string;
}

async function selectRecoveryPoint(run: RecoveryRun): Promise<RecoveryPlan['selection']> {
  const selection = await selectBackup(run.store, await readCatalog(run.store), run.settings.backup, Math.random);
  const { manifest } = selection;
  if (!manifest) {
    throw new ConfigurationError(
      `${selection.backup.key} has no manifest, so neither its SHA-256 nor its row counts can prove the restore before production is replaced; choose a complete backup (backup: a key or a time), or restore this one with restore-verify (keep-database: true) and cut over by hand`,
    );
  }
  return { ...selection, manifest };
}

/** The bindings of execute to the plan, and what the server must allow; each refusal before any change. */
function refuseUnbound(run: RecoveryRun, plan: RecoveryPlan): void {
  const { settings } = run;
  const key = plan.selection.backup.key;
  if (settings.mode === 'execute' && settings.expectedRecoveryPoint !== key) {
    throw new ConfigurationError(
      `expected-recovery-point is ${settings.expectedRecoveryPoint}, but this run would restore ${key} (${plan.selection.reason}), so nothing was changed: run the plan again and review it, or set backup to ${settings.expectedRecoveryPoint}`,
    );
  }
  if (settings.expectedReplaces && settings.expectedReplaces !== plan.replaces) {
    throw new ConfigurationError(
      `expected-replaces is ${settings.expectedReplaces}, but the database to replace is now oid ${plan.replaces}, so nothing was changed: ${settings.database.database} changed since the plan; run the plan again`,
    );
  }
  const beforeRename = !['renamed', 'done'].includes(plan.phase.kind);
  if (plan.phase.kind === 'fresh' && !plan.server.canCreateDatabases) {
    throw new ConfigurationError(
      `the user of database-url may not create databases; grant it CREATEDB (ALTER ROLE ... CREATEDB): the backup is restored into a new database beside ${settings.database.database}`,
    );
  }
  if (beforeRename && plan.phase.kind !== 'half-renamed' && !plan.server.canRenameProduction) {
    throw new ConfigurationError(
      `the user of database-url does not own ${settings.database.database} (nor is a member of its owner), so it could not rename it; connect as its owner`,
    );
  }
  if (plan.phase.kind === 'restoring') {
    const name = plan.restoredAs;
    throw new ConfigurationError(
      `an earlier run's restore into ${name} did not finish (it stopped during the restore), so it cannot be proven; ${settings.database.database} was not touched. Drop it (DROP DATABASE ${quoteIdent(name)};, or DROP DATABASE ${quoteIdent(name)} WITH (FORCE); while a killed run's pg_restore is still connected to it) and run again`,
    );
  }
}

/**
 * Reads everything execute depends on (the backup, the server, where an earlier run stopped) and
 * what the recovery would lose. Changes nothing.
 */
export async function planRecovery(
  run: RecoveryRun,
  maintenance: PsqlSession,
  psqlPath: string,
): Promise<RecoveryPlan> {
  const production = run.settings.database.database;
  const selection = await selectRecoveryPoint(run);
  const server = await readServerState(maintenance, production);
  const restoredAs = restoredName(production, selection.backup.keyTime);
  const phase = assessPhase(server, production, selection.backup.key, restoredAs);
  const journal = phase.kind === 'fresh' ? undefined : phase.journal;
  const plan: RecoveryPlan = {
    selection,
    server,
    phase,
    restoredAs,
    keptAs: journal?.keptAs ?? damagedName(production, run.now()),
    replaces: phase.kind === 'fresh' ? phase.replaces.oid : (journal?.replaces ?? ''),
  };
  recordPlan(run, plan);
  refuseUnbound(run, plan);
  // After the renames the live database is the restored one: there is nothing left to lose.
  if (['fresh', 'restored', 'proven'].includes(phase.kind))
    run.details.loss = await measureDataLoss(run.settings.database, psqlPath, selection.manifest, run.now());
  return plan;
}

function recordPlan(run: RecoveryRun, plan: RecoveryPlan): void {
  const { backup, manifest, reason } = plan.selection;
  Object.assign(run.details, {
    recoveryPoint: backup.key,
    backup: {
      key: backup.key,
      reason,
      sizeBytes: downloadBytesOf(manifest, manifest.sizeBytes),
      sha256: manifest.sha256,
      ...(manifest.parts?.length ? { parts: manifest.parts.length } : {}),
      snapshotAt: manifest.snapshotAt,
      finishedAt: manifest.finishedAt,
    },
    phase: plan.phase.kind,
    replaces: plan.replaces,
    restoredAs: plan.restoredAs,
    keptAs: plan.keptAs,
  });
}

/** How the phase reads in the plan step's detail. */
export function describePhase(plan: RecoveryPlan, production: string): string {
  const { phase } = plan;
  switch (phase.kind) {
    case 'fresh':
      return `${production} (oid ${phase.replaces.oid}) is to be replaced by ${plan.selection.backup.key}; nothing started yet`;
    case 'restoring':
    case 'restored':
    case 'proven':
      return `an earlier run restored ${plan.selection.backup.key} into ${plan.restoredAs} (${phase.kind}); ${production} is untouched: this run goes on from there`;
    case 'half-renamed':
      return `an earlier run renamed the damaged database to ${plan.keptAs} but not ${plan.restoredAs} to ${production}: this run finishes the cut-over`;
    case 'renamed':
      return `an earlier run put ${plan.selection.backup.key} in place as ${production} (the damaged database is ${plan.keptAs}): this run goes on after the renames`;
    case 'done':
      return `${production} was already recovered from ${plan.selection.backup.key}${phase.journal.run ? ` by run ${phase.journal.run}` : ''}; the damaged database is ${plan.keptAs}: nothing to do`;
  }
}
