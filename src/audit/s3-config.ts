import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  type LifecycleRule,
  type ReplicationConfiguration,
  type ReplicationRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { unlessNotFound } from '../aws/errors.js';

/** A bucket's settings the plan depends on, each undefined when the bucket has none. */

export async function versioningStatus(client: S3Client, bucket: string): Promise<string> {
  const response = await client.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  return response.Status ?? 'never enabled';
}

export async function replicationOf(client: S3Client, bucket: string): Promise<ReplicationConfiguration | undefined> {
  const response = await unlessNotFound(client.send(new GetBucketReplicationCommand({ Bucket: bucket })), 'ReplicationConfigurationNotFoundError');
  return response?.ReplicationConfiguration;
}

export async function lifecycleOf(client: S3Client, bucket: string): Promise<LifecycleRule[]> {
  const response = await unlessNotFound(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), 'NoSuchLifecycleConfiguration');
  return response?.Rules ?? [];
}

/** The bucket's region, or undefined when there is no such bucket. */
export async function bucketRegion(client: S3Client, bucket: string): Promise<string | undefined> {
  const response = await unlessNotFound(client.send(new GetBucketLocationCommand({ Bucket: bucket })), 'NoSuchBucket');
  if (!response) return undefined;
  const location = response.LocationConstraint as string | undefined;
  // S3 answers no constraint for us-east-1 and the legacy 'EU' for eu-west-1.
  return !location ? 'us-east-1' : location === 'EU' ? 'eu-west-1' : location;
}

export const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;
export const bucketOfArn = (arn: string) => arn.replace(/^arn:aws[a-z-]*:s3:::/, '');

/** The key prefix a replication or lifecycle rule applies to, and whether tags narrow it further. */
export function ruleScope(rule: { Prefix?: string; Filter?: { Prefix?: string; Tag?: unknown; And?: { Prefix?: string; Tags?: unknown[] } } }): { prefix: string; tagged: boolean } {
  const filter = rule.Filter;
  const prefix = filter?.Prefix ?? filter?.And?.Prefix ?? rule.Prefix ?? '';
  return { prefix, tagged: Boolean(filter?.Tag) || Boolean(filter?.And?.Tags?.length) };
}

/** True when the rule applies to every object under `prefix` ('' for the whole bucket). */
export function covers(rule: Parameters<typeof ruleScope>[0], prefix: string): boolean {
  const scope = ruleScope(rule);
  return !scope.tagged && prefix.startsWith(scope.prefix);
}

export function describeScope(rule: Parameters<typeof ruleScope>[0]): string {
  const scope = ruleScope(rule);
  return `${scope.prefix ? `prefix '${scope.prefix}'` : 'the whole bucket'}${scope.tagged ? ' (objects with certain tags only)' : ''}`;
}

/** The rules that send objects to `destination`, in priority order. */
export function rulesTo(config: ReplicationConfiguration | undefined, destination: string): ReplicationRule[] {
  return (config?.Rules ?? []).filter((rule) => bucketOfArn(rule.Destination?.Bucket ?? '') === destination).sort((a, b) => (b.Priority ?? 0) - (a.Priority ?? 0));
}

export function scopesText(prefixes: readonly string[]): string {
  return prefixes.map((p) => (p ? `'${p}'` : 'the whole bucket')).join(', ');
}
