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
  const response = await unlessNotFound(
    client.send(new GetBucketReplicationCommand({ Bucket: bucket })),
    'ReplicationConfigurationNotFoundError',
  );
  return response?.ReplicationConfiguration;
}

export async function lifecycleOf(client: S3Client, bucket: string): Promise<LifecycleRule[]> {
  const response = await unlessNotFound(
    client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })),
    'NoSuchLifecycleConfiguration',
  );
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

interface ObjectTag {
  Key?: string;
  Value?: string;
}

/** The filter of a lifecycle or replication rule, as S3 answers it (replication filters have no sizes). */
interface RuleFilter {
  Prefix?: string;
  Tag?: ObjectTag;
  ObjectSizeGreaterThan?: number;
  ObjectSizeLessThan?: number;
  And?: { Prefix?: string; Tags?: ObjectTag[]; ObjectSizeGreaterThan?: number; ObjectSizeLessThan?: number };
}

/** A lifecycle or replication rule: a Filter, or the legacy top-level Prefix. */
export interface ScopedRule {
  Prefix?: string;
  Filter?: RuleFilter;
}

/** Which objects a rule applies to: every condition of its filter, each of which narrows it. */
export interface RuleScope {
  /** '' for every key. */
  prefix: string;
  tags: ObjectTag[];
  /** Only objects larger than this many bytes. */
  largerThan?: number;
  /** Only objects smaller than this many bytes. */
  smallerThan?: number;
}

export function ruleScope(rule: ScopedRule): RuleScope {
  const filter = rule.Filter ?? {};
  const and = filter.And ?? {};
  const larger = filter.ObjectSizeGreaterThan ?? and.ObjectSizeGreaterThan;
  const smaller = filter.ObjectSizeLessThan ?? and.ObjectSizeLessThan;
  return {
    prefix: filter.Prefix ?? and.Prefix ?? rule.Prefix ?? '',
    tags: [...(filter.Tag ? [filter.Tag] : []), ...(and.Tags ?? [])],
    ...(larger !== undefined ? { largerThan: larger } : {}),
    ...(smaller !== undefined ? { smallerThan: smaller } : {}),
  };
}

/** True when the rule applies to every object under `prefix` ('' for the whole bucket): no tag or size narrows it, and its own prefix contains `prefix`. */
export function covers(rule: ScopedRule, prefix: string): boolean {
  const scope = ruleScope(rule);
  return (
    scope.tags.length === 0 &&
    scope.largerThan === undefined &&
    scope.smallerThan === undefined &&
    prefix.startsWith(scope.prefix)
  );
}

/** Exactly which objects the rule applies to, e.g. "prefix 'media/', objects tagged keep=yes, objects larger than 1024 bytes". */
export function describeScope(rule: ScopedRule): string {
  const scope = ruleScope(rule);
  const parts = [
    scope.prefix ? `prefix '${scope.prefix}'` : '',
    scope.tags.length ? `objects tagged ${scope.tags.map((t) => `${t.Key}=${t.Value ?? ''}`).join(' and ')}` : '',
    scope.largerThan !== undefined ? `objects larger than ${scope.largerThan} bytes` : '',
    scope.smallerThan !== undefined ? `objects smaller than ${scope.smallerThan} bytes` : '',
  ].filter(Boolean);
  return parts.length ? `only ${parts.join(', ')}` : 'the whole bucket';
}

/** The rules that send objects to `destination`, in priority order. */
export function rulesTo(config: ReplicationConfiguration | undefined, destination: string): ReplicationRule[] {
  return (config?.Rules ?? [])
    .filter((rule) => bucketOfArn(rule.Destination?.Bucket ?? '') === destination)
    .sort((a, b) => (b.Priority ?? 0) - (a.Priority ?? 0));
}

export function scopesText(prefixes: readonly string[]): string {
  return prefixes.map((p) => (p ? `'${p}'` : 'the whole bucket')).join(', ');
}
