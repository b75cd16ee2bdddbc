import { parseBackupInputs } from '../../src/backup/inputs.js';
import { ConfigurationError } from '../../src/errors.js';
import { promotedHorizons } from '../../src/storage/lock-horizon.js';

const base = { 'database-url': 'postgres://u:p@h/db', bucket: 'saas-backups', region: 'us-east-1' };
const parse = (inputs: Record<string, string>) =>
  parseBackupInputs((name) => (({ ...base, ...inputs }) as Record<string, string>)[name] ?? '', {});

test('copy inputs: bucket, region and mode, the KMS key of the copy region', () => {
  expect(parse({}).copy).toBeUndefined();
  expect(parse({ 'copy-bucket': 'saas-backups-west', 'copy-region': 'us-west-2', 'copy-mode': 'copy' }).copy).toEqual({
    bucket: 'saas-backups-west',
    region: 'us-west-2',
    mode: 'copy',
    encryption: { serverSideEncryption: 'AES256', kmsKeyId: undefined },
  });
  expect(
    parse({
      'server-side-encryption': 'aws:kms',
      'kms-key-id': 'k1',
      'copy-bucket': 'saas-backups-west',
      'copy-region': 'us-west-2',
      'copy-kms-key-id': 'k2',
    }).copy?.encryption,
  ).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: 'k2' });
  expect(parse({ 'copy-mode': 'copy' }).copy).toBeUndefined(); // the action's default alone asks for nothing
  expect(
    parse({
      'copy-bucket': 'saas-backups-west',
      'copy-region': 'us-west-2',
      'copy-endpoint-url': 'https://bucket.vpce-0a1b.s3.us-west-2.vpce.amazonaws.com/',
    }).copy?.endpointUrl,
  ).toBe('https://bucket.vpce-0a1b.s3.us-west-2.vpce.amazonaws.com');
});

test.each([
  [{ 'copy-region': 'us-west-2' }, 'copy-region is set but copy-bucket is empty'],
  [{ 'copy-bucket': 'saas-backups-west' }, 'copy-region is required with copy-bucket'],
  [
    { 'copy-bucket': 'saas-backups-west', 'copy-region': 'us-east-1' },
    "copy-region is us-east-1, the backup bucket's own region",
  ],
  [{ 'copy-bucket': 'saas-backups', 'copy-region': 'us-west-2' }, 'copy-bucket is the backup bucket itself'],
  [{ 'copy-bucket': 'saas-backups-west', 'copy-region': 'us-west-2', 'copy-mode': 'mirror' }, 'copy-mode'],
  [
    {
      'copy-bucket': 'saas-backups-west',
      'copy-region': 'us-west-2',
      'copy-mode': 'replication',
      'copy-kms-key-id': 'k',
    },
    'the replication rule chooses',
  ],
  [
    {
      'server-side-encryption': 'aws:kms',
      'kms-key-id': 'k1',
      'copy-bucket': 'saas-backups-west',
      'copy-region': 'us-west-2',
    },
    'give the key in copy-region as copy-kms-key-id',
  ],
  [
    { 'lock-mode': 'compliance', retention: 'off' },
    'lock-mode compliance locks each backup for as long as retention keeps it, but retention is off',
  ],
  [{ 'lock-mode': 'forever' }, 'lock-mode'],
  [{ 'copy-endpoint-url': 'https://s3.us-west-2.example.com' }, 'copy-endpoint-url is set but copy-bucket is empty'],
  [
    { 'copy-bucket': 'saas-backups-west', 'copy-region': 'us-west-2', 'copy-endpoint-url': 's3.us-west-2.example.com' },
    "copy-endpoint-url 's3.us-west-2.example.com' is not a URL",
  ],
])('%j is one ConfigurationError saying what to change', (inputs, message) => {
  expect(() => parse(inputs)).toThrow(ConfigurationError);
  expect(() => parse(inputs)).toThrow(message);
});

test('a backup is promoted (its lock extended) only once its week or month is over', () => {
  const policy = { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 };
  const DAY = 86_400_000;
  const sunday = new Date('2026-11-29T03:00:00Z'); // the last day of ISO week 2026-W48; November runs on to the 30th
  const saturday = new Date('2026-11-28T03:00:00Z');
  const backups = [
    { key: 'sat', finishedAt: saturday },
    { key: 'sun', finishedAt: sunday },
  ];
  expect(promotedHorizons(backups, policy, new Date('2026-11-29T12:00:00Z'))).toEqual(new Map());
  const monday = new Date('2026-11-30T12:00:00Z'); // the week is over, the month is not
  expect(promotedHorizons(backups, policy, monday)).toEqual(new Map([['sun', new Date(sunday.getTime() + 90 * DAY)]]));
  const december = new Date('2026-12-01T12:00:00Z');
  expect(promotedHorizons(backups, policy, december)).toEqual(
    new Map([['sun', new Date(sunday.getTime() + 365 * DAY)]]),
  );
});
