import type { ObjectLockMode } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.js';
import type { AwsSettings } from '../aws/settings.js';
import { errorMessage } from '../errors.js';
import { BackupStore } from '../storage/backup-store.js';
import { copyBackup } from '../storage/copy.js';
import { manifestKeyFor } from '../storage/keys.js';
import type { BackupManifest } from '../storage/manifest.js';
import type { LockSetting, ObjectLock } from '../storage/object-lock.js';
import { DEFAULT_REPLICATION_TIMEOUT_MS, waitForReplication } from '../storage/replication-wait.js';
import type { RetentionPolicy } from '../retention/retention.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { CopySettings } from './inputs.js';
import { lockModeFor, newBackupLock } from './protection.js';
import { retainBackups, type RetentionOutcome } from './retention-step.js';

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

/** The copy bucket, reached in its own region at its own endpoint. */
function copyStore(settings: CopySettings, prefix: string, aws: AwsSettings): BackupStore {
  const endpointUrl = settings.endpointUrl ?? aws.endpointUrl;
  return new BackupStore(createS3Client({ ...aws, region: settings.region, endpointUrl }), settings.bucket, prefix);
}

export interface SecondCopyOptions {
  prefix: string;
  /** The primary's settings (endpoint, limits); the copy bucket is reached with them in its own region. */
  aws: AwsSettings;
  lockMode: LockSetting;
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
 * action, or replicated by S3 and waited for. Then the copy bucket's retention. Nothing of the copy
 * region is asked before the primary backup is published, not even its Object Lock configuration:
 * a region that refuses, resets, fails TLS or name resolution, denies, errs or stays silent (the
 * plan's regional outage) must not cost the night's backup. Any failure, a mistake in the copy
 * bucket's settings too (lock-mode compliance on a bucket without Object Lock), is returned, not
 * thrown: the primary backup stands, and the step fails afterwards saying so.
 */
export async function makeSecondCopy(
  settings: CopySettings,
  source: BackupStore,
  manifest: BackupManifest,
  options: SecondCopyOptions,
): Promise<CopyOutcome> {
  const store = copyStore(settings, options.prefix, options.aws);
  const base = {
    mode: settings.mode,
    bucket: settings.bucket,
    region: settings.region,
    key: manifest.key,
    manifestKey: manifestKeyFor(manifest.key),
  };
  let lockMode: ObjectLockMode | undefined;
  let lock: ObjectLock | undefined;
  try {
    if (settings.mode === 'copy') {
      lockMode = await lockModeFor(store, options.lockMode);
      lock = newBackupLock(lockMode, options.retention, options.startedAt);
      await copyBackup(source, manifest, { store, encryption: settings.encryption, lock });
    } else {
      await waitForReplication({
        source,
        replica: store,
        keys: [
          manifest.key,
          ...(manifest.globals?.status === 'stored' ? [manifest.globals.key] : []),
          ...(manifest.parts ?? []).map((part) => part.key),
          manifestKeyFor(manifest.key),
        ],
        timeoutMs: options.replicationTimeoutMs ?? DEFAULT_REPLICATION_TIMEOUT_MS,
        clock: options.clock,
      });
    }
  } catch (error) {
    return { ...base, lock, status: 'failed', error: errorMessage(error) };
  }
  options.log.info(
    `${settings.mode === 'copy' ? 'copied' : 'replicated'} to s3://${settings.bucket}/${manifest.key} (${settings.region})`,
  );
  const status: CopyStatus = settings.mode === 'copy' ? 'copied' : 'replicated';
  if (options.retention === 'off') return { ...base, lock, status };
  return {
    ...base,
    lock,
    status,
    ...(await retainCopies(
      store,
      manifest,
      { ...options, retention: options.retention },
      settings.mode === 'copy' ? lockMode : null,
    )),
  };
}

/** The copy bucket's retention; `lockMode` null when it is still to be read (replication: S3 wrote the copies). */
async function retainCopies(
  store: BackupStore,
  manifest: BackupManifest,
  options: SecondCopyOptions & { retention: RetentionPolicy },
  known: ObjectLockMode | undefined | null,
): Promise<RetentionOutcome> {
  let lockMode = known ?? undefined;
  if (known === null) {
    try {
      lockMode = await lockModeFor(store, options.lockMode);
    } catch (error) {
      return { retentionError: errorMessage(error) };
    }
  }
  return retainBackups(store, manifest.key, {
    policy: options.retention,
    minKeep: options.minKeep,
    dryRun: options.pruneDryRun,
    now: new Date(options.clock.now()),
    log: options.log,
    lockMode,
    ownManifest: { ...manifest, bucket: store.bucket },
  });
}
