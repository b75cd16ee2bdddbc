import type { StorageClass } from '@aws-sdk/client-s3';
import { ConfigurationError } from '../errors.js';
import { parseEndpointUrl, parseRegion, type AwsSettings } from '../aws/settings.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../postgres/connection.js';
import type { Encryption } from '../storage/backup-store.js';
import { parseBucket, parsePrefix } from '../storage/inputs.js';
import type { BackupFormat } from '../storage/keys.js';
import { parseBoolean, parseChoice, parseInteger, type InputReader } from '../util/inputs.js';
import { parseCompression, type CompressionSpec } from './compression.js';
import { GLOBALS_POLICIES, type GlobalsPolicy } from './globals.js';
import { parsePgDumpArgs } from './pg-dump-args.js';
import { parseRetention, type RetentionPolicy } from '../storage/retention.js';

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
  globals: GlobalsPolicy;
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
  if (kmsKeyId && sse !== 'aws:kms') throw new ConfigurationError("kms-key-id is set, but server-side-encryption is not 'aws:kms'; set server-side-encryption: aws:kms");
  return { serverSideEncryption: sse, kmsKeyId };
}

/** Every input checked before the first side effect; each mistake is one ConfigurationError. */
export function parseBackupInputs(input: InputReader, env: NodeJS.ProcessEnv = process.env): BackupSettings {
  const format = parseChoice(input('format'), 'format', ['custom', 'plain'] as const, 'custom');
  return {
    database: parseDatabaseUrl(input('database-url'), 'database-url'),
    bucket: parseBucket(input('bucket')),
    prefix: parsePrefix(input('prefix') || 'database/'),
    format,
    compression: parseCompression(input('compression'), format),
    aws: { region: parseRegion(input('region'), env), endpointUrl: parseEndpointUrl(input('endpoint-url')) },
    encryption: parseEncryption(input('server-side-encryption'), input('kms-key-id')),
    storageClass: parseStorageClass(input('storage-class')),
    retention: parseRetention(input('retention')),
    minKeep: parseInteger(input('min-keep'), 'min-keep', 7, 1),
    pruneDryRun: parseBoolean(input('prune-dry-run'), 'prune-dry-run', false),
    rowCounts: parseChoice(input('row-counts'), 'row-counts', ['exact', 'off'] as const, 'exact'),
    pgDumpArgs: parsePgDumpArgs(input('pg-dump-args')),
    globals: parseChoice(input('globals'), 'globals', GLOBALS_POLICIES, 'required'),
  };
}
