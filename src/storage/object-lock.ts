import {
  GetObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  type ObjectLockMode,
  type S3Client,
} from '@aws-sdk/client-s3';
import { httpStatusOf } from '../aws/errors.js';
import { ConfigurationError, errorMessage } from '../errors.js';
import { readLock } from './object-lock-read.js';

/** The `lock-mode` input: auto locks in compliance mode when the bucket has Object Lock. */
export type LockSetting = 'auto' | 'compliance' | 'governance' | 'off';

export const LOCK_SETTINGS = ['auto', 'compliance', 'governance', 'off'] as const;

/** A retention to give an object: it cannot be deleted (nor, in compliance mode, unlocked) before `retainUntil`. */
export interface ObjectLock {
  mode: ObjectLockMode;
  retainUntil: Date;
}

/** Whether the bucket was created with Object Lock; a bucket without the configuration has none. */
export async function bucketHasObjectLock(client: S3Client, bucket: string): Promise<boolean> {
  try {
    const response = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    return response.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'ObjectLockConfigurationNotFoundError' || name === 'ObjectLockConfigurationNotFound') return false;
    if (httpStatusOf(error) === 403) {
      throw new Error(
        `reading the Object Lock configuration of ${bucket} was denied: the role needs s3:GetBucketObjectLockConfiguration on the bucket (or set lock-mode: off)`,
      );
    }
    throw new Error(`could not read the Object Lock configuration of ${bucket}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

/**
 * The lock mode backups get in this bucket: auto is compliance when the bucket has Object Lock and
 * none otherwise; an explicit mode on a bucket without Object Lock is a mistake to fix.
 */
export function resolveLockMode(
  setting: LockSetting,
  bucketHasLock: boolean,
  bucket: string,
  inputName = 'lock-mode',
): ObjectLockMode | undefined {
  if (setting === 'off') return undefined;
  if (setting === 'auto') return bucketHasLock ? 'COMPLIANCE' : undefined;
  if (!bucketHasLock) {
    throw new ConfigurationError(
      `${inputName} is ${setting}, but bucket ${bucket} has no Object Lock (it can only be turned on for a versioned bucket); enable it on the bucket or set ${inputName}: off`,
    );
  }
  return setting === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE';
}

/** The lock parameters of a PutObject, CreateMultipartUpload or copy; nothing when there is no lock. */
export function lockParameters(lock: ObjectLock | undefined): {
  ObjectLockMode?: ObjectLockMode;
  ObjectLockRetainUntilDate?: Date;
} {
  return lock ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: lock.retainUntil } : {};
}

/**
 * Moves a lock's retain-until date later, never earlier: S3 refuses to shorten a compliance lock,
 * and a shorter one is never wanted. Returns the date the object is locked until afterwards.
 */
export async function extendLock(
  client: S3Client,
  bucket: string,
  key: string,
  lock: ObjectLock,
): Promise<{ retainUntil: Date; extended: boolean }> {
  const current = await readLock(client, bucket, key);
  if (current.retainUntil && current.retainUntil.getTime() >= lock.retainUntil.getTime())
    return { retainUntil: current.retainUntil, extended: false };
  // A lock keeps the mode it has: a governance lock extended in governance mode needs no bypass.
  const mode = current.retainUntil ? (current.mode ?? lock.mode) : lock.mode;
  await client.send(
    new PutObjectRetentionCommand({
      Bucket: bucket,
      Key: key,
      Retention: { Mode: mode, RetainUntilDate: lock.retainUntil },
    }),
  );
  return { retainUntil: lock.retainUntil, extended: true };
}
