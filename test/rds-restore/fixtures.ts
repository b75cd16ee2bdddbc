import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateDBInstanceCommand, StartDBInstanceAutomatedBackupsReplicationCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerClient } from '../../src/aws/database-secret.js';
import { parseChecks } from '../../src/checks/checks-file.js';
import type { RdsRestoreSettings } from '../../src/rds-restore/inputs.js';
import type { RdsRestoreOptions } from '../../src/rds-restore/run-rds-restore-test.js';
import { silentLogger } from '../../src/util/logger.js';
import { describe as describeInstance, PRIMARY_REGION, rdsIn } from '../../harness/aws-topology.js';
import { stackFromEnv } from '../../harness/stack.js';
import { startArchivingPrimary, type ArchivingPrimary } from '../../harness/point-in-time.js';
import { databaseAuthFor, ignoreTokens } from '../../src/aws/rds-auth-tokens.js';

export const PACING = {
  poll: { initialMs: 100, maxMs: 300, factor: 1.5 },
  progressEveryMs: 1_000,
  connect: { initialMs: 100, maxMs: 500, factor: 1.5 },
  connectTimeoutMs: 30_000,
  throttle: { initialMs: 10, maxMs: 50, factor: 2 },
};

export async function psql(url: string, text: string): Promise<string> {
  const { execa } = await import('execa');
  const { stdout } = await execa('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url], { input: text });
  return stdout.trim();
}

/** The server's own clock, after a commit: the instant the commit is visible from. */
export async function serverNow(primary: ArchivingPrimary): Promise<Date> {
  return new Date(
    await psql(
      primary.url(),
      'SELECT to_char(clock_timestamp() AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')',
    ),
  );
}

const PAYMENTS_TABLE =
  'CREATE TABLE payments (id serial PRIMARY KEY, amount numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp())';

/** An archiving primary whose `shop` database has the payments table (and what `moreSql` adds), still empty. */
export async function startShopPrimary(moreSql = ''): Promise<ArchivingPrimary> {
  const primary = await startArchivingPrimary();
  await psql(primary.url(), 'CREATE DATABASE shop');
  await psql(primary.url('shop'), `${PAYMENTS_TABLE};${moreSql}`);
  return primary;
}

export async function addPayments(primary: ArchivingPrimary, count: number): Promise<void> {
  await psql(primary.url('shop'), `INSERT INTO payments (amount) SELECT 10 FROM generate_series(1, ${count})`);
}

/**
 * The source instance as RDS knows it: made after the base backup, so its whole window can be restored.
 * With `managedMasterUser`, RDS manages its master password in Secrets Manager (ManageMasterUserPassword).
 */
export async function createSource(
  region = PRIMARY_REGION,
  { managedMasterUser }: { managedMasterUser?: string } = {},
): Promise<string> {
  const id = `shop-${randomBytes(4).toString('hex')}`;
  await rdsIn(region).send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      EngineVersion: '15.8',
      DBInstanceClass: 'db.r6g.large',
      ...(managedMasterUser
        ? { MasterUsername: managedMasterUser, ManageMasterUserPassword: true }
        : { MasterUsername: 'postgres', MasterUserPassword: 'not-a-real-secret' }),
      AllocatedStorage: 20,
      BackupRetentionPeriod: 7,
      DeletionProtection: true,
      PubliclyAccessible: true,
      Tags: [{ Key: 'team', Value: 'payments' }],
    }),
  );
  return id;
}

export const secretsIn = (region: string) =>
  createSecretsManagerClient({ region, endpointUrl: stackFromEnv().awsEndpoint });

/** The master login RDS keeps for an instance created with ManageMasterUserPassword, and its secret's ARN. */
export async function managedMasterLogin(
  id: string,
  region = PRIMARY_REGION,
): Promise<{ arn: string; username: string; password: string }> {
  const arn = (await describeInstance(id, region)).MasterUserSecret?.SecretArn;
  if (!arn) throw new Error(`${id} has no MasterUserSecret`);
  const { SecretString } = await secretsIn(region).send(new GetSecretValueCommand({ SecretId: arn }));
  return { arn, ...(JSON.parse(SecretString ?? '') as { username: string; password: string }) };
}

/** What a rotation does to the secret: a new current version; the one before becomes AWSPREVIOUS. */
export async function rotateSecret(arn: string, login: { username: string; password: string }): Promise<void> {
  await secretsIn(PRIMARY_REGION).send(
    new PutSecretValueCommand({
      SecretId: arn,
      SecretString: JSON.stringify({ username: login.username, password: login.password }),
    }),
  );
}

export async function replicateBackups(sourceId: string, to: string): Promise<void> {
  await rdsIn(to).send(
    new StartDBInstanceAutomatedBackupsReplicationCommand({
      SourceDBInstanceArn: `arn:aws:rds:${PRIMARY_REGION}:123456789012:db:${sourceId}`,
    }),
  );
}

/** What RDS would report as the last moment the instance's logs reached S3. */
export { setLatestRestorableTime } from '../../harness/rds-restores.js';

export async function checksFile(text: string): Promise<string> {
  const path = join(tmpdir(), `rds-checks-${randomBytes(4).toString('hex')}.sql`);
  await writeFile(path, text);
  return path;
}

export function settings(
  primary: ArchivingPrimary,
  instanceId: string,
  overrides: Partial<RdsRestoreSettings> = {},
): RdsRestoreSettings {
  return {
    mode: 'restore-test',
    instanceId,
    sourceRegion: PRIMARY_REGION,
    region: PRIMARY_REGION,
    endpointUrl: stackFromEnv().awsEndpoint,
    recoveryPoint: { kind: 'latest' },
    instanceClass: 'db.t4g.small',
    securityGroupIds: ['sg-0123456789abcdef0'],
    master: { from: 'inputs', username: primary.user, password: primary.password },
    databaseAuth: databaseAuthFor('password', PRIMARY_REGION, ignoreTokens),
    database: 'shop',
    checks: parseChecks(
      '-- name: payments exist\n-- checklist: payments\nSELECT count(*) > 0 FROM payments;\n',
      'checks.sql',
    ),
    smokeTimeoutSeconds: 60,
    countTables: [{ schema: 'public', table: 'payments' }],
    freshness: [{ schema: 'public', table: 'payments', column: 'created_at' }],
    rtoSeconds: 3_600,
    rpoSeconds: 3_600,
    keepInstance: false,
    waitTimeoutMinutes: 5,
    reportPath: join(tmpdir(), `rds-restore-${randomBytes(4).toString('hex')}.json`),
    ...overrides,
  };
}

export function options(s: RdsRestoreSettings, extra: Partial<RdsRestoreOptions> = {}): RdsRestoreOptions {
  return {
    ...s,
    run: { repository: 'acme/shop', runId: randomBytes(3).toString('hex'), runAttempt: '1' },
    log: silentLogger,
    pacing: PACING,
    ...extra,
  };
}
