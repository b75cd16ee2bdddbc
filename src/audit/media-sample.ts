import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mapWithLimit } from '../util/concurrency.js';

/** How many of the newest objects are asked for their replication status. */
export const SAMPLE_SIZE = 20;
/** Replication Time Control replicates 99.99% of objects within 15 minutes; PENDING longer than that is stuck. */
export const PENDING_LIMIT_SECONDS = 15 * 60;

export interface SampledObject {
  key: string;
  lastModified: Date;
  /** COMPLETED, PENDING, FAILED, or undefined when S3 gives none (the object is not under a replication rule). */
  status?: string;
}

/**
 * The newest objects of the first page of the listing (up to 1,000 keys) under each prefix, with
 * their replication status (HeadObject). A page, not the whole bucket: media buckets hold millions.
 */
export async function sampleReplication(
  client: S3Client,
  bucket: string,
  prefixes: readonly string[],
): Promise<SampledObject[]> {
  const listed = await Promise.all(
    prefixes.map((prefix) =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, MaxKeys: 1000 })),
    ),
  );
  const objects = listed
    .flatMap((page) => page.Contents ?? [])
    .filter((o) => o.Key)
    .map((o) => ({ key: o.Key as string, lastModified: o.LastModified ?? new Date(0) }))
    .sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime())
    .slice(0, SAMPLE_SIZE);
  return mapWithLimit(objects, 8, async (object) => {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: object.key }));
    return { ...object, status: head.ReplicationStatus };
  });
}

/** The sampled objects that are not replicated, or not on their way within the time S3 promises. */
export function unreplicated(sample: readonly SampledObject[], now: Date): SampledObject[] {
  return sample.filter((o) => {
    if (o.status === 'COMPLETED') return false;
    if (o.status === 'PENDING') return now.getTime() - o.lastModified.getTime() > PENDING_LIMIT_SECONDS * 1000;
    return true;
  });
}
