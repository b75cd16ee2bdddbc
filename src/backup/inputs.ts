import type { StorageClass } from '@aws-sdk/client-s3';
import { ConfigurationError } from '../errors.js';
import { parseEndpointUrl, parseRegion, type AwsSettings } from '../aws/settings.js';
import { databaseAuthFor, ignoreTokens, type TokenMask } from '../aws/rds-auth-tokens.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../postgres/connection.js';
import type { Encryption } from '../storage/backup-store.js';
import { parseBucket, parsePrefix } from '../storage/inputs.js';
import type { BackupFormat } from '../storage/keys.js';
import { parseBoolean, parseChoice, parseInteger, type InputReader } from '../util/inputs.js';
import { parseCompression, type CompressionSpec } from './compression.js';
import { GLOBALS_POLICIES, type GlobalsPolicy } from './globals.js';
import { parsePgDumpArgs } from './pg-dump-args.js';
import { parseMinKeep, parseRetention, type RetentionPolicy } from '../retention/retention.js';
import { LOCK_SETTINGS, type LockSetting } from '../storage/object-lock.js';

export interface BackupSettings {
  database: DatabaseTarget;
  bucket: string;
  prefix: string;
  format: BackupFormat;
  compression: CompressionSpec;
  aws: AwsSettings;
  encryption: Encryption;
  storageClass: StorageClass;
  retention: RetentionPolicy | 'off';
  minKeep: number;
  pruneDryRun: boolean;
  rowCounts: 'exact' | 'off';
  pgDumpArgs: string[];
  lockMode: LockSetting;
  /** A second copy of each backup in another region; none when copy-bucket is empty. */
  copy?: CopySettings;
  globals: GlobalsPolicy;
  /** pg_dump processes: 1 dumps one archive; more dump the data in as many parts (parallel-dump.ts). */
  jobs: number;
}

export interface CopySettings {
  bucket: string;
  region: string;
  /** copy: this action copies each backup; replication: S3 replication does, and this waits for it. */
  mode: 'copy' | 'replication';
  encryption: Encryption;
  /** Where copy-bucket is reached when it is not endpoint-url (a regional endpoint of its own); endpoint-url otherwise. */
  endpointUrl?: string;
}

/** Classes whose objects can be read at once; GLACIER and DEEP_ARCHIVE need hours to thaw, longer than any RTO. */
const STORAGE_CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'] as const;

function parseStorageClass(input: string): StorageClass {
  const text = input.trim().toUpperCase() || 'STANDARD';
  if (text === 'GLACIER' || text === 'DEEP_ARCHIVE') {
    throw new ConfigurationError(
      `storage-class ${text} takes hours to restore from, longer than the plan's RTO; use GLACIER_IR (instant retrieval) or move old backups to ${text} with a lifecycle rule`,
    );
  }
  return parseChoice(text, 'storage-class', STORAGE_CLASSES, 'STANDARD');
}

function parseEncryption(sseInput: string, kmsKeyInput: string): Encryption {
  const sse = parseChoice(sseInput, 'server-side-encryption', ['AES256', 'aws:kms'] as const, 'AES256');
  const kmsKeyId = kmsKeyInput.trim() || undefined;
  if (kmsKeyId && sse !== 'aws:kms')
    throw new ConfigurationError(
      "kms-key-id is set, but server-side-encryption is not 'aws:kms'; set server-side-encryption: aws:kms",
    );
  return { serverSideEncryption: sse, kmsKeyId };
}

function parseCopy(
  input: InputReader,
  bucket: string,
  region: string,
  encryption: Encryption,
): CopySettings | undefined {
  const bucketInput = input('copy-bucket').trim();
  const stray = ['copy-region', 'copy-kms-key-id', 'copy-endpoint-url'].find((name) => input(name).trim() !== '');
  if (!bucketInput) {
    if (stray)
      throw new ConfigurationError(
        `${stray} is set but copy-bucket is empty; name the bucket in the other region that holds the copies, or remove ${stray}`,
      );
    return undefined;
  }
  const copyBucket = parseBucket(bucketInput, 'copy-bucket');
  if (copyBucket === bucket)
    throw new ConfigurationError('copy-bucket is the backup bucket itself; name a bucket in another region');
  if (!input('copy-region').trim())
    throw new ConfigurationError(
      'copy-region is required with copy-bucket: the region of the copy bucket, another than the primary region',
    );
  const copyRegion = parseRegion(input('copy-region'), {}, 'copy-region');
  if (copyRegion === region) {
    throw new ConfigurationError(
      `copy-region is ${copyRegion}, the backup bucket's own region: a copy there is lost with the region; use the plan's secondary region`,
    );
  }
  const mode = parseChoice(input('copy-mode'), 'copy-mode', ['copy', 'replication'] as const, 'copy');
  const kmsKeyId = input('copy-kms-key-id').trim() || undefined;
  if (kmsKeyId && mode === 'replication')
    throw new ConfigurationError(
      "copy-kms-key-id is set with copy-mode: replication; the replication rule chooses the replica's key, so remove copy-kms-key-id",
    );
  if (kmsKeyId && encryption.serverSideEncryption !== 'aws:kms')
    throw new ConfigurationError(
      "copy-kms-key-id is set, but server-side-encryption is not 'aws:kms'; set server-side-encryption: aws:kms",
    );
  if (!kmsKeyId && encryption.kmsKeyId && mode === 'copy') {
    throw new ConfigurationError(
      'kms-key-id is set but copy-kms-key-id is not: a KMS key belongs to one region; give the key in copy-region as copy-kms-key-id',
    );
  }
  const endpointUrl = parseEndpointUrl(input('copy-endpoint-url'), 'copy-endpoint-url');
  return {
    bucket: copyBucket,
    region: copyRegion,
    mode,
    encryption: { serverSideEncryption: encryption.serverSideEncryption, kmsKeyId },
    ...(endpointUrl ? { endpointUrl } : {}),
  };
}

function parseLockMode(input: string, retention: RetentionPolicy | 'off'): LockSetting {
  const mode = parseChoice(input, 'lock-mode', LOCK_SETTINGS, 'auto');
  if (retention === 'off' && (mode === 'compliance' || mode === 'governance')) {
    throw new ConfigurationError(
      `lock-mode ${mode} locks each backup for as long as retention keeps it, but retention is off; set a retention policy or lock-mode: off`,
    );
  }
  return mode;
}

/** At most this many pg_dump workers: each holds a connection and its own upload's buffers. */
export const MAX_DUMP_JOBS = 32;

function parseDumpJobs(input: string, format: BackupFormat): number {
  const jobs = parseInteger(input, 'jobs', 1, 1, MAX_DUMP_JOBS);
  if (jobs > 1 && format === 'plain')
    throw new ConfigurationError(
      `jobs: ${jobs} dumps the data in parts that pg_restore restores in parallel, which needs format: custom; set format: custom, or jobs: 1 for one plain SQL file`,
    );
  return jobs;
}

/** Every input checked before the first side effect; each mistake is one ConfigurationError. */
export function parseBackupInputs(
  input: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  onToken: TokenMask = ignoreTokens,
): BackupSettings {
  const format = parseChoice(input('format'), 'format', ['custom', 'plain'] as const, 'custom');
  const bucket = parseBucket(input('bucket'));
  const region = parseRegion(input('region'), env);
  const encryption = parseEncryption(input('server-side-encryption'), input('kms-key-id'));
  const retention = parseRetention(input('retention'));
  const databaseAuth = databaseAuthFor(input('database-auth'), region, onToken);
  return {
    database: databaseAuth.apply(parseDatabaseUrl(input('database-url'), 'database-url'), 'database-url', env),
    bucket,
    prefix: parsePrefix(input('prefix') || 'database/'),
    format,
    compression: parseCompression(input('compression'), format),
    aws: { region, endpointUrl: parseEndpointUrl(input('endpoint-url')) },
    encryption,
    storageClass: parseStorageClass(input('storage-class')),
    retention,
    minKeep: parseMinKeep(input('min-keep')),
    pruneDryRun: parseBoolean(input('prune-dry-run'), 'prune-dry-run', false),
    rowCounts: parseChoice(input('row-counts'), 'row-counts', ['exact', 'off'] as const, 'exact'),
    pgDumpArgs: parsePgDumpArgs(input('pg-dump-args')),
    lockMode: parseLockMode(input('lock-mode'), retention),
    copy: parseCopy(input, bucket, region, encryption),
    globals: parseChoice(input('globals'), 'globals', GLOBALS_POLICIES, 'required'),
    jobs: parseDumpJobs(input('jobs'), format),
  };
}
