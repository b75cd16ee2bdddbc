import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/aws/clients.js';
import { stackFromEnv } from '../../harness/stack.js';

export const TEST_REGION = 'us-east-1';

export function testS3Client(): S3Client {
  return createS3Client({ region: TEST_REGION, endpointUrl: stackFromEnv().awsEndpoint });
}

/** A new bucket with a unique name on the stack's moto server. */
export async function createBucket(prefix = 'bkt'): Promise<string> {
  const bucket = `${prefix}-${randomBytes(5).toString('hex')}`;
  await testS3Client().send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export async function listKeys(bucket: string, prefix = ''): Promise<string[]> {
  const client = testS3Client();
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

export async function openMultipartUploads(bucket: string): Promise<string[]> {
  const response = await testS3Client().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (response.Uploads ?? []).map((upload) => upload.Key ?? '');
}
