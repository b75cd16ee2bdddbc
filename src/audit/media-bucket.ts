import type { LifecycleRule, ReplicationConfiguration, ReplicationRule } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.js';
import { defineChecks, verdict, type AuditCheck } from './check.js';
import type { AuditContext } from './context.js';
import type { MediaSettings } from './settings.js';
import { sampleReplication, unreplicated, SAMPLE_SIZE, type SampledObject } from './media-sample.js';
import { PLAN, SENTENCE } from './plan.js';
import {
  bucketArn,
  bucketRegion,
  covers,
  describeScope,
  lifecycleOf,
  replicationOf,
  rulesTo,
  scopesText,
  versioningStatus,
} from './s3-config.js';

export const MEDIA_CHECKS = defineChecks('media', {
  versioning: ['media.versioning', SENTENCE.enableVersioning, 'high'],
  replication: ['media.replication', SENTENCE.crossRegionReplication, 'high'],
  deleteMarkers: ['media.delete-marker-replication', SENTENCE.crossRegionReplication, 'medium'],
  replicationTime: ['media.replication-time', SENTENCE.realTimeReplication, 'medium'],
  replicaBucket: ['media.replica-bucket', SENTENCE.crossRegionReplication, 'high'],
  // Versions deleted sooner lose what a restore of a media file needs; versions kept forever only cost money.
  versionRetention: ['media.noncurrent-version-retention', SENTENCE.keepVersions, 'high'],
  versionExpiration: ['media.noncurrent-version-expiration', SENTENCE.deleteOldVersions, 'low'],
  replicationStatus: ['media.replication-status', SENTENCE.realTimeReplication, 'high'],
});

export interface MediaFacts {
  exists: boolean;
  versioning: string;
  replication?: ReplicationConfiguration;
  lifecycle: LifecycleRule[];
  replicaRegion?: string;
  replicaVersioning?: string;
  sample: SampledObject[];
}

export async function readMediaFacts(ctx: AuditContext, media: MediaSettings): Promise<MediaFacts> {
  const primary = createS3Client(ctx.primary);
  const secondary = createS3Client(ctx.secondary);
  if (!(await bucketRegion(primary, media.bucket)))
    return { exists: false, versioning: 'unknown', lifecycle: [], sample: [] };
  const [versioning, replication, lifecycle, replicaRegion, sample] = await Promise.all([
    versioningStatus(primary, media.bucket),
    replicationOf(primary, media.bucket),
    lifecycleOf(primary, media.bucket),
    bucketRegion(primary, media.replicaBucket),
    sampleReplication(primary, media.bucket, media.prefixes),
  ]);
  const replicaVersioning = replicaRegion ? await versioningStatus(secondary, media.replicaBucket) : undefined;
  return { exists: true, versioning, replication, lifecycle, replicaRegion, replicaVersioning, sample };
}

function replicationFix(ctx: AuditContext, media: MediaSettings, role: string | undefined): string {
  const rule = {
    ID: 'dr-media',
    Priority: 1,
    Status: 'Enabled',
    Filter: {},
    DeleteMarkerReplication: { Status: media.deleteMarkers === 'enabled' ? 'Enabled' : 'Disabled' },
    Destination: {
      Bucket: bucketArn(media.replicaBucket),
      ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
      Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
    },
  };
  const config = { Role: role ?? 'arn:aws:iam::<account-id>:role/<s3-replication-role>', Rules: [rule] };
  return `aws s3api put-bucket-replication --region ${ctx.primary.region} --bucket ${media.bucket} --replication-configuration '${JSON.stringify(config)}'`;
}

function replicationChecks(ctx: AuditContext, media: MediaSettings, facts: MediaFacts): AuditCheck[] {
  const C = MEDIA_CHECKS;
  const fix = replicationFix(ctx, media, facts.replication?.Role);
  const rules = rulesTo(facts.replication, media.replicaBucket);
  const enabled = rules.filter((r) => r.Status === 'Enabled');
  const uncovered = media.prefixes.filter((prefix) => !enabled.some((r) => covers(r, prefix)));
  const describe = (r: ReplicationRule) => `rule ${r.ID ?? '(no id)'} ${r.Status} for ${describeScope(r)}`;
  const none = facts.replication
    ? `no replication rule sends objects to ${media.replicaBucket}`
    : `${media.bucket} has no replication configuration`;
  const replication = rules.length
    ? verdict(
        C.replication,
        uncovered.length === 0,
        uncovered.length
          ? `${rules.map(describe).join('; ')}: ${scopesText(uncovered)} not replicated`
          : `${enabled.map(describe).join('; ')} to ${media.replicaBucket}`,
        fix,
      )
    : verdict(C.replication, false, none, fix);
  const want = media.deleteMarkers === 'enabled' ? 'Enabled' : 'Disabled';
  const markers = rules.map((r) => r.DeleteMarkerReplication?.Status ?? 'Disabled');
  const deleteMarkers = verdict(
    C.deleteMarkers,
    rules.length > 0 && markers.every((s) => s === want),
    rules.length ? `delete marker replication ${[...new Set(markers)].join('/')} (the team chose ${want})` : none,
    fix,
  );
  const timed = rules.map((r) =>
    r.Destination?.ReplicationTime?.Status === 'Enabled'
      ? 'Replication Time Control'
      : r.Destination?.Metrics?.Status === 'Enabled'
        ? 'replication metrics'
        : undefined,
  );
  const replicationTime = verdict(
    C.replicationTime,
    rules.length > 0 && timed.every(Boolean),
    rules.length
      ? timed.every(Boolean)
        ? `${[...new Set(timed)].join(' and ')} on`
        : 'neither Replication Time Control nor replication metrics: nobody would see replication fall behind'
      : none,
    fix,
  );
  return [replication, deleteMarkers, replicationTime];
}

function replicaBucketCheck(ctx: AuditContext, media: MediaSettings, facts: MediaFacts): AuditCheck {
  const create = (bucket: string) =>
    `aws s3api create-bucket --region ${ctx.secondary.region} --bucket ${bucket} --create-bucket-configuration LocationConstraint=${ctx.secondary.region} && aws s3api put-bucket-versioning --region ${ctx.secondary.region} --bucket ${bucket} --versioning-configuration Status=Enabled`;
  const fix = !facts.replicaRegion
    ? create(media.replicaBucket)
    : facts.replicaRegion === ctx.secondary.region
      ? `aws s3api put-bucket-versioning --region ${ctx.secondary.region} --bucket ${media.replicaBucket} --versioning-configuration Status=Enabled`
      : `${create(`${media.replicaBucket}-${ctx.secondary.region}`)}  # then point the replication rule at it, and media-replica-bucket`;
  if (!facts.replicaRegion)
    return verdict(MEDIA_CHECKS.replicaBucket, false, `${media.replicaBucket} does not exist`, fix);
  const inSecondary = facts.replicaRegion === ctx.secondary.region;
  return verdict(
    MEDIA_CHECKS.replicaBucket,
    inSecondary && facts.replicaVersioning === 'Enabled',
    `${media.replicaBucket} is in ${facts.replicaRegion}${inSecondary ? '' : ` (not the secondary region ${ctx.secondary.region})`}, versioning ${facts.replicaVersioning}`,
    fix,
  );
}

const noncurrentDays = (rule: LifecycleRule) => rule.NoncurrentVersionExpiration?.NoncurrentDays;

function describeExpiry(rule: LifecycleRule): string {
  const newer = rule.NoncurrentVersionExpiration?.NewerNoncurrentVersions;
  const disabled = rule.Status === 'Enabled' ? '' : ` (${rule.Status ?? 'no status'}: it does nothing)`;
  return `rule ${rule.ID ?? '(no id)'}: ${noncurrentDays(rule)} days${newer ? ` (the newest ${newer} kept longer)` : ''} for ${describeScope(rule)}${disabled}`;
}

/** "Keep versions for 90 days" and "delete old versions after 90 days": one loses data when broken, the other costs money. */
function lifecycleChecks(ctx: AuditContext, media: MediaSettings, facts: MediaFacts): AuditCheck[] {
  const days = PLAN.noncurrentVersionDays;
  const fix = `aws s3api put-bucket-lifecycle-configuration --region ${ctx.primary.region} --bucket ${media.bucket} --lifecycle-configuration '${JSON.stringify({ Rules: [{ ID: 'keep-versions-90-days', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: days } }] })}'  # replaces every rule: merge in the bucket's other rules`;
  const expiring = facts.lifecycle.filter((r) => noncurrentDays(r) !== undefined);
  const enabled = expiring.filter((r) => r.Status === 'Enabled');
  const sooner = enabled.filter((r) => (noncurrentDays(r) ?? 0) < days);
  const list = (rules: LifecycleRule[]) => rules.map(describeExpiry).join('; ');
  const retention = sooner.length
    ? verdict(
        MEDIA_CHECKS.versionRetention,
        false,
        `old versions deleted sooner than ${days} days, so a media file cannot be recovered as it was ${days} days ago: ${list(sooner)}`,
        fix,
      )
    : verdict(
        MEDIA_CHECKS.versionRetention,
        true,
        enabled.length
          ? `no rule deletes old versions sooner than ${days} days: ${list(enabled)}`
          : 'no rule deletes old versions',
        fix,
      );
  const uncovered = media.prefixes.filter((prefix) => !enabled.some((r) => covers(r, prefix)));
  const expiration = !expiring.length
    ? verdict(
        MEDIA_CHECKS.versionExpiration,
        false,
        'no lifecycle rule expires old versions: they are kept (and paid for) forever',
        fix,
      )
    : verdict(
        MEDIA_CHECKS.versionExpiration,
        uncovered.length === 0,
        uncovered.length
          ? `old versions in ${scopesText(uncovered)} expire only where an enabled rule covers them, the rest are kept (and paid for) forever: ${list(expiring)}`
          : `old versions deleted after ${list(enabled.filter((r) => media.prefixes.some((p) => covers(r, p))))}`,
        fix,
      );
  return [retention, expiration];
}

function sampleCheck(ctx: AuditContext, media: MediaSettings, facts: MediaFacts): AuditCheck {
  const bad = unreplicated(facts.sample, ctx.now);
  const failed = bad.filter((o) => o.status === 'FAILED');
  const shown = bad.slice(0, 3);
  const fix = shown.length
    ? shown
        .map(
          (o) =>
            `aws s3api copy-object --region ${ctx.primary.region} --bucket ${media.bucket} --key '${o.key}' --copy-source '${media.bucket}/${o.key}' --metadata-directive REPLACE`,
        )
        .join(' && ') + '  # a re-write replicates again; for many objects use S3 Batch Replication'
    : `aws s3api head-object --region ${ctx.primary.region} --bucket ${media.bucket} --key <key> --query ReplicationStatus`;
  if (!facts.sample.length)
    return verdict(
      MEDIA_CHECKS.replicationStatus,
      true,
      `no objects under ${scopesText(media.prefixes)} to sample`,
      fix,
    );
  const counts = ['COMPLETED', 'PENDING', 'FAILED']
    .map((s) => `${facts.sample.filter((o) => o.status === s).length} ${s}`)
    .join(', ');
  const none = facts.sample.filter((o) => !o.status).length;
  const found = `newest ${facts.sample.length} objects (of up to ${SAMPLE_SIZE}): ${counts}${none ? `, ${none} with no replication status` : ''}${bad.length ? `; e.g. ${shown.map((o) => `'${o.key}' ${o.status ?? 'not replicated'}`).join(', ')}` : ''}`;
  return verdict(MEDIA_CHECKS.replicationStatus, bad.length === 0 && failed.length === 0, found, fix);
}

/** The media files prerequisites: versioning, replication to the other region as the plan says, 90 days of versions, and proof that it replicates. */
export function mediaChecks(ctx: AuditContext, media: MediaSettings, facts: MediaFacts): AuditCheck[] {
  if (!facts.exists) {
    const fix = `aws s3api list-buckets --query 'Buckets[].Name'  # media-bucket must name the bucket the application stores files in`;
    return Object.values(MEDIA_CHECKS).map((d) => verdict(d, false, `${media.bucket} does not exist`, fix));
  }
  const versioning = verdict(
    MEDIA_CHECKS.versioning,
    facts.versioning === 'Enabled',
    `versioning ${facts.versioning}`,
    `aws s3api put-bucket-versioning --region ${ctx.primary.region} --bucket ${media.bucket} --versioning-configuration Status=Enabled`,
  );
  return [
    versioning,
    ...replicationChecks(ctx, media, facts),
    replicaBucketCheck(ctx, media, facts),
    ...lifecycleChecks(ctx, media, facts),
    sampleCheck(ctx, media, facts),
  ];
}
