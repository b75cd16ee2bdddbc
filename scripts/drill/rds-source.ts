/**
 * The drill's production database as RDS knows it: an instance in the primary region whose
 * automated backups (7 days of point-in-time recovery) are replicated to the secondary region.
 * moto holds the instance; the drill's archiving PostgreSQL holds its data and WAL, and
 * harness/rds-restores.ts serves each restore RDS is asked for by a real point-in-time recovery.
 */
import { CreateDBInstanceCommand, StartDBInstanceAutomatedBackupsReplicationCommand } from '@aws-sdk/client-rds';
import { createRdsClient } from '../../src/aws/clients.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { PsqlSession } from '../../src/postgres/psql-session.js';
import type { ArchivingPrimary } from '../../harness/point-in-time.js';
import { setLatestRestorableTime } from '../../harness/rds-restores.js';

export interface RdsSource {
  instanceId: string;
  /** Payments in the database at the recovery point: the backup's plus those written after it. */
  payments: number;
  writtenAfterBackup: number;
  /** What RDS reports as LatestRestorableTime: just after the last of those writes. */
  latestRestorableTime: Date;
}

export interface RdsSourceOptions {
  instanceId: string;
  primary: ArchivingPrimary;
  database: string;
  awsEndpoint: string;
  primaryRegion: string;
  secondaryRegion: string;
  /** Payments production takes after the night's backup: what only a recovery point newer than the backup holds. */
  newPayments: number;
}

/** Production keeps taking payments after the backup, each stamped with the server's clock. */
async function takePayments(
  primary: ArchivingPrimary,
  database: string,
  count: number,
): Promise<{ payments: number; now: Date }> {
  const session = await PsqlSession.open(parseDatabaseUrl(primary.url(database), 'url'));
  try {
    await session.query(
      `INSERT INTO payments (id, subscription_id, amount, currency, status, paid_at, card_last4, description)
       SELECT gen_random_uuid(), (SELECT id FROM subscriptions ORDER BY id LIMIT 1), 49.00, 'USD', 'succeeded', clock_timestamp(), '4242', 'Renewal after the backup ' || g
       FROM generate_series(1, ${count}) g`,
    );
    const payments = Number(await session.value('SELECT count(*) FROM payments'));
    const now = new Date(
      String(
        await session.value(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`),
      ),
    );
    return { payments, now };
  } finally {
    await session.close();
  }
}

export async function createRdsSource(options: RdsSourceOptions): Promise<RdsSource> {
  const { instanceId, primary, primaryRegion, secondaryRegion, awsEndpoint } = options;
  const created = await createRdsClient({ region: primaryRegion, endpointUrl: awsEndpoint }).send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: instanceId,
      Engine: 'postgres',
      EngineVersion: primary.version,
      DBInstanceClass: 'db.r6g.large',
      MasterUsername: primary.user,
      MasterUserPassword: 'not-the-drill-password',
      AllocatedStorage: 20,
      BackupRetentionPeriod: 7,
      DeletionProtection: true,
      Tags: [{ Key: 'environment', Value: 'production' }],
    }),
  );
  // The plan's regional outage: the secondary region restores from its replica of the automated backups.
  await createRdsClient({ region: secondaryRegion, endpointUrl: awsEndpoint }).send(
    new StartDBInstanceAutomatedBackupsReplicationCommand({
      SourceDBInstanceArn: created.DBInstance?.DBInstanceArn,
      BackupRetentionPeriod: 7,
    }),
  );
  const { payments, now } = await takePayments(primary, options.database, options.newPayments);
  await setLatestRestorableTime(primaryRegion, instanceId, now, awsEndpoint);
  return { instanceId, payments, writtenAfterBackup: options.newPayments, latestRestorableTime: now };
}
