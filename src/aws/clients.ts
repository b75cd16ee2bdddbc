import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AwsSettings } from './settings.js';

/** Adaptive retries back off on throttling (503 SlowDown) as well as on network errors. */
const RETRY = { maxAttempts: 6, retryMode: 'adaptive' as const };

/** `overrides` adjusts the SDK's behaviour for one use, e.g. when the response checksum is validated. */
export function createS3Client(settings: AwsSettings, overrides: Pick<S3ClientConfig, 'responseChecksumValidation'> = {}): S3Client {
  return new S3Client({
    region: settings.region,
    ...RETRY,
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl, forcePathStyle: true } : {}),
    ...overrides,
  });
}
