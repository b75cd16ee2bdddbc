import { databaseAuthFor, ignoreTokens, type TokenMask } from '../aws/rds-auth-tokens.js';
import { parseIdentifier } from '../aws/rds-instance-ref.js';
import { parseEndpointUrl, parseRegion } from '../aws/settings.js';
import { loadChecksFile, type ChecksFile } from '../checks/checks-file.js';
import { parseSmokeCommand, parseSmokeEnv } from '../checks/smoke-command.js';
import { ConfigurationError } from '../errors.js';
import { parseReportPath } from '../report/report-path.js';
import { parseRetention, type RetentionPolicy } from '../retention/retention.js';
import { parseBoolean, parseChoice, parseInteger, type InputReader } from '../util/inputs.js';
import { parseRecoveryPoint, type RecoveryPointSelector } from '../aws/rds-recovery-point.js';
import { parseDatabaseSecretRef, type DatabaseSecretRef } from '../aws/database-secret-ref.js';

export type RdsRestoreMode = 'restore-test' | 'snapshot';

/** A column whose newest value shows how recent the restored data is, e.g. payments.created_at. */
export interface FreshnessColumn {
  schema: string;
  table: string;
  column: string;
}

/**
 * The source's master login, which the restored instance keeps: given as inputs, or read from
 * Secrets Manager when the run starts (the user then comes from the secret unless username names it).
 */
export type MasterLogin =
  | { from: 'inputs'; username: string; password: string }
  | { from: 'secret'; secret: DatabaseSecretRef; username?: string }
  | { from: 'iam'; username: string };

export interface RdsRestoreSettings {
  mode: 'restore-test';
  instanceId: string;
  /** Where the source instance lives. */
  sourceRegion: string;
  /** Where the temporary instance is restored: the source region, or the secondary (regional outage). */
  region: string;
  endpointUrl?: string;
  recoveryPoint: RecoveryPointSelector;
  instanceClass: string;
  subnetGroup?: string;
  securityGroupIds: string[];
  master: MasterLogin;
  /** database-auth: how the restored instance is signed in to (its password, or an IAM token per connection). */
  databaseAuth: ReturnType<typeof databaseAuthFor>;
  database: string;
  checks?: ChecksFile;
  smokeCommand?: string[];
  /** Names of the step's variables passed on to the smoke command (smoke-env). */
  smokeEnv?: string[];
  smokeTimeoutSeconds: number;
  /** Tables whose rows are counted exactly (the others get the planner's estimate). */
  countTables: { schema: string; table: string }[];
  freshness: FreshnessColumn[];
  rtoSeconds: number;
  rpoSeconds: number;
  keepInstance: boolean;
  waitTimeoutMinutes: number;
  reportPath: string;
}

export interface HourlySnapshotSettings {
  mode: 'snapshot';
  instanceId: string;
  sourceRegion: string;
  /** The secondary region the snapshot is copied to; absent: no copy. */
  copyRegion?: string;
  kmsKeyId?: string;
  retention: RetentionPolicy | 'off';
  waitTimeoutMinutes: number;
  endpointUrl?: string;
  reportPath: string;
}

export const DEFAULT_REPORT_PATH = 'rds-restore-test-report.json';
/** Hourly manual snapshots against RDS's default quota of 100 per region: two days of hourlies, then weekly and monthly. */
export const DEFAULT_SNAPSHOT_RETENTION = 'daily=2,weekly=35,monthly=365';
const DEFAULT_INSTANCE_CLASS = 'db.t4g.small';
/** The plan's objectives: database failure 1 h / 1 h; regional outage 8 h / 1 h. */
const RTO_SAME_REGION = 3_600;
const RTO_OTHER_REGION = 28_800;

const IDENT = '([A-Za-z_][A-Za-z0-9_$]*)';

function parseTableList(input: string, name: string): { schema: string; table: string }[] {
  return input
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((text) => {
      const match = new RegExp(`^(?:${IDENT}\\.)?${IDENT}$`).exec(text);
      if (!match)
        throw new ConfigurationError(
          `${name}: '${text}' is not a table name; write schema.table or table, separated by commas`,
        );
      return { schema: match[1] ?? 'public', table: match[2] as string };
    });
}

function parseFreshness(input: string): FreshnessColumn[] {
  return input
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((text) => {
      const match = new RegExp(`^(?:${IDENT}\\.)?${IDENT}\\.${IDENT}$`).exec(text);
      if (!match)
        throw new ConfigurationError(
          `newest-row-columns: '${text}' is not table.column; write e.g. payments.created_at or public.payments.created_at`,
        );
      return { schema: match[1] ?? 'public', table: match[2] as string, column: match[3] as string };
    });
}

function parseSecurityGroups(input: string): string[] {
  const ids = input.split(/[\s,]+/).filter(Boolean);
  const bad = ids.find((id) => !/^sg-[0-9a-f]{8,17}$/.test(id));
  if (bad)
    throw new ConfigurationError(
      `vpc-security-group-ids: '${bad}' is not a security group id like sg-0123456789abcdef0`,
    );
  return ids;
}

function parseSnapshotInputs(input: InputReader, env: NodeJS.ProcessEnv, cwd: string): HourlySnapshotSettings {
  const sourceRegion = parseRegion(input('source-region'), env, 'source-region');
  const copyText = input('copy-to-region').trim();
  const copyRegion = copyText ? parseRegion(copyText, env, 'copy-to-region') : undefined;
  if (copyRegion === sourceRegion)
    throw new ConfigurationError(
      `copy-to-region is the source region (${sourceRegion}); name the secondary region, or leave it empty for no copy`,
    );
  const kmsKeyId = input('kms-key-id').trim() || undefined;
  if (kmsKeyId && !copyRegion)
    throw new ConfigurationError('kms-key-id is the key of the copy in copy-to-region; set copy-to-region too');
  return {
    mode: 'snapshot',
    instanceId: parseIdentifier(input('instance-id'), 'instance-id'),
    sourceRegion,
    copyRegion,
    kmsKeyId,
    retention: parseRetention(input('retention') || DEFAULT_SNAPSHOT_RETENTION),
    waitTimeoutMinutes: parseInteger(input('wait-timeout-minutes'), 'wait-timeout-minutes', 60, 1, 24 * 60),
    endpointUrl: parseEndpointUrl(input('endpoint-url')),
    reportPath: parseReportPath(input('report-path'), DEFAULT_REPORT_PATH, cwd),
  };
}

/**
 * Exactly one of password and master-password-secret: a second source of the same password is a
 * mistake, not a fallback. With database-auth iam neither: username then names a user with rds_iam.
 */
function parseMasterLogin(input: InputReader, auth: 'password' | 'iam'): MasterLogin {
  const username = input('username').trim();
  const password = input('password');
  const secret = parseDatabaseSecretRef(input('master-password-secret'), 'master-password-secret');
  if (auth === 'iam') {
    if (password || secret)
      throw new ConfigurationError(
        `${password ? 'password' : 'master-password-secret'} is set, but database-auth is iam: remove it (the restored instance is signed in to with an IAM token for username)`,
      );
    if (!username)
      throw new ConfigurationError(
        'username is required with database-auth iam: a user of the source that has rds_iam',
      );
    return { from: 'iam', username };
  }
  if (password && secret)
    throw new ConfigurationError(
      'password and master-password-secret are both set: keep one, master-password-secret (the secret RDS keeps the master password in) or password',
    );
  if (secret) return { from: 'secret', secret, ...(username ? { username } : {}) };
  if (!password)
    throw new ConfigurationError(
      "the source instance's master password is required (the restored instance keeps it): set master-password-secret to managed (the secret RDS keeps it in) or a secret's ARN, or password to a GitHub secret; or database-auth: iam with a username that has rds_iam",
    );
  if (!username)
    throw new ConfigurationError(
      "username is required with password: the source instance's master user (the restored instance keeps it)",
    );
  return { from: 'inputs', username, password };
}

/** Every input checked before the first side effect; each mistake is one ConfigurationError. */
export function parseRdsRestoreInputs(
  input: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  onToken: TokenMask = ignoreTokens,
): RdsRestoreSettings | HourlySnapshotSettings {
  const mode = parseChoice(input('mode'), 'mode', ['restore-test', 'snapshot'] as const, 'restore-test');
  if (mode === 'snapshot') return parseSnapshotInputs(input, env, cwd);
  const sourceRegion = parseRegion(input('source-region'), env, 'source-region');
  const region = input('region').trim() ? parseRegion(input('region'), env, 'region') : sourceRegion;
  const databaseAuth = databaseAuthFor(input('database-auth'), region, onToken);
  const checksPath = input('checks').trim();
  const smokeCommand = parseSmokeCommand(input('smoke-command'), env, cwd);
  const subnetGroup = input('db-subnet-group').trim() || undefined;
  return {
    mode,
    instanceId: parseIdentifier(input('instance-id'), 'instance-id'),
    sourceRegion,
    region,
    endpointUrl: parseEndpointUrl(input('endpoint-url')),
    recoveryPoint: parseRecoveryPoint(input('recovery-point')),
    instanceClass: input('instance-class').trim() || DEFAULT_INSTANCE_CLASS,
    subnetGroup,
    securityGroupIds: parseSecurityGroups(input('vpc-security-group-ids')),
    master: parseMasterLogin(input, databaseAuth.auth),
    databaseAuth,
    database: input('database').trim() || 'postgres',
    checks: checksPath ? loadChecksFile(checksPath, cwd) : undefined,
    smokeCommand,
    smokeEnv: parseSmokeEnv(input('smoke-env'), smokeCommand, env),
    smokeTimeoutSeconds: parseInteger(input('smoke-timeout-seconds'), 'smoke-timeout-seconds', 600, 1),
    countTables: parseTableList(input('count-tables'), 'count-tables'),
    freshness: parseFreshness(input('newest-row-columns')),
    rtoSeconds: parseInteger(
      input('rto-seconds'),
      'rto-seconds',
      region === sourceRegion ? RTO_SAME_REGION : RTO_OTHER_REGION,
      1,
    ),
    rpoSeconds: parseInteger(input('rpo-seconds'), 'rpo-seconds', 3_600, 1),
    keepInstance: parseBoolean(input('keep-instance'), 'keep-instance', false),
    waitTimeoutMinutes: parseInteger(input('wait-timeout-minutes'), 'wait-timeout-minutes', 60, 1, 24 * 60),
    reportPath: parseReportPath(input('report-path'), DEFAULT_REPORT_PATH, cwd),
  };
}
