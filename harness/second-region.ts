import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../src/aws/clients.js';
import { stackFromEnv } from './stack.js';
import { PRIMARY_REGION, SECONDARY_REGION } from './aws-topology.js';

/** The plan's secondary region: where the copies go. */
export const COPY_REGION = SECONDARY_REGION;

export function s3In(region: string): S3Client {
  return createS3Client({ region, endpointUrl: stackFromEnv().awsEndpoint });
}

/** A new bucket in `region`, optionally versioned or with Object Lock (which versions it). */
export async function createRegionalBucket(
  region: string,
  options: { prefix?: string; versioned?: boolean; objectLock?: boolean } = {},
): Promise<string> {
  const bucket = `${options.prefix ?? 'bkt'}-${randomBytes(5).toString('hex')}`;
  const client = s3In(region);
  await client.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as 'us-west-2' } }),
      ...(options.objectLock ? { ObjectLockEnabledForBucket: true } : {}),
    }),
  );
  if (options.versioned && !options.objectLock)
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  return bucket;
}

/** A primary bucket (versioned, as replication requires) that replicates everything to `destination`. */
export async function replicateTo(source: string, destination: string): Promise<void> {
  await s3In(PRIMARY_REGION).send(
    new PutBucketVersioningCommand({ Bucket: source, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await s3In(PRIMARY_REGION).send(
    new PutBucketReplicationCommand({
      Bucket: source,
      ReplicationConfiguration: {
        Role: 'arn:aws:iam::123456789012:role/replication',
        Rules: [
          {
            ID: 'all',
            Priority: 1,
            Status: 'Enabled',
            Filter: { Prefix: '' },
            DeleteMarkerReplication: { Status: 'Disabled' },
            Destination: { Bucket: `arn:aws:s3:::${destination}` },
          },
        ],
      },
    }),
  );
}

async function stackControl(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${stackFromEnv().awsEndpoint}/moto-api/dr-stack/${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`the test stack refused ${path}: ${response.status}`);
}

/** New objects of `bucket` read PENDING for `seconds` before COMPLETED (null: forever), as S3 replication does (harness/moto_launcher.py). */
export function setReplicationDelay(bucket: string, seconds: number | null): Promise<void> {
  return stackControl('s3/replication-delay', { bucket, seconds });
}

/** The object at `key` reads as written at `time` (its LastModified), as if the test had waited since (harness/moto_launcher.py). */
export function setWrittenAt(bucket: string, key: string, time: Date): Promise<void> {
  return stackControl('s3/written-at', { bucket, key, time: time.toISOString() });
}

/** PutObject of keys ending in `suffix` is refused in `bucket`, as a bucket policy denying it would (moto evaluates none). */
export function denyPuts(bucket: string, suffix: string): Promise<void> {
  return stackControl('s3/deny-put', { bucket, suffix });
}
