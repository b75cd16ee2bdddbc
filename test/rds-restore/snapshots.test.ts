import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CopyDBSnapshotCommand, CreateDBSnapshotCommand, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHourlySnapshots } from '../../src/rds-restore/hourly-snapshots.js';
import { SNAPSHOT_MADE_BY, SNAPSHOT_OF_TAG } from '../../src/rds-restore/own-snapshots.js';
import { runRdsRestoreTest } from '../../src/rds-restore/run-rds-restore-test.js';
import { MADE_BY_TAG } from '../../src/rds-restore/tags.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { awsCli } from '../../harness/aws-cli.js';
import { PRIMARY_REGION, rdsIn, SECONDARY_REGION } from '../../harness/aws-topology.js';
import { stackFromEnv } from '../../harness/stack.js';
import type { ArchivingPrimary } from '../../harness/point-in-time.js';
import { serveRestores, type RestoreService } from '../../harness/rds-restores.js';
import { addPayments, createSource, options, settings, startShopPrimary } from './fixtures.js';

const LONG = 300_000;
let primary: ArchivingPrimary;
let service: RestoreService;
let sourceId: string;
let kmsKeyArn: string;

const snapshotsIn = async (region: string) => {
  const listed = await rdsIn(region).send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: sourceId }));
  return (listed.DBSnapshots ?? []).map((s) => ({
    id: s.DBSnapshotIdentifier as string,
    type: s.SnapshotType,
    tags: Object.fromEntries((s.TagList ?? []).map((t) => [t.Key, t.Value])),
  }));
};

const hourly = (clock = systemClock) =>
  runHourlySnapshots({
    mode: 'snapshot',
    instanceId: sourceId,
    sourceRegion: PRIMARY_REGION,
    copyRegion: SECONDARY_REGION,
    kmsKeyId: kmsKeyArn,
    retention: { dailyDays: 2, weeklyDays: 35, monthlyDays: 365 },
    waitTimeoutMinutes: 1,
    endpointUrl: stackFromEnv().awsEndpoint,
    reportPath: join(tmpdir(), `rds-snapshot-${randomBytes(4).toString('hex')}.json`),
    run: { repository: 'acme/shop', runId: '7', runAttempt: '1' },
    log: silentLogger,
    clock,
    poll: { initialMs: 50, maxMs: 200, factor: 1.5 },
  });

beforeAll(async () => {
  primary = await startShopPrimary();
  service = serveRestores(primary, stackFromEnv().awsEndpoint, { serves: (r) => r.sourceInstance === sourceId });
  sourceId = await createSource();
  kmsKeyArn = JSON.parse(
    await awsCli(['--region', SECONDARY_REGION, 'kms', 'create-key', '--description', 'dr copies']),
  ).KeyMetadata.Arn as string;
  // Snapshots this mode did not make: one by hand in each region. The automated one moto made at creation is there too.
  await rdsIn(PRIMARY_REGION).send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: sourceId, DBSnapshotIdentifier: `${sourceId}-by-hand` }),
  );
  await rdsIn(SECONDARY_REGION).send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: `arn:aws:rds:${PRIMARY_REGION}:123456789012:snapshot:${sourceId}-by-hand`,
      TargetDBSnapshotIdentifier: `${sourceId}-by-hand-copy`,
    }),
  );
  await addPayments(primary, 2);
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await primary?.stop();
});

describe('hourly snapshots, copied to the secondary region, and restores of them', () => {
  let first: { snapshotId?: string; copiedSnapshotId?: string };

  test(
    'mode snapshot: a tagged manual snapshot, its copy in the secondary region with the KMS key given',
    async () => {
      const result = await hourly();
      expect(result.report.reasons).toEqual([]);
      first = result;
      expect(result.snapshotId).toMatch(new RegExp(`^${sourceId}-dr-\\d{8}-\\d{6}$`));
      expect(result.copiedSnapshotId).toBe(result.snapshotId);
      expect(result.report.details.copy).toMatchObject({ region: SECONDARY_REGION, encryptedWith: kmsKeyArn });
      const mine = (await snapshotsIn(SECONDARY_REGION)).find((s) => s.id === result.copiedSnapshotId);
      expect(mine?.tags).toMatchObject({ [MADE_BY_TAG]: SNAPSHOT_MADE_BY, [SNAPSHOT_OF_TAG]: sourceId });
      const copy = await rdsIn(SECONDARY_REGION).send(
        new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: result.copiedSnapshotId }),
      );
      expect(copy.DBSnapshots?.[0]?.KmsKeyId).toBe(kmsKeyArn);
      expect(result.report.steps.map((s) => [s.name, s.status])).toEqual([
        ['create snapshot', 'passed'],
        ['copy to secondary region', 'passed'],
        [`retention in ${PRIMARY_REGION}`, 'passed'],
        [`retention in ${SECONDARY_REGION}`, 'passed'],
      ]);
    },
    LONG,
  );

  test(
    'recovery-point snapshot in the secondary region restores the newest copy, with the data as of the snapshot',
    async () => {
      await addPayments(primary, 3);
      const result = await runRdsRestoreTest(
        options(
          settings(primary, sourceId, {
            region: SECONDARY_REGION,
            recoveryPoint: { kind: 'newest-snapshot' },
            rtoSeconds: 28_800,
          }),
        ),
      );
      expect(service.errors).toEqual([]);
      expect(result.report.reasons).toEqual([]);
      expect(result.report.details.recoveryPoint).toMatchObject({
        mechanism: 'snapshot',
        snapshotId: first.copiedSnapshotId,
      });
      const served = service.served.find((s) => s.instance === result.restoredInstanceId);
      expect(served).toMatchObject({ kind: 'snapshot', snapshot: first.copiedSnapshotId, region: SECONDARY_REGION });
      expect(result.report.details.proof?.tables.find((t) => t.name === 'payments')?.exactRows).toBe(2);
      expect(result.report.objectives[1]?.measure).toContain('snapshot restore');
      expect(
        (
          await rdsIn(SECONDARY_REGION).send(
            new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: first.copiedSnapshotId }),
          )
        ).DBSnapshots,
      ).toHaveLength(1);
    },
    LONG,
  );

  test(
    'a snapshot id restores in the primary region; an unknown one is an input error',
    async () => {
      const result = await runRdsRestoreTest(
        options(settings(primary, sourceId, { recoveryPoint: { kind: 'snapshot', id: first.snapshotId as string } })),
      );
      expect(result.report.reasons).toEqual([]);
      expect(result.report.details.proof?.tables.find((t) => t.name === 'payments')?.exactRows).toBe(2);
      const missing = await runRdsRestoreTest(
        options(settings(primary, sourceId, { recoveryPoint: { kind: 'snapshot', id: 'no-such-snapshot' } })),
      );
      expect(missing.configurationError?.message).toBe(
        `recovery-point snapshot:no-such-snapshot: there is no DB snapshot 'no-such-snapshot' in ${PRIMARY_REGION}; list them with aws rds describe-db-snapshots --region ${PRIMARY_REGION}`,
      );
    },
    LONG,
  );

  test(
    'retention deletes only the snapshots this mode made, in both regions: automated, hand-made, copied-with-tags and look-alike ones stay',
    async () => {
      // A person keeps an hourly snapshot before a migration: a copy under a name of their own, with its tags
      // (the console and --copy-tags do that), in each region; and someone names a snapshot in the mode's scheme, without its tags.
      const kept = {
        primary: `${sourceId}-before-migration`,
        secondary: `${sourceId}-before-migration-west`,
        lookAlike: `${sourceId}-dr-20200101-000000`,
      };
      await awsCli([
        'rds',
        'copy-db-snapshot',
        '--source-db-snapshot-identifier',
        first.snapshotId as string,
        '--target-db-snapshot-identifier',
        kept.primary,
        '--copy-tags',
      ]);
      await awsCli([
        '--region',
        SECONDARY_REGION,
        'rds',
        'copy-db-snapshot',
        '--source-db-snapshot-identifier',
        first.copiedSnapshotId as string,
        '--target-db-snapshot-identifier',
        kept.secondary,
        '--copy-tags',
      ]);
      await rdsIn(PRIMARY_REGION).send(
        new CreateDBSnapshotCommand({ DBInstanceIdentifier: sourceId, DBSnapshotIdentifier: kept.lookAlike }),
      );
      const before = { primary: await snapshotsIn(PRIMARY_REGION), secondary: await snapshotsIn(SECONDARY_REGION) };
      for (const [region, id] of [
        ['primary', kept.primary],
        ['secondary', kept.secondary],
      ] as const) {
        expect(before[region].find((s) => s.id === id)?.tags).toMatchObject({
          [MADE_BY_TAG]: SNAPSHOT_MADE_BY,
          [SNAPSHOT_OF_TAG]: sourceId,
        });
      }
      expect(before.primary.some((s) => s.type === 'automated')).toBe(true);
      // 400 days on: the first hourly snapshot is past every window. RDS stamps both snapshots with the
      // real time, so a run nearer than a year could find them in two months (the first taken before
      // a month ended, this one after), and keep the first as the newest of its month.
      const later = { now: () => systemClock.now() + 400 * 86_400_000, sleep: systemClock.sleep };
      const result = await hourly(later);
      expect(result.report.reasons).toEqual([]);
      for (const outcome of result.report.details.retention)
        expect(outcome.deleted.map((d) => d.id)).toEqual([first.snapshotId]);
      const after = { primary: await snapshotsIn(PRIMARY_REGION), secondary: await snapshotsIn(SECONDARY_REGION) };
      const ids = (list: { id: string }[]) => list.map((s) => s.id).sort();
      expect(ids(after.primary)).toEqual(
        ids([...before.primary.filter((s) => s.id !== first.snapshotId), { id: result.snapshotId as string }]),
      );
      expect(ids(after.secondary)).toEqual(
        ids([...before.secondary.filter((s) => s.id !== first.snapshotId), { id: result.copiedSnapshotId as string }]),
      );
      expect(after.secondary.map((s) => s.id)).toContain(`${sourceId}-by-hand-copy`);
      expect(after.primary.map((s) => s.id)).toEqual(expect.arrayContaining([kept.primary, kept.lookAlike]));
      expect(after.secondary.map((s) => s.id)).toContain(kept.secondary);
    },
    LONG,
  );
});
