import type { ObjectLockMode } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.js';
import { isS3Timeout } from '../aws/s3-timeouts.js';
import type { AwsSettings } from '../aws/settings.js';
import { errorMessage } from '../errors.js';
import { BackupStore } from '../storage/backup-store.js';
import { copyBackup } from '../storage/copy.js';
import { manifestKeyFor } from '../storage/keys.js';
import type { BackupManifest } from '../storage/manifest.js';
import type { ObjectLock } from '../storage/object-lock.js';
import { DEFAULT_REPLICATION_TIMEOUT_MS, waitForReplication } from '../storage/replication-wait.js';
import type { RetentionPolicy } from '../retention/retention.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { CopySettings } from './inputs.js';
import { lockModeFor, newBackupLock } from './protection.js';
import { retainBackups, type RetentionOutcome } from './retention-step.js';
import type { LockSetting } from '../storage/object-lock.js';

export type CopyStatus = 'copied' | 'replicated' | 'failed';

export interface CopyOutcome extends RetentionOutcome {
  status: CopyStatus;
  mode: CopySettings['mode'];
  bucket: string;
  region: string;
  key: string;
  manifestKey: string;
  /** The copy's own lock, when this action wrote it into a locked bucket. */
  lock?: ObjectLock;
  /** Why the copy failed; the primary backup is kept all the same. */
  error?: string;
}

/** The copy bucket, reached in its own region, and its lock mode: read before anything is dumped. */
export interface PreparedCopy {
  settings: CopySettings;
  store: BackupStore;
  lockMode?: ObjectLockMode;
  /** Why the copy region could not be read: the copy fails, the primary backup is made all the same. */
  unreachable?: string;
}

/**
 * `aws` is the primary's settings (endpoint, limits); the copy bucket is reached with them in its
 * own region. A copy region that does not answer (a regional outage) must not cost the night's
 * backup: it is noted, and the copy is reported failed beside the published backup. Any other
 * error (a denial, a lock mode the bucket cannot have) stops the run before anything is dumped.
 */
export async function prepareCopy(settings: CopySettings, prefix: string, aws: AwsSettings, lockSetting: LockSetting): Promise<PreparedCopy> {
  const store = new BackupStore(createS3Client({ ...aws, region: settings.region }), settings.bucket, prefix);
  try {
    return { settings, store, lockMode: await lockModeFor(store, lockSetting) };
  } catch (error) {
    if (!isS3Timeout(error)) throw error;
    return { settings, store, unreachable: errorMessage(error) };
  }
}

export interface SecondCopyOptions {
  retention: RetentionPolicy | 'off';
  minKeep: number;
  pruneDryRun: boolean;
  startedAt: Date;
  clock: Clock;
  log: Logger;
  replicationTimeoutMs?: number;
}

/**
 * The backup's second copy, in another region, made once the primary is complete: copied by this
 * action, or replicated by S3 and waited for. Then the copy bucket's retention. A failure is
 * returned, not thrown: the primary backup stands, and the step fails afterwards saying so.
 */
export async function makeSecondCopy(copy: PreparedCopy, source: BackupStore, manifest: BackupManifest, options: SecondCopyOptions): Promise<CopyOutcome> {
  const { settings, store } = copy;
  const lock = settings.mode === 'copy' ? newBackupLock(copy.lockMode, options.retention, options.startedAt) : undefined;
  const base = { mode: settings.mode, bucket: settings.bucket, region: settings.region, key: manifest.key, manifestKey: manifestKeyFor(manifest.key), lock };
  if (copy.unreachable) return { ...base, status: 'failed', error: copy.unreachable };
  try {
    if (settings.mode === 'copy') {
      await copyBackup(source, manifest, { store, encryption: settings.encryption, lock });
    } else {
      await waitForReplication({ source, replica: store, keys: [manifest.key, ...(manifest.globals?.status === 'stored' ? [manifest.globals.key] : []), manifestKeyFor(manifest.key)], timeoutMs: options.replicationTimeoutMs ?? DEFAULT_REPLICATION_TIMEOUT_MS, clock: options.clock });
    }
  } catch (error) {
    return { ...base, status: 'failed', error: errorMessage(error) };
  }
  options.log.info(`${settings.mode === 'copy' ? 'copied' : 'replicated'} to s3://${settings.bucket}/${manifest.key} (${settings.region})`);
  const status: CopyStatus = settings.mode === 'copy' ? 'copied' : 'replicated';
  if (options.retention === 'off') return { ...base, status };
  const retained = await retainBackups(store, manifest.key, { policy: options.retention, minKeep: options.minKeep, dryRun: options.pruneDryRun, now: new Date(options.clock.now()), log: options.log, lockMode: copy.lockMode, ownManifest: { ...manifest, bucket: settings.bucket } });
  return { ...base, status, ...retained };
}
