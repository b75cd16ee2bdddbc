import { parseBackupInputs } from '../../src/backup/inputs.js';
import { parseCompression, resolveCompression } from '../../src/backup/compression.js';
import { parsePgDumpArgs } from '../../src/backup/pg-dump-args.js';
import { ConfigurationError } from '../../src/errors.js';

const valid = { 'database-url': 'postgres://app:s3cret@db.internal:5432/saas_production', bucket: 'saas-backups' };
const parse = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
  parseBackupInputs((name) => inputs[name] ?? '', env);

describe('parseBackupInputs', () => {
  test('defaults follow the plan', () => {
    const settings = parse(valid);
    expect(settings).toMatchObject({
      bucket: 'saas-backups',
      prefix: 'database/',
      format: 'custom',
      compression: { method: 'auto' },
      aws: { region: 'us-east-1', endpointUrl: undefined },
      encryption: { serverSideEncryption: 'AES256' },
      storageClass: 'STANDARD',
      retention: { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 },
      minKeep: 7,
      pruneDryRun: false,
      rowCounts: 'exact',
      pgDumpArgs: [],
    });
    expect(settings.database).toMatchObject({
      database: 'saas_production',
      host: 'db.internal',
      port: 5432,
      user: 'app',
      password: 's3cret',
    });
    expect(settings.database.url).not.toContain('s3cret');
  });

  test('region comes from the input, else AWS_REGION, else AWS_DEFAULT_REGION', () => {
    expect(parse({ ...valid, region: 'eu-west-1' }, { AWS_REGION: 'us-west-2' }).aws.region).toBe('eu-west-1');
    expect(parse(valid, { AWS_REGION: 'us-west-2' }).aws.region).toBe('us-west-2');
    expect(parse(valid, { AWS_DEFAULT_REGION: 'ap-south-1' }).aws.region).toBe('ap-south-1');
  });

  test('every other input is read', () => {
    const settings = parse({
      ...valid,
      prefix: 'eu/saas/',
      format: 'plain',
      compression: 'gzip:6',
      'endpoint-url': 'http://127.0.0.1:9000/',
      'server-side-encryption': 'aws:kms',
      'kms-key-id': 'alias/backups',
      'storage-class': 'standard_ia',
      retention: 'daily=7',
      'min-keep': '3',
      'prune-dry-run': 'true',
      'row-counts': 'off',
      'pg-dump-args': '--exclude-table-data "audit log" -v',
    });
    expect(settings).toMatchObject({
      prefix: 'eu/saas/',
      format: 'plain',
      compression: { method: 'gzip', level: 6 },
      aws: { endpointUrl: 'http://127.0.0.1:9000' },
      encryption: { serverSideEncryption: 'aws:kms', kmsKeyId: 'alias/backups' },
      storageClass: 'STANDARD_IA',
      retention: { dailyDays: 7, weeklyDays: 0, monthlyDays: 0 },
      minKeep: 3,
      pruneDryRun: true,
      rowCounts: 'off',
      pgDumpArgs: ['--exclude-table-data', 'audit log', '-v'],
    });
  });

  test.each<[string, Record<string, string>, RegExp]>([
    [
      'missing URL',
      { bucket: 'saas-backups' },
      /^database-url is required, e.g. postgres:\/\/user:password@host:5432\/database$/,
    ],
    ['URL that is not a URL', { ...valid, 'database-url': 'not a url' }, /^database-url is not a valid URL/],
    [
      'URL of another scheme',
      { ...valid, 'database-url': 'mysql://u:p@h/db' },
      /^database-url must start with postgres:\/\/ or postgresql:\/\//,
    ],
    [
      'URL without a database',
      { ...valid, 'database-url': 'postgres://u:p@h:5432/' },
      /^database-url names no database/,
    ],
    [
      'URL with a bad port',
      { ...valid, 'database-url': 'postgres://u:p@h:99999/db' },
      /database-url is not a valid URL|database-url has an invalid port/,
    ],
    ['missing bucket', { 'database-url': valid['database-url'] }, /^bucket is required/],
    [
      'bucket too short',
      { ...valid, bucket: 'ab' },
      /^bucket 'ab' is not a valid S3 bucket name: it must be 3 to 63 characters long$/,
    ],
    [
      'bucket with capitals',
      { ...valid, bucket: 'Saas_Backups' },
      /use only lowercase letters, digits, dots and hyphens/,
    ],
    ['bucket like an IP', { ...valid, bucket: '10.0.0.1' }, /not look like an IP address/],
    [
      'prefix without a trailing slash',
      { ...valid, prefix: 'database' },
      /^prefix 'database' must end with '\/', e.g. 'database\/'$/,
    ],
    [
      'prefix with a leading slash',
      { ...valid, prefix: '/database/' },
      /^prefix '\/database\/' must not start with '\/'/,
    ],
    ['prefix with an empty folder', { ...valid, prefix: 'a//b/' }, /has an empty folder/],
    ['unknown format', { ...valid, format: 'directory' }, /^format must be one of custom, plain, got 'directory'$/],
    ['unknown compression', { ...valid, compression: 'brotli' }, /^compression 'brotli' is not one of auto, gzip:N/],
    ['gzip without a level', { ...valid, compression: 'gzip' }, /^compression 'gzip' needs a level, e.g. gzip:1$/],
    [
      'gzip level out of range',
      { ...valid, compression: 'gzip:10' },
      /^compression level 10 is out of range for gzip: use 1 to 9$/,
    ],
    ['zstd with plain', { ...valid, format: 'plain', compression: 'zstd:3' }, /is not available with format 'plain'/],
    [
      'none with plain',
      { ...valid, format: 'plain', compression: 'none' },
      /compression 'none' is not available with format 'plain'/,
    ],
    ['bad region', { ...valid, region: 'virginia' }, /^region 'virginia' is not an AWS region name like us-east-1$/],
    [
      'endpoint that is not a URL',
      { ...valid, 'endpoint-url': 'localhost:9000' },
      /endpoint-url must be an http:\/\/ or https:\/\/ URL|endpoint-url 'localhost:9000' is not a URL/,
    ],
    [
      'endpoint with credentials',
      { ...valid, 'endpoint-url': 'http://key:secret@minio:9000' },
      /^endpoint-url must not hold credentials/,
    ],
    [
      'unknown encryption',
      { ...valid, 'server-side-encryption': 'SSE-C' },
      /^server-side-encryption must be one of AES256, aws:kms, got 'SSE-C'$/,
    ],
    [
      'KMS key without aws:kms',
      { ...valid, 'kms-key-id': 'alias/x' },
      /^kms-key-id is set, but server-side-encryption is not 'aws:kms'/,
    ],
    [
      'archive storage class',
      { ...valid, 'storage-class': 'DEEP_ARCHIVE' },
      /^storage-class DEEP_ARCHIVE takes hours to restore from/,
    ],
    [
      'unknown storage class',
      { ...valid, 'storage-class': 'COLD' },
      /^storage-class must be one of STANDARD, STANDARD_IA/,
    ],
    ['bad retention', { ...valid, retention: 'forever' }, /^retention 'forever' is not understood/],
    ['negative min-keep', { ...valid, 'min-keep': '-1' }, /^min-keep must be at least 1, got -1$/],
    ['zero min-keep', { ...valid, 'min-keep': '0' }, /^min-keep must be at least 1, got 0$/],
    ['non-numeric min-keep', { ...valid, 'min-keep': 'seven' }, /^min-keep must be a whole number, got 'seven'$/],
    ['non-boolean dry run', { ...valid, 'prune-dry-run': 'yes' }, /^prune-dry-run must be true or false, got 'yes'$/],
    [
      'unknown row-counts',
      { ...valid, 'row-counts': 'estimate' },
      /^row-counts must be one of exact, off, got 'estimate'$/,
    ],
    [
      'pg_dump output file',
      { ...valid, 'pg-dump-args': '-f /tmp/x.dump' },
      /^pg-dump-args: -f is not allowed: the dump streams to S3, not to a file$/,
    ],
  ])('%s: a clear ConfigurationError', (_name, inputs, message) => {
    expect(() => parse(inputs)).toThrow(ConfigurationError);
    expect(() => parse(inputs)).toThrow(message);
  });

  test('error messages never show the password', () => {
    for (const url of [
      'postgres://app:s3cret@h:99999/db',
      'postgres://app:s3cret@h/',
      'mysql://app:s3cret@h/db',
      'postgres://app:s3cret%zz@h/db',
    ]) {
      try {
        parse({ ...valid, 'database-url': url });
        throw new Error('expected a ConfigurationError');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        expect((error as Error).message).not.toContain('s3cret');
      }
    }
  });
});

describe('pg-dump-args', () => {
  test('split without a shell: quotes group, nothing expands', () => {
    expect(parsePgDumpArgs(`-T 'audit log' --exclude-table-data="big table" -n $HOME`)).toEqual([
      '-T',
      'audit log',
      '--exclude-table-data=big table',
      '-n',
      '$HOME',
    ]);
  });

  test.each<[string, RegExp]>([
    ['--file=x', /--file is not allowed: the dump streams to S3/],
    ['--form=plain', /--form is not allowed: use the format input/], // getopt_long takes unambiguous prefixes
    ['--fi x', /--fi is ambiguous \(--filter, --file\)/],
    ['-Fp', /-F is not allowed: use the format input/],
    ['-vZ9', /-Z is not allowed: use the compression input/],
    ['--compress=zstd', /--compress is not allowed: use the compression input/],
    ['-j 4', /-j is not allowed: parallel dumps need the directory format/],
    ['--snapshot=abc', /--snapshot is not allowed/],
    ['-h other-host', /-h is not allowed: the host comes from database-url/],
    ['-d otherdb', /-d is not allowed: the database comes from database-url/],
    ['-W', /-W is not allowed: it prompts for a password/],
    ['--schema-only', /--schema-only is not allowed: a dump without data is not a backup/],
    ['-a', /-a is not allowed: a dump without the schema/],
    ['--section=data', /--section is not allowed/],
    ['--version', /--version is not allowed/],
    ['--ex x', /--ex is ambiguous/],
    ['otherdb', /'otherdb' is not an option; pg_dump's database comes from database-url/],
    ['-- x', /'--' is not allowed/],
    ['-t "unterminated', /pg-dump-args has an unterminated " quote/],
    // PostgreSQL 18's options that drop data
    ['--no-data', /^pg-dump-args: --no-data is not allowed: a dump without data is not a backup$/],
    [
      '--statistics-only',
      /^pg-dump-args: --statistics-only is not allowed: a dump of statistics alone is not a backup$/,
    ],
    [
      '--no-schema',
      /^pg-dump-args: --no-schema is not allowed: a dump without the schema cannot restore the database on its own$/,
    ],
    ['-t users --no-d', /^pg-dump-args: --no-d is not allowed: a dump without data is not a backup$/],
    // unknown options, a newer pg_dump's included, are refused by name
    [
      '--no-statistics',
      /^pg-dump-args: --no-statistics is not allowed: pg-dump-args takes only options that choose what is dumped \(--table, --schema/,
    ],
    ['--sequence-data', /^pg-dump-args: --sequence-data is not allowed: pg-dump-args takes only/],
    ['--made-up=1', /^pg-dump-args: --made-up is not allowed: pg-dump-args takes only/],
    ['-Oq', /^pg-dump-args: -q is not allowed: pg-dump-args takes only/],
    // options that keep data out of the dump, or out of the restore
    ['-B', /-B is not allowed: large objects are data/],
    ['--no-large-objects', /--no-large-objects is not allowed: large objects are data/],
    [
      '--enable-row-security',
      /--enable-row-security is not allowed: it dumps only the rows that row-level security lets the role see/,
    ],
    ['--on-conflict-do-nothing', /--on-conflict-do-nothing is not allowed/],
    ['--clean', /--clean is not allowed/],
    ['-C', /-C is not allowed: the restore goes into the database it is given/],
    ['--no-own', /^pg-dump-args: --no-own is not allowed: spell the option out \(--no-owner\)$/],
    ['--no-owner=yes', /--no-owner takes no value/],
  ])('%s is refused', (args, message) => {
    expect(() => parsePgDumpArgs(args)).toThrow(ConfigurationError);
    expect(() => parsePgDumpArgs(args)).toThrow(message);
  });

  test('options that choose what is dumped, and restore hints, are allowed', () => {
    const args =
      '-t public.users -T "-weird" -n app -N audit --exclude-table-data=events* --table-and-children=p -Ox --no-comments --no-tablespaces --lock-wait-timeout=30s -b -v';
    expect(parsePgDumpArgs(args)).toEqual([
      '-t',
      'public.users',
      '-T',
      '-weird',
      '-n',
      'app',
      '-N',
      'audit',
      '--exclude-table-data=events*',
      '--table-and-children=p',
      '-Ox',
      '--no-comments',
      '--no-tablespaces',
      '--lock-wait-timeout=30s',
      '-b',
      '-v',
    ]);
  });

  test('values of options are not mistaken for options or databases', () => {
    expect(parsePgDumpArgs('-t public.users -T "-weird" --lock-wait-timeout 30s -tusers')).toEqual([
      '-t',
      'public.users',
      '-T',
      '-weird',
      '--lock-wait-timeout',
      '30s',
      '-tusers',
    ]);
  });
});

describe('compression', () => {
  test('auto: zstd:3 with pg_dump 16+, else gzip:1; plain is always gzip:1', () => {
    expect(resolveCompression({ method: 'auto' }, 'custom', 16, '16.4')).toMatchObject({
      label: 'zstd:3',
      pgDumpArgs: ['--compress=zstd:3'],
    });
    expect(resolveCompression({ method: 'auto' }, 'custom', 15, '15.18')).toMatchObject({
      label: 'gzip:1',
      pgDumpArgs: ['--compress=1'],
    });
    expect(resolveCompression({ method: 'auto' }, 'plain', 17, '17.2')).toMatchObject({
      label: 'gzip:1',
      pgDumpArgs: [],
    });
  });

  test('pg_dump 15 takes a gzip level, 16+ a method', () => {
    expect(resolveCompression(parseCompression('none', 'custom'), 'custom', 15, '15.18').pgDumpArgs).toEqual([
      '--compress=0',
    ]);
    expect(resolveCompression(parseCompression('gzip:6', 'custom'), 'custom', 15, '15.18').pgDumpArgs).toEqual([
      '--compress=6',
    ]);
    expect(resolveCompression(parseCompression('lz4', 'custom'), 'custom', 16, '16.1').pgDumpArgs).toEqual([
      '--compress=lz4',
    ]);
    expect(resolveCompression(parseCompression('none', 'custom'), 'custom', 17, '17.0').pgDumpArgs).toEqual([
      '--compress=none',
    ]);
  });

  test('zstd and lz4 with pg_dump 15 name both versions and the fix', () => {
    expect(() => resolveCompression(parseCompression('zstd:3', 'custom'), 'custom', 15, '15.18')).toThrow(
      'compression zstd needs pg_dump 16 or newer, and this pg_dump is 15.18: use auto or gzip:N, or install a PostgreSQL 16+ client',
    );
  });
});
