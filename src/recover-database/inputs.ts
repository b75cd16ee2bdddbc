import { availableParallelism, tmpdir } from 'node:os';
import { databaseAuthFor, ignoreTokens, type TokenMask } from '../aws/rds-auth-tokens.js';
import { parseEndpointUrl, parseRegion, type AwsSettings } from '../aws/settings.js';
import { loadChecksFile, type ChecksFile } from '../checks/checks-file.js';
import { parseHealthTarget, type HealthTarget } from '../health/target.js';
import { parseSmokeCommand, parseSmokeEnv } from '../checks/smoke-command.js';
import { ConfigurationError } from '../errors.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../postgres/connection.js';
import { parseBackupSelector, type BackupSelector } from '../storage/backup-selector.js';
import { parseBucket, parsePrefix } from '../storage/inputs.js';
import { parseBoolean, parseChoice, parseInteger, type InputReader } from '../util/inputs.js';
import { MAX_PRODUCTION_NAME_BYTES } from './names.js';
import { parseRdsSource, type RdsRecoverySettings, type RecoverSource } from './rds-inputs.js';

export type RecoverMode = 'plan' | 'execute';
export type { RecoverSource } from './rds-inputs.js';

/** The application's own commands around the cut-over, as words (no shell). */
export interface RecoveryCommands {
  stop?: string[];
  migrate?: string[];
  start?: string[];
  /** No single command may run longer. */
  timeoutSeconds: number;
}

export interface RecoverDatabaseSettings {
  mode: RecoverMode;
  /** Must equal the production database's name (the instance's identifier for an RDS source) in execute mode. */
  confirm: string;
  source: RecoverSource;
  /** For source: rds-point-in-time and rds-snapshot. */
  rds?: RdsRecoverySettings;
  bucket: string;
  prefix: string;
  aws: AwsSettings;
  backup: BackupSelector;
  /** The server and the database to replace: the damaged production database (for an RDS source: the user, password and database the restored instance is proven with). */
  database: DatabaseTarget;
  /** The plan's recovery-point output: execute refuses when it would now pick another backup. */
  expectedRecoveryPoint?: string;
  /** The plan's replaces output: execute refuses when the database to replace is another one now. */
  expectedReplaces?: string;
  commands: RecoveryCommands;
  health?: HealthTarget;
  terminateConnections: boolean;
  checks?: ChecksFile;
  smokeCommand?: string[];
  /** Names of the step's variables passed on to the smoke command (smoke-env). */
  smokeEnv?: string[];
  smokeTimeoutSeconds: number;
  jobs: number;
  rtoSeconds: number;
  reportPath: string;
  tempDir: string;
}

export const DEFAULT_REPORT_PATH = 'recover-database-report.json';
const SYSTEM_DATABASES = ['postgres', 'template0', 'template1'];

/**
 * The one guard every change sits behind: execute needs `confirm` equal to the production database's
 * name and the recovery point the reviewed plan showed.
 */
export function assertConfirmed(
  settings: Pick<RecoverDatabaseSettings, 'mode' | 'confirm' | 'database' | 'expectedRecoveryPoint' | 'rds'>,
): void {
  if (settings.mode !== 'execute') return;
  const name = settings.rds?.instanceId ?? settings.database.database;
  const what = settings.rds ? 'the instance to replace' : 'the database to replace';
  if (!settings.confirm) {
    throw new ConfigurationError(
      `mode is execute but confirm is empty, so nothing was changed: set confirm to '${name}' (${what}); run mode: plan first to see every change`,
    );
  }
  if (settings.confirm !== name) {
    const of = settings.rds ? 'instance-id' : 'the database of database-url';
    throw new ConfigurationError(
      `confirm '${settings.confirm}' does not equal ${of} ('${name}'), so nothing was changed: set confirm to exactly '${name}'`,
    );
  }
  if (!settings.expectedRecoveryPoint) {
    throw new ConfigurationError(
      "mode is execute but expected-recovery-point is empty, so nothing was changed: pass the plan's recovery-point output, so that execute restores the backup the reviewers saw",
    );
  }
  if (settings.rds?.cutover === 'dns' && !settings.rds.expectedRecordValue) {
    throw new ConfigurationError(
      "mode is execute with cutover: dns but expected-record-value is empty, so nothing was changed: pass the plan's record-value output, so that execute moves the record the reviewers saw",
    );
  }
}

function parseSource(input: InputReader): RecoverSource {
  const source = parseChoice(
    input('source'),
    'source',
    ['backup', 'rds-point-in-time', 'rds-snapshot'] as const,
    'backup',
  );
  if (source !== 'backup') return source;
  const rdsInputs: [string, string][] = [
    ['instance-id', input('instance-id')],
    ['recovery-point', input('recovery-point')],
    ['cutover', input('cutover')],
    ['hosted-zone-id', input('hosted-zone-id')],
    ['record-name', input('record-name')],
    ['expected-record-value', input('expected-record-value')],
  ];
  const rdsOnly = rdsInputs.filter(([, value]) => value.trim()).map(([name]) => name);
  if (rdsOnly.length)
    throw new ConfigurationError(
      `${rdsOnly.join(', ')} ${rdsOnly.length === 1 ? 'is' : 'are'} for an RDS source; with source: backup choose the recovery point with backup (latest, a key or a time)`,
    );
  return source;
}

function parseProductionDatabase(text: string, source: RecoverSource): DatabaseTarget {
  const database = parseDatabaseUrl(text, 'database-url');
  const name = database.database;
  if (source !== 'backup') return database;
  if (SYSTEM_DATABASES.includes(name))
    throw new ConfigurationError(
      `database-url names '${name}', a database every PostgreSQL server needs; name the production database to replace`,
    );
  if (Buffer.byteLength(name) > MAX_PRODUCTION_NAME_BYTES) {
    throw new ConfigurationError(
      `database-url names a database of ${Buffer.byteLength(name)} bytes; the names recover-database gives the restored and the damaged database add 25 bytes, and PostgreSQL keeps 63, so it recovers databases of up to ${MAX_PRODUCTION_NAME_BYTES} bytes`,
    );
  }
  return database;
}

function parseBackup(input: InputReader, bucket: string, prefix: string): BackupSelector {
  const backup = parseBackupSelector(input('backup'), bucket, prefix);
  if (backup.kind === 'random')
    throw new ConfigurationError(
      'backup: random is for restore tests; a recovery restores latest, a key, or the newest backup before a time (e.g. just before the corruption)',
    );
  return backup;
}

function parseReportPath(input: string): string {
  const path = input.trim() || DEFAULT_REPORT_PATH;
  if (path.endsWith('/'))
    throw new ConfigurationError(`report-path '${path}' is a folder; name a file, e.g. ${path}${DEFAULT_REPORT_PATH}`);
  return path;
}

function parseCommands(input: InputReader, env: NodeJS.ProcessEnv, cwd: string): RecoveryCommands {
  return {
    stop: parseSmokeCommand(input('stop-command'), env, cwd, 'stop-command'),
    migrate: parseSmokeCommand(input('migrate-command'), env, cwd, 'migrate-command'),
    start: parseSmokeCommand(input('start-command'), env, cwd, 'start-command'),
    timeoutSeconds: parseInteger(input('command-timeout-seconds'), 'command-timeout-seconds', 900, 1),
  };
}

/** Every input checked before the first side effect; each mistake is one ConfigurationError. */
export function parseRecoverDatabaseInputs(
  input: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  onToken: TokenMask = ignoreTokens,
): RecoverDatabaseSettings {
  const mode = parseChoice(input('mode'), 'mode', ['plan', 'execute'] as const, 'plan');
  const source = parseSource(input);
  const rds = source === 'backup' ? undefined : parseRdsSource(input, source);
  const bucket = rds ? '' : parseBucket(input('bucket'));
  const prefix = rds ? '' : parsePrefix(input('prefix') || 'database/');
  const region = parseRegion(input('region'), env);
  const database = databaseAuthFor(input('database-auth'), region, onToken).apply(
    parseProductionDatabase(input('database-url'), source),
    'database-url',
    env,
  );
  const checksPath = input('checks').trim();
  const smokeCommand = parseSmokeCommand(input('smoke-command'), env, cwd);
  const settings: RecoverDatabaseSettings = {
    mode,
    confirm: input('confirm').trim(),
    source,
    ...(rds ? { rds } : {}),
    bucket,
    prefix,
    aws: { region, endpointUrl: parseEndpointUrl(input('endpoint-url')) },
    backup: rds ? { kind: 'latest' } : parseBackup(input, bucket, prefix),
    database,
    expectedRecoveryPoint: input('expected-recovery-point').trim() || undefined,
    expectedReplaces: input('expected-replaces').trim() || undefined,
    commands: parseCommands(input, env, cwd),
    health: parseHealthTarget(input),
    terminateConnections: parseBoolean(input('terminate-connections'), 'terminate-connections', false),
    checks: checksPath ? loadChecksFile(checksPath, cwd) : undefined,
    smokeCommand,
    smokeEnv: parseSmokeEnv(input('smoke-env'), smokeCommand, env),
    smokeTimeoutSeconds: parseInteger(input('smoke-timeout-seconds'), 'smoke-timeout-seconds', 600, 1),
    jobs: parseInteger(input('jobs'), 'jobs', availableParallelism(), 1, 64),
    rtoSeconds: parseInteger(input('rto-seconds'), 'rto-seconds', 3600, 1),
    reportPath: parseReportPath(input('report-path')),
    tempDir: env.RUNNER_TEMP || tmpdir(),
  };
  assertConfirmed(settings);
  return settings;
}
