import { availableParallelism, tmpdir } from 'node:os';
import { parseEndpointUrl, parseRegion, type AwsSettings } from '../aws/settings.js';
import { databaseAuthFor, ignoreTokens, type TokenMask } from '../aws/rds-auth-tokens.js';
import { ConfigurationError } from '../errors.js';
import { parseReportPath } from '../report/report-path.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../postgres/connection.js';
import { parseBucket, parsePrefix } from '../storage/inputs.js';
import { parseBoolean, parseChoice, parseInteger, type InputReader } from '../util/inputs.js';
import { loadChecksFile, type ChecksFile } from '../checks/checks-file.js';
import { parseSmokeCommand, parseSmokeEnv } from '../checks/smoke-command.js';
import { parseRolePasswords } from './role-passwords.js';
import { sameDatabaseByName } from './same-database.js';
import { parseBackupSelector, type BackupSelector } from '../storage/backup-selector.js';

export interface RestoreVerifySettings {
  bucket: string;
  prefix: string;
  aws: AwsSettings;
  backup: BackupSelector;
  /** The scratch database to create, restore into, check and drop. */
  target: DatabaseTarget;
  /** Production: only compared with the target, never connected to. */
  source?: DatabaseTarget;
  allowOverwrite: boolean;
  keepDatabase: boolean;
  jobs: number;
  checks?: ChecksFile;
  /** The smoke command's words; no shell. */
  smokeCommand?: string[];
  /** Names of the step's variables passed on to the smoke command (smoke-env). */
  smokeEnv?: string[];
  smokeTimeoutSeconds: number;
  rtoSeconds: number;
  rpoSeconds: number;
  reportPath: string;
  /** Where the backup is downloaded to: RUNNER_TEMP on a runner, else the system's temp folder. */
  tempDir: string;
  /** The plan's rebuild: roles from the stored globals, then the restore with owners and privileges. */
  rebuild: boolean;
  /** Passwords to set on the roles a rebuild creates (role-passwords, from a secret). */
  rolePasswords: Record<string, string>;
  /** keep: a rebuild never changes a role the server already has; update: brings it to the backup's (password, attributes, settings, memberships added). */
  existingRoles: 'keep' | 'update';
  /** file: the archive is downloaded and checked before the restore; stream: pg_restore reads it as it arrives, checked at the end. */
  download: 'file' | 'stream';
  /** The preflight compares what the run will write with the free disk (disk-check: false skips it). */
  diskCheck: boolean;
}

/** The plan's RTO for an infrastructure failure (a rebuild), where a database failure has 1 h. */
export const REBUILD_RTO_SECONDS = 4 * 3600;

/** PostgreSQL truncates longer names to NAMEDATALEN - 1 bytes. */
const MAX_NAME_BYTES = 63;
const SYSTEM_DATABASES = ['postgres', 'template0', 'template1'];
export const DEFAULT_REPORT_PATH = 'restore-verify-report.json';

/** A database this action may create and drop: any name PostgreSQL keeps as written, except the system ones. */
export function validateScratchDatabaseName(name: string, inputName: string): string {
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new ConfigurationError(
      `${inputName} names a database of ${Buffer.byteLength(name)} bytes; PostgreSQL cuts names to ${MAX_NAME_BYTES} bytes, so use a shorter name`,
    );
  }
  if ([...name].some((char) => char.charCodeAt(0) < 0x20 || char === '\u007f')) {
    throw new ConfigurationError(
      `${inputName} names a database with control characters; use letters, digits and underscores, e.g. restore_verify`,
    );
  }
  if (SYSTEM_DATABASES.includes(name)) {
    throw new ConfigurationError(
      `${inputName} names '${name}', a database every PostgreSQL server needs; name a scratch database such as restore_verify`,
    );
  }
  return name;
}

function parseExistingRoles(input: string, rebuild: boolean): 'keep' | 'update' {
  const choice = parseChoice(input, 'existing-roles', ['keep', 'update'] as const, 'keep');
  if (choice === 'update' && !rebuild)
    throw new ConfigurationError(
      'existing-roles is update, but rebuild is not: only a rebuild makes roles; set rebuild: true or remove existing-roles',
    );
  return choice;
}

/** Every input checked before the first side effect; each mistake is one ConfigurationError. */
export function parseRestoreVerifyInputs(
  input: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  onToken: TokenMask = ignoreTokens,
): RestoreVerifySettings {
  const bucket = parseBucket(input('bucket'));
  const prefix = parsePrefix(input('prefix') || 'database/');
  const region = parseRegion(input('region'), env);
  const target = databaseAuthFor(input('database-auth'), region, onToken).apply(
    parseDatabaseUrl(input('target-database-url'), 'target-database-url'),
    'target-database-url',
    env,
  );
  validateScratchDatabaseName(target.database, 'target-database-url');
  const sourceText = input('source-database-url').trim();
  const source = sourceText ? parseDatabaseUrl(sourceText, 'source-database-url') : undefined;
  if (source && sameDatabaseByName(target, source)) {
    throw new ConfigurationError(
      `target-database-url and source-database-url are the same database (${target.display}); restore-verify creates and drops its target, so name a scratch database`,
    );
  }
  const checksPath = input('checks').trim();
  const rebuild = parseBoolean(input('rebuild'), 'rebuild', false);
  const smokeCommand = parseSmokeCommand(input('smoke-command'), env, cwd);
  return {
    bucket,
    prefix,
    aws: { region, endpointUrl: parseEndpointUrl(input('endpoint-url')) },
    backup: parseBackupSelector(input('backup'), bucket, prefix),
    target,
    source,
    allowOverwrite: parseBoolean(input('allow-overwrite'), 'allow-overwrite', false),
    keepDatabase: parseBoolean(input('keep-database'), 'keep-database', false),
    jobs: parseInteger(input('jobs'), 'jobs', availableParallelism(), 1, 64),
    checks: checksPath ? loadChecksFile(checksPath, cwd) : undefined,
    smokeCommand,
    smokeEnv: parseSmokeEnv(input('smoke-env'), smokeCommand, env),
    smokeTimeoutSeconds: parseInteger(input('smoke-timeout-seconds'), 'smoke-timeout-seconds', 600, 1),
    rtoSeconds: parseInteger(input('rto-seconds'), 'rto-seconds', rebuild ? REBUILD_RTO_SECONDS : 3600, 1),
    rpoSeconds: parseInteger(input('rpo-seconds'), 'rpo-seconds', 3600, 1),
    reportPath: parseReportPath(input('report-path'), DEFAULT_REPORT_PATH, cwd),
    tempDir: env.RUNNER_TEMP || tmpdir(),
    rebuild,
    rolePasswords: parseRolePasswords(input('role-passwords'), rebuild),
    existingRoles: parseExistingRoles(input('existing-roles'), rebuild),
    download: parseChoice(input('download'), 'download', ['file', 'stream'] as const, 'file'),
    diskCheck: parseBoolean(input('disk-check'), 'disk-check', true),
  };
}
