import type { LifecycleRule, ReplicationConfiguration, ReplicationRule } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.js';
import { defineChecks, verdict, type AuditCheck } from './check.js';
import type { AuditContext } from './context.js';
import type { MediaSettings } from './settings.js';
import { sampleReplication, unreplicated, SAMPLE_SIZE, type SampledObject } from './media-sample.js';
import { PLAN, SENTENCE } from './plan.js';
import { bucketArn, bucketRegion, covers, describeScope, lifecycleOf, replicationOf, rulesTo, scopesText, versioningStatus } from './s3-config.js';

export const MEDIA_CHECKS = defineChecks('media', {
  versioning: ['media.versioning', SENTENCE.enableVersioning, 'high'],
  replication: ['media.replication', SENTENCE.crossRegionReplication, 'high'],
  deleteMarkers: ['media.delete-marker-replication', SENTENCE.crossRegionReplication, 'medium'],
  replicationTime: ['media.replication-time', SENTENCE.realTimeReplication, 'medium'],
  replicaBucket: ['media.replica-bucket', SENTENCE.crossRegionReplication, 'high'],
  noncurrentVersions: ['media.noncurrent-version-expiration', SENTENCE.keepVersions, 'medium'],
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
  if (!(await bucketRegion(primary, media.bucket))) return { exists: false, versioning: 'unknown', lifecycle: [], sample: [] };
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
    Destination: { Bucket: bucketArn(media.replicaBucket), ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } }, Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } } },
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
  const none = facts.replication ? `no replication rule sends objects to ${media.replicaBucket}` : `${media.bucket} has no replication configuration`;
  const replication = rules.length
    ? verdict(C.replication, uncovered.length === 0, uncovered.length ? `${rules.map(describe).join('; ')}: ${scopesText(uncovered)} not replicated` : `${enabled.map(describe).join('; ')} to ${media.replicaBucket}`, fix)
    : verdict(C.replication, false, none, fix);
  const want = media.deleteMarkers === 'enabled' ? 'Enabled' : 'Disabled';
  const markers = rules.map((r) => r.DeleteMarkerReplication?.Status ?? 'Disabled');
  const deleteMarkers = verdict(C.deleteMarkers, rules.length > 0 && markers.every((s) => s === want), rules.length ? `delete marker replication ${[...new Set(markers)].join('/')} (the team chose ${want})` : none, fix);
  const timed = rules.map((r) => (r.Destination?.ReplicationTime?.Status === 'Enabled' ? 'Replication Time Control' : r.Destination?.Metrics?.Status === 'Enabled' ? 'replication metrics' : undefined));
  const replicationTime = verdict(
    C.replicationTime,
    rules.length > 0 && timed.every(Boolean),
    rules.length ? (timed.every(Boolean) ? `${[...new Set(timed)].join(' and ')} on` : 'neither Replication Time Control nor replication metrics: nobody would see replication fall behind') : none,
    fix,
  );
  return [replication, deleteMarkers, replicationTime];
}

function replicaBucketCheck(ctx: AuditContext, media: MediaSettings, facts: MediaFacts): AuditCheck {
  const fix = facts.replicaRegion
    ? `aws s3api put-bucket-versioning --region ${ctx.secondary.region} --bucket ${media.replicaBucket} --versioning-configuration Status=Enabled`
    : `aws s3api create-bucket --region ${ctx.secondary.region} --bucket ${media.replicaBucket} --create-bucket-configuration LocationConstraint=${ctx.secondary.region} && aws s3api put-bucket-versioning --region ${ctx.secondary.region} --bucket ${media.replicaBucket} --versioning-configuration Status=Enabled`;
  if (!facts.replicaRegion) return verdict(MEDIA_CHECKS.replicaBucket, false, `${media.replicaBucket} does not exist`, fix);
  const inSecondary = facts.replicaRegion === ctx.secondary.region;
  return verdict(
    MEDIA_CHECKS.replicaBucket,
    inSecondary && facts.replicaVersioning === 'Enabled',
    `${media.replicaBucket} is in ${facts.replicaRegion}${inSecondary ? '' : ` (not the secondary region ${ctx.secondary.region})`}, versioning ${facts.replicaVersioning}`,
    fix,
  );
}

function lifecycleCheck(ctx: AuditContext, media: MediaSettings, facts: MediaFacts): AuditCheck {
  const days = PLAN.noncurrentVersionDays;
  const fix = `aws s3api put-bucket-lifecycle-configuration --region ${ctx.primary.region} --bucket ${media.bucket} --lifecycle-configuration '${JSON.stringify({ Rules: [{ ID: 'keep-versions-90-days', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: days } }] })}'  # replaces every rule: merge in the bucket's other rules`;
  const expiring = facts.lifecycle.filter((r) => r.Status === 'Enabled' && r.NoncurrentVersionExpiration?.NoncurrentDays !== undefined);
  const sooner = expiring.filter((r) => (r.NoncurrentVersionExpiration?.NoncurrentDays ?? 0) < days);
  const whole = expiring.filter((r) => covers(r, ''));
  const dayList = (rules: LifecycleRule[]) => rules.map((r) => `rule ${r.ID ?? '(no id)'}: ${r.NoncurrentVersionExpiration?.NoncurrentDays} days for ${describeScope(r)}`).join('; ');
  if (sooner.length) return verdict(MEDIA_CHECKS.noncurrentVersions, false, `old versions deleted sooner than ${days} days: ${dayList(sooner)}`, fix);
  if (!whole.length) return verdict(MEDIA_CHECKS.noncurrentVersions, false, expiring.length ? `old versions expire only in part of the bucket: ${dayList(expiring)}` : 'no lifecycle rule expires old versions: they are kept (and paid for) forever', fix);
  return verdict(MEDIA_CHECKS.noncurrentVersions, true, `old versions deleted after ${dayList(whole)}`, fix);
}

function sampleCheck(ctx: AuditContext, media: MediaSettings, facts: MediaFacts): AuditCheck {
  const bad = unreplicated(facts.sample, ctx.now);
  const failed = bad.filter((o) => o.status === 'FAILED');
  const shown = bad.slice(0, 3);
  const fix = shown.length
    ? shown.map((o) => `aws s3api copy-object --region ${ctx.primary.region} --bucket ${media.bucket} --key '${o.key}' --copy-source '${media.bucket}/${o.key}' --metadata-directive REPLACE`).join(' && ') + '  # a re-write replicates again; for many objects use S3 Batch Replication'
    : `aws s3api head-object --region ${ctx.primary.region} --bucket ${media.bucket} --key <key> --query ReplicationStatus`;
  if (!facts.sample.length) return verdict(MEDIA_CHECKS.replicationStatus, true, `no objects under ${scopesText(media.prefixes)} to sample`, fix);
  const counts = ['COMPLETED', 'PENDING', 'FAILED'].map((s) => `${facts.sample.filter((o) => o.status === s).length} ${s}`).join(', ');
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
  return [versioning, ...replicationChecks(ctx, media, facts), replicaBucketCheck(ctx, media, facts), lifecycleCheck(ctx, media, facts), sampleCheck(ctx, media, facts)];
}
