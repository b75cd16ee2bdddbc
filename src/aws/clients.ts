import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { DEFAULT_S3_TIMEOUTS, reportTimeoutsPlainly, s3RequestHandlerOptions } from './s3-timeouts.js';
import type { AwsSettings } from './settings.js';
import { reportUnreachablePlainly } from './unreachable.js';

/** Adaptive retries back off on throttling (503 SlowDown) as well as on network errors. */
const RETRY = { maxAttempts: 6, retryMode: 'adaptive' as const };

/**
 * Control-plane calls are small: a region that does not answer within these limits is down,
 * and a failover must say so rather than hang on it.
 */
const CONTROL_PLANE_TIMEOUTS = {
  requestHandler: { connectionTimeout: 10_000, requestTimeout: 60_000, throwOnRequestTimeout: true },
};

/** Route 53's API lives in one place for every zone; requests are signed for us-east-1. */
const ROUTE53_SIGNING_REGION = 'us-east-1';

/**
 * `overrides` adjusts the SDK's behaviour for one use, e.g. when the response checksum is validated.
 * S3 gets a connection and an idle limit but no limit on a request's length (s3-timeouts.ts).
 */
export function createS3Client(
  settings: AwsSettings,
  overrides: Pick<S3ClientConfig, 'responseChecksumValidation'> = {},
): S3Client {
  const timeouts = settings.s3Timeouts ?? DEFAULT_S3_TIMEOUTS;
  const client = new S3Client({
    region: settings.region,
    ...RETRY,
    requestHandler: s3RequestHandlerOptions(timeouts),
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl, forcePathStyle: true } : {}),
    ...overrides,
  });
  reportTimeoutsPlainly(client, settings, timeouts);
  reportUnreachablePlainly(client, 'S3', settings, { networkOnly: true });
  return client;
}

/**
 * What every control-plane client shares: adaptive retries, the timeouts, and endpoint-url when set.
 * A client only one action needs is made beside its calls (database-secret.ts), so that the other
 * actions' bundles do not carry its SDK.
 */
export function controlPlaneConfig(region: string, settings: AwsSettings) {
  return {
    region,
    ...RETRY,
    ...CONTROL_PLANE_TIMEOUTS,
    ...(settings.endpointUrl ? { endpoint: settings.endpointUrl } : {}),
  };
}

/**
 * `maxAttempts` lowers the retries for probes of a region that may be down (the old primary's
 * during a regional outage), which should report "unreachable" in seconds.
 */
export function createRdsClient(settings: AwsSettings, overrides: { maxAttempts?: number } = {}): RDSClient {
  const client = new RDSClient({ ...controlPlaneConfig(settings.region, settings), ...overrides });
  reportUnreachablePlainly(client, 'RDS', settings);
  return client;
}

/** Route 53 is global: `settings.region` is ignored; an endpoint-url, when set, serves Route 53 too. */
export function createRoute53Client(settings: AwsSettings): Route53Client {
  const client = new Route53Client(controlPlaneConfig(ROUTE53_SIGNING_REGION, settings));
  reportUnreachablePlainly(client, 'Route 53', { endpointUrl: settings.endpointUrl });
  return client;
}

/** ElastiCache is regional; the audit reads replication groups only. */
export function createElastiCacheClient(settings: AwsSettings): ElastiCacheClient {
  const client = new ElastiCacheClient(controlPlaneConfig(settings.region, settings));
  reportUnreachablePlainly(client, 'ElastiCache', settings);
  return client;
}

/** CloudWatch is regional: a replica's metrics live in the replica's region. */
export function createCloudWatchClient(settings: AwsSettings): CloudWatchClient {
  const client = new CloudWatchClient(controlPlaneConfig(settings.region, settings));
  reportUnreachablePlainly(client, 'CloudWatch', settings);
  return client;
}
