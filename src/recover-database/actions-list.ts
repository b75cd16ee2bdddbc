import { quoteIdent } from '../postgres/identifiers.js';
import type { RecoverDatabaseSettings } from './inputs.js';
import type { RecoveryPlan } from './plan.js';

const words = (command: readonly string[] | undefined) => command?.join(' ');

function restoreActions(settings: RecoverDatabaseSettings, plan: RecoveryPlan): string[] {
  const { backup, manifest } = plan.selection;
  const restored = quoteIdent(plan.restoredAs);
  const parts = manifest.parts ?? [];
  const download = parts.length
    ? `download s3://${settings.bucket}/${backup.key} (the schema) and its ${parts.length} data parts (${parts.map((part) => part.key).join(', ')}), and compare each one's size and SHA-256 with the manifest`
    : `download s3://${settings.bucket}/${backup.key} and compare its size and SHA-256 with the manifest (${manifest.sha256})`;
  return [
    download,
    `CREATE DATABASE ${restored} TEMPLATE template0 (beside ${settings.database.database}, on the same server)`,
    'create the roles the backup depends on that the server lacks, from the globals stored with it (existing roles are left as they are)',
    restoreAction(settings, plan),
    "the database's own settings, owner and grants from the stored globals",
  ];
}

function restoreAction(settings: RecoverDatabaseSettings, plan: RecoveryPlan): string {
  const { backup, manifest } = plan.selection;
  if (manifest.parts?.length)
    return `pg_restore --exit-on-error into ${plan.restoredAs}, with owners and privileges, section by section: the schema's pre-data, then the ${manifest.parts.length} data parts ${settings.jobs} at a time, then the schema's post-data with --jobs=${settings.jobs}`;
  return backup.format === 'custom'
    ? `pg_restore --jobs=${settings.jobs} --exit-on-error into ${plan.restoredAs}, with owners and privileges`
    : `psql -v ON_ERROR_STOP=1 into ${plan.restoredAs}`;
}

function proofActions(settings: RecoverDatabaseSettings, plan: RecoveryPlan): string[] {
  return [
    `prove ${plan.restoredAs}: the exact row counts of ${plan.selection.manifest.tables.length} tables, sequences, materialized views and large objects against the manifest`,
    ...(settings.checks ? [`run the checks in ${settings.checks.path} (${settings.checks.checks.length})`] : []),
    ...(settings.smokeCommand ? [`smoke-command: ${words(settings.smokeCommand)}`] : []),
  ];
}

function cutoverActions(settings: RecoverDatabaseSettings, plan: RecoveryPlan): string[] {
  const production = quoteIdent(settings.database.database);
  const renames =
    plan.phase.kind === 'half-renamed'
      ? `ALTER DATABASE ${quoteIdent(plan.restoredAs)} RENAME TO ${production}`
      : `BEGIN; ALTER DATABASE ${production} RENAME TO ${quoteIdent(plan.keptAs)}; ALTER DATABASE ${quoteIdent(plan.restoredAs)} RENAME TO ${production}; COMMIT`;
  return [
    ...(settings.commands.stop ? [`stop-command: ${words(settings.commands.stop)}`] : []),
    settings.terminateConnections
      ? `end every session still in ${settings.database.database} (terminate-connections)`
      : `refuse, naming them, if a session still uses ${settings.database.database}`,
    renames,
  ];
}

function afterActions(settings: RecoverDatabaseSettings): string[] {
  return [
    ...(settings.commands.migrate ? [`migrate-command: ${words(settings.commands.migrate)}`] : []),
    ...(settings.commands.start ? [`start-command: ${words(settings.commands.start)}`] : []),
    ...(settings.health
      ? [
          `wait up to ${settings.health.timeoutSeconds} s for ${settings.health.display} to answer ${settings.health.expectStatus}`,
        ]
      : []),
  ];
}

/** What execute runs from where the recovery stands, in order: commands and SQL, as the reviewers should read them. */
export function recoveryActions(settings: RecoverDatabaseSettings, plan: RecoveryPlan): string[] {
  switch (plan.phase.kind) {
    case 'fresh':
      return [
        ...restoreActions(settings, plan),
        ...proofActions(settings, plan),
        ...cutoverActions(settings, plan),
        ...afterActions(settings),
      ];
    case 'restoring':
      return [];
    case 'restored':
      return [...proofActions(settings, plan), ...cutoverActions(settings, plan), ...afterActions(settings)];
    case 'proven':
    case 'half-renamed':
      return [...cutoverActions(settings, plan), ...afterActions(settings)];
    case 'renamed':
      return afterActions(settings);
    case 'done':
      return [];
  }
}

/** The SQL that puts the damaged database back under the production name, once the renames happened. */
export function putBackSql(production: string, plan: Pick<RecoveryPlan, 'restoredAs' | 'keptAs'>): string[] {
  return [
    'BEGIN;',
    `ALTER DATABASE ${quoteIdent(production)} RENAME TO ${quoteIdent(plan.restoredAs)};`,
    `ALTER DATABASE ${quoteIdent(plan.keptAs)} RENAME TO ${quoteIdent(production)};`,
    'COMMIT;',
  ];
}
