import { S3Client } from '@aws-sdk/client-s3';
import type { AwsSettings } from './settings.js';

/** Adaptive retries back off on throttling (503 SlowDown) as well as on network errors. */
const RETRY = { maxAttempts: 6, retryMode: 'adaptive' as const };

export function createS3Client(settings: AwsSettings): S3Client {
  return new S3Client({
    region: settings.region,
    ...RETRY,
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl, forcePathStyle: true } : {}),
  });
}
