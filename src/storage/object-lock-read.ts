import { HeadObjectCommand, type ObjectLockMode, type S3Client } from '@aws-sdk/client-s3';

/*
 * Reading a version's lock, apart from setting one (object-lock.ts): the read-only audit reads
 * locks without reaching s3:PutObjectRetention.
 */

/** The lock an object version carries now, as S3 reports it. */
export interface CurrentLock {
  mode?: ObjectLockMode;
  retainUntil?: Date;
  legalHold: boolean;
}

/**
 * Reads a version's lock with HeadObject (which reports it to a role allowed
 * s3:GetObjectRetention), one request per version, the same as GetObjectRetention would need.
 */
export async function readLock(
  client: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<CurrentLock> {
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return {
    mode: head.ObjectLockMode,
    retainUntil: head.ObjectLockRetainUntilDate,
    legalHold: head.ObjectLockLegalHoldStatus === 'ON',
  };
}

/** True while the version may not be deleted: under a legal hold or before its retain-until date. */
export function isLocked(lock: CurrentLock, now: Date): boolean {
  return lock.legalHold || (lock.retainUntil !== undefined && lock.retainUntil.getTime() > now.getTime());
}
