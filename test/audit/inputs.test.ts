import { describe, expect, test } from '@jest/globals';
import { parseAuditInputs } from '../../src/audit/inputs.js';
import { ConfigurationError } from '../../src/errors.js';

const ALL = {
  'primary-region': 'us-east-1',
  'secondary-region': 'us-west-2',
  'db-instance-id': 'saas-production',
  'replica-id': 'saas-production-replica',
  'media-bucket': 'saas-media-production',
  'media-replica-bucket': 'saas-media-production-us-west-2',
  'backup-bucket': 'saas-backups',
  'hosted-zone-id': 'Z1234567890ABC',
  'record-name': 'db.saas.example.com',
  'cache-replication-group-id': 'saas-cache',
};
const parse = (inputs: Record<string, string>) => parseAuditInputs((name) => inputs[name] ?? '', {});

describe('dr-audit inputs', () => {
  test("the plan's defaults: RPO 1 h, RTO 8 h, fail on high, the whole media bucket, delete markers replicated, backups under database/ at most 26 h old", () => {
    const settings = parse(ALL);
    expect(settings).toMatchObject({
      rpoSeconds: 3600,
      rtoSeconds: 28_800,
      failOn: 'high',
      media: { prefixes: [''], deleteMarkers: 'enabled' },
      backup: {
        prefix: 'database/',
        maxAgeSeconds: 93_600,
        versioning: false,
        objectLock: false,
        retention: { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 },
        minKeep: 7,
      },
      dns: { hostedZoneId: 'Z1234567890ABC', recordName: 'db.saas.example.com', maxTtlSeconds: 300 },
      reportPath: 'dr-audit-report.json',
    });
    expect(parse({ ...ALL, 'backup-object-lock': 'true' }).backup).toMatchObject({
      versioning: true,
      objectLock: true,
    });
  });

  test('an area skipped whole needs none of its inputs, and its reason is kept', () => {
    const { cache, skip, ...rest } = parse({
      ...ALL,
      'cache-replication-group-id': '',
      skip: 'cache: no Redis in this stack\n# a comment\ndb.storage-encrypted: encrypted by the platform team',
    });
    expect(cache).toBeUndefined();
    // One check of the database skipped, not the area: its settings are still read.
    expect(rest.database).toEqual({ instanceId: 'saas-production', replicaId: 'saas-production-replica' });
    expect([...skip]).toEqual([
      ['cache', 'no Redis in this stack'],
      ['db.storage-encrypted', 'encrypted by the platform team'],
    ]);
  });

  test.each([
    [
      { 'db-instance-id': '' },
      "db-instance-id is required: the primary RDS instance. A team without it skips the area with skip: 'database: why it does not apply'",
    ],
    [{ skip: 'cache' }, "skip line 'cache' must be 'check-id: reason' or 'area: reason'"],
    [{ skip: 'cache:   ' }, "skip 'cache' has no reason"],
    [{ skip: 'db.pitr: old name' }, "skip names 'db.pitr', which is neither an area"],
    [{ 'secondary-region': 'us-east-1' }, 'secondary-region must differ from primary-region'],
    [{ 'fail-on': 'critical' }, 'fail-on must be one of high, medium, low, none'],
    [{ 'media-prefixes': 'uploads' }, "media-prefixes 'uploads' must end with '/'"],
    [{ 'media-delete-marker-replication': 'yes' }, 'media-delete-marker-replication must be one of enabled, disabled'],
    [{ 'hosted-zone-id': 'not a zone' }, "hosted-zone-id 'not a zone' is not a Route 53 hosted zone id"],
    [{ 'replica-id': 'replica_1' }, "replica-id 'replica_1' is not an RDS instance identifier"],
    [{ 'rpo-seconds': '1h' }, 'rpo-seconds must be a whole number'],
    [{ 'backup-retention': 'daily=30,yearly=5' }, "backup-retention 'daily=30,yearly=5' is not understood"],
    [{ 'backup-min-keep': '-1' }, 'backup-min-keep must be at least 1, got -1'],
  ])('one mistake, one ConfigurationError saying what to change: %j', (change, message) => {
    expect(() => parse({ ...ALL, ...change })).toThrow(ConfigurationError);
    expect(() => parse({ ...ALL, ...change })).toThrow(message);
  });
});
