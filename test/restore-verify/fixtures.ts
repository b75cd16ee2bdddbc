import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { runBackup, type BackupResult } from '../../src/backup/run-backup.js';
import { parseRestoreVerifyInputs } from '../../src/restore/inputs.js';
import {
  runRestoreVerify,
  type RestoreVerifyOptions,
  type RestoreVerifyResult,
} from '../../src/restore/run-restore-verify.js';
import type { StoredBackup } from '../../src/storage/backup-store.js';
import { manifestKeyFor, parseBackupKey } from '../../src/storage/keys.js';
import type { BackupManifest } from '../../src/storage/manifest.js';
import { silentLogger } from '../../src/util/logger.js';
import { stackFromEnv } from '../../harness/stack.js';
import { testS3Client } from '../helpers/s3.js';
import { clockOf, ownSecondClock } from '../helpers/backup-run.js';

export { manifestFor } from '../../harness/manifest.js';

export const PREFIX = 'database/';

/** A listed backup object, as BackupStore.list() gives it. */
export function storedBackup(key: string, withManifest: boolean): StoredBackup {
  const parsed = parseBackupKey(key, PREFIX);
  if (!parsed) throw new Error(`not a backup key: ${key}`);
  const object = { key, sizeBytes: 1, lastModified: parsed.time };
  return {
    key,
    format: parsed.format,
    keyTime: parsed.time,
    object,
    ...(withManifest ? { manifestObject: { ...object, key: manifestKeyFor(key) } } : {}),
  };
}

export const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';

/** A real backup made by the backup action's domain code, with retention off. */
export async function makeBackup(
  databaseUrl: string,
  bucket: string,
  options: { format?: 'custom' | 'plain'; now?: () => Date; jobs?: number } = {},
): Promise<BackupResult> {
  const settings = parseBackupInputs(
    reader({
      'database-url': databaseUrl,
      bucket,
      prefix: PREFIX,
      'endpoint-url': stackFromEnv().awsEndpoint,
      retention: 'off',
      format: options.format ?? 'custom',
      jobs: String(options.jobs ?? 1),
    }),
  );
  return runBackup({
    ...settings,
    run: {},
    log: silentLogger,
    clock: options.now ? clockOf(options.now) : ownSecondClock(),
  });
}

/** A scratch database name nobody else uses. */
export function scratchName(): string {
  return `scratch_${randomBytes(5).toString('hex')}`;
}

export function reportPath(): string {
  return join(tmpdir(), `restore-verify-${randomBytes(5).toString('hex')}.json`);
}

/** Runs restore-verify through the same input parsing the action uses. */
export async function restoreVerify(
  inputs: Record<string, string>,
  options: Partial<RestoreVerifyOptions> = {},
): Promise<RestoreVerifyResult> {
  const stack = stackFromEnv();
  const settings = parseRestoreVerifyInputs(
    reader({
      prefix: PREFIX,
      'endpoint-url': stack.awsEndpoint,
      'report-path': reportPath(),
      'target-database-url': stack.postgresUrl(scratchName()),
      jobs: '2',
      ...inputs,
    }),
    options.env,
  );
  return runRestoreVerify({ ...settings, run: { runId: 'test' }, log: silentLogger, ...options });
}

export async function getObject(bucket: string, key: string): Promise<Buffer> {
  const response = await testS3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

/** The manifest stored beside a backup, as S3 holds it. */
export async function storedManifest(bucket: string, key: string): Promise<BackupManifest> {
  return JSON.parse((await getObject(bucket, manifestKeyFor(key))).toString('utf8')) as BackupManifest;
}

export async function putObject(bucket: string, key: string, body: Buffer | string): Promise<void> {
  await testS3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export function stepOf(result: RestoreVerifyResult, name: string) {
  const step = result.report.steps.find((s) => s.name === name);
  if (!step) throw new Error(`no step ${name} in the report`);
  return step;
}

export function checklistOf(result: RestoreVerifyResult, key: string) {
  return result.report.checklist.find((c) => c.key === key);
}
