import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionSources, root, sourcesFrom } from './sources.js';

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface Policy {
  Version: string;
  Statement: Statement[];
}

const policy = (name: string) => JSON.parse(readFileSync(join(root, 'docs', 'iam', name), 'utf8')) as Policy;
const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const actionsOf = (p: Policy) => new Set(p.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action)));

/** The IAM action each SDK command needs. */
const IAM_ACTION: Record<string, string> = {
  ListObjectsV2Command: 's3:ListBucket',
  GetObjectCommand: 's3:GetObject',
  HeadObjectCommand: 's3:GetObject',
  PutObjectCommand: 's3:PutObject',
  PutObjectTaggingCommand: 's3:PutObjectTagging',
  DeleteObjectsCommand: 's3:DeleteObject',
  DeleteObjectCommand: 's3:DeleteObject',
  AbortMultipartUploadCommand: 's3:AbortMultipartUpload',
  CreateMultipartUploadCommand: 's3:PutObject',
  UploadPartCommand: 's3:PutObject',
  CompleteMultipartUploadCommand: 's3:PutObject',
  UploadPartCopyCommand: 's3:PutObject',
  ListObjectVersionsCommand: 's3:ListBucketVersions',
  PutObjectRetentionCommand: 's3:PutObjectRetention',
  DescribeDBInstancesCommand: 'rds:DescribeDBInstances',
  PromoteReadReplicaCommand: 'rds:PromoteReadReplica',
  AddTagsToResourceCommand: 'rds:AddTagsToResource',
  GetHostedZoneCommand: 'route53:GetHostedZone',
  ListResourceRecordSetsCommand: 'route53:ListResourceRecordSets',
  ChangeResourceRecordSetsCommand: 'route53:ChangeResourceRecordSets',
  GetChangeCommand: 'route53:GetChange',
  DescribeDBSnapshotsCommand: 'rds:DescribeDBSnapshots',
  GetMetricStatisticsCommand: 'cloudwatch:GetMetricStatistics',
  DescribeReplicationGroupsCommand: 'elasticache:DescribeReplicationGroups',
  GetBucketEncryptionCommand: 's3:GetEncryptionConfiguration',
  GetBucketLifecycleConfigurationCommand: 's3:GetLifecycleConfiguration',
  GetBucketLocationCommand: 's3:GetBucketLocation',
  GetBucketReplicationCommand: 's3:GetReplicationConfiguration',
  GetBucketVersioningCommand: 's3:GetBucketVersioning',
  GetObjectLockConfigurationCommand: 's3:GetBucketObjectLockConfiguration',
  GetPublicAccessBlockCommand: 's3:GetBucketPublicAccessBlock',
  ListHealthChecksCommand: 'route53:ListHealthChecks',
  DescribeDBInstanceAutomatedBackupsCommand: 'rds:DescribeDBInstanceAutomatedBackups',
  RestoreDBInstanceToPointInTimeCommand: 'rds:RestoreDBInstanceToPointInTime',
  RestoreDBInstanceFromDBSnapshotCommand: 'rds:RestoreDBInstanceFromDBSnapshot',
  DeleteDBInstanceCommand: 'rds:DeleteDBInstance',
  CreateDBSnapshotCommand: 'rds:CreateDBSnapshot',
  CopyDBSnapshotCommand: 'rds:CopyDBSnapshot',
  DeleteDBSnapshotCommand: 'rds:DeleteDBSnapshot',
};

/** The tag keys the failover writes on the replica, from its sources. */
const FAILOVER_TAG_KEYS = [...new Set([...actionSources('failover').matchAll(/'(dr-actions:[a-z-]+)'/g)].map((m) => m[1] as string))];

/** The AWS commands an action's code sends, from its sources. */
function commandsSentBy(action: string, entry?: string): string[] {
  const sources = entry ? sourcesFrom(entry) : actionSources(action);
  return [...new Set([...sources.matchAll(/new ([A-Za-z0-9]+Command)\(/g)].map((m) => m[1] as string))].sort();
}

describe.each([
  ['backup', 'backup-role-policy.json'],
  ['restore-verify', 'restore-verify-role-policy.json'],
  ['failover', 'failover-execute-role-policy.json'],
  ['failover', 'staging-failover-execute-role-policy.json'],
  ['dr-audit', 'dr-audit-role-policy.json'],
])('the %s role', (action, file) => {
  test('allows every call the action makes', () => {
    const commands = commandsSentBy(action);
    expect(commands.length).toBeGreaterThan(0);
    const unmapped = commands.filter((c) => !IAM_ACTION[c]);
    expect(unmapped).toEqual([]);
    const allowed = actionsOf(policy(file));
    expect(commands.map((c) => IAM_ACTION[c]).filter((a) => !allowed.has(a as string))).toEqual([]);
  });
});

test('no policy grants wildcard actions, and none lets backups bypass Object Lock', () => {
  for (const file of ['backup-role-policy.json', 'restore-verify-role-policy.json', 'failover-plan-role-policy.json', 'failover-execute-role-policy.json', 'staging-failover-plan-role-policy.json', 'staging-failover-execute-role-policy.json', 'dr-audit-role-policy.json', 'rds-restore-test-role-policy.json', 'rds-snapshot-role-policy.json']) {
    for (const action of actionsOf(policy(file))) {
      expect(action).not.toContain('*');
      expect(action).not.toBe('s3:BypassGovernanceRetention');
    }
  }
});

/** Bucket-level reads: whether the bucket keeps versions and has Object Lock; they change nothing. */
const BUCKET_READS = ['s3:GetBucketVersioning', 's3:GetBucketObjectLockConfiguration'];

test('backup writes and deletes only under its prefix, in the backup bucket and in the copy bucket of the other region', () => {
  const statements = policy('backup-role-policy.json').Statement;
  const objectStatements = statements.filter((x) => list(x.Action).some((a) => a.startsWith('s3:') && !a.startsWith('s3:ListBucket') && !BUCKET_READS.includes(a)));
  expect(objectStatements.flatMap((s) => list(s.Resource)).sort()).toEqual(['arn:aws:s3:::saas-backups-us-west-2/database/*', 'arn:aws:s3:::saas-backups/database/*']);
  for (const s of objectStatements) expect(list(s.Action).some((a) => BUCKET_READS.includes(a) || a.startsWith('s3:ListBucket'))).toBe(false);
  for (const s of statements.filter((x) => list(x.Action).some((a) => BUCKET_READS.includes(a)))) {
    expect(list(s.Action).every((a) => BUCKET_READS.includes(a))).toBe(true);
    expect(list(s.Resource)).toHaveLength(1);
  }
  const listings = statements.filter((x) => list(x.Action).includes('s3:ListBucket'));
  expect(listings.flatMap((s) => list(s.Resource)).sort()).toEqual(['arn:aws:s3:::saas-backups', 'arn:aws:s3:::saas-backups-us-west-2']);
  for (const listing of listings) expect(listing.Condition?.StringLike?.['s3:prefix']).toEqual(['database/', 'database/*']);
});

test('the backup role may lock and extend locks, delete versions retention prunes, but never bypass a lock: a stolen role cannot delete a locked backup', () => {
  const allowed = actionsOf(policy('backup-role-policy.json'));
  for (const action of ['s3:PutObjectRetention', 's3:GetObjectRetention', 's3:DeleteObjectVersion', 's3:ListBucketVersions']) expect(allowed.has(action)).toBe(true);
  expect(allowed.has('s3:BypassGovernanceRetention')).toBe(false);
  expect(allowed.has('s3:PutBucketObjectLockConfiguration')).toBe(false);
  expect(allowed.has('s3:PutObjectLegalHold')).toBe(false);
});

test('restore-verify only reads', () => {
  const actions = [...actionsOf(policy('restore-verify-role-policy.json'))].sort();
  expect(actions).toEqual(['kms:Decrypt', 's3:GetObject', 's3:ListBucket']);
});

test('the dr-audit role only reads: Describe, Get and List calls (and decrypting what it reads), each one the action makes', () => {
  const allowed = [...actionsOf(policy('dr-audit-role-policy.json'))].sort();
  for (const action of allowed) expect(action).toMatch(/^[a-z0-9]+:(Describe|Get|List)[A-Za-z0-9]*$|^kms:Decrypt$/);
  const made = new Set(commandsSentBy('dr-audit').map((c) => IAM_ACTION[c]));
  expect(allowed.filter((a) => a !== 'kms:Decrypt' && !made.has(a))).toEqual([]);
});

test('the failover plan role changes nothing', () => {
  expect([...actionsOf(policy('failover-plan-role-policy.json'))].sort()).toEqual(['rds:DescribeDBInstances', 'route53:GetHostedZone', 'route53:ListResourceRecordSets']);
  const planCalls = ['DescribeDBInstancesCommand', 'GetHostedZoneCommand', 'ListResourceRecordSetsCommand'].map((c) => IAM_ACTION[c]);
  expect([...actionsOf(policy('failover-plan-role-policy.json'))].sort()).toEqual(planCalls.sort());
});

test.each([
  ['failover-execute-role-policy.json', 'saas-production-replica', 'Z1234567890ABC', 'db.saas.example.com'],
  ['staging-failover-execute-role-policy.json', 'saas-staging-replica', 'Z0STAGING00000', 'db.staging.saas.example.com'],
])('%s may promote only the named replica, tag it only with the failover tags, and change only the named record', (file, replica, zone, record) => {
  const statements = policy(file).Statement;
  const promote = statements.filter((s) => list(s.Action).includes('rds:PromoteReadReplica'));
  expect(promote.flatMap((s) => list(s.Resource))).toEqual([`arn:aws:rds:us-west-2:111122223333:db:${replica}`]);
  const tagging = statements.filter((s) => list(s.Action).includes('rds:AddTagsToResource'));
  expect(tagging.flatMap((s) => list(s.Resource))).toEqual([`arn:aws:rds:us-west-2:111122223333:db:${replica}`]);
  expect(tagging.map((s) => [...list(s.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'])].sort())).toEqual([[...FAILOVER_TAG_KEYS].sort()]);
  const change = statements.filter((s) => list(s.Action).includes('route53:ChangeResourceRecordSets'));
  expect(change.flatMap((s) => list(s.Resource))).toEqual([`arn:aws:route53:::hostedzone/${zone}`]);
  expect(change[0]?.Condition?.['ForAllValues:StringEquals']?.['route53:ChangeResourceRecordSetsNormalizedRecordNames']).toEqual([record]);
  for (const s of statements) for (const resource of list(s.Resource)) if (resource.includes('*')) expect(resource).toBe('arn:aws:route53:::change/*');
});

test('the staging policies name no production resource', () => {
  for (const file of ['staging-failover-plan-role-policy.json', 'staging-failover-execute-role-policy.json']) {
    const text = readFileSync(join(root, 'docs', 'iam', file), 'utf8');
    for (const production of ['saas-production', 'Z1234567890ABC', '"db.saas.example.com"']) expect(text).not.toContain(production);
  }
});

test('trust policies pin the repository, and the failover execute role its environment', () => {
  const sub = (file: string) => policy(file).Statement[0]?.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub'];
  expect(sub('oidc-trust-policy-failover-execute.json')).toBe('repo:acme/saas-platform:environment:disaster-recovery-failover');
  expect(sub('oidc-trust-policy-staging-failover-execute.json')).toBe('repo:acme/saas-platform:environment:dr-staging');
  expect(sub('oidc-trust-policy-scheduled.json')).toBe('repo:acme/saas-platform:ref:refs/heads/main');
  for (const file of ['oidc-trust-policy-failover-execute.json', 'oidc-trust-policy-staging-failover-execute.json', 'oidc-trust-policy-scheduled.json']) {
    expect(policy(file).Statement[0]?.Condition?.StringEquals?.['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com');
  }
});

test('the failover workflow assumes the execute role only inside its environment', () => {
  const workflow = readFileSync(join(root, '.github', 'workflows', 'failover.yml'), 'utf8');
  const execute = workflow.slice(workflow.indexOf('\n  execute:'));
  expect(execute).toMatch(/environment:\n\s+name: \$\{\{ inputs.environment \|\| 'disaster-recovery-failover' \}\}/);
  expect(execute).toContain("role-to-assume: ${{ needs.configure.outputs.staging == 'true' && needs.configure.outputs.execute-role-arn || vars.DR_FAILOVER_ROLE_ARN }}");
  expect(workflow.slice(0, workflow.indexOf('\n  execute:'))).not.toContain('vars.DR_FAILOVER_ROLE_ARN');
});

/** rds-restore-test has two roles, one per mode: each allows its mode's calls, and together they cover every call of the action. */
describe.each([
  ['restore-test', 'src/rds-restore/run-rds-restore-test.ts', 'rds-restore-test-role-policy.json'],
  ['snapshot', 'src/rds-restore/hourly-snapshots.ts', 'rds-snapshot-role-policy.json'],
])('the rds-restore-test %s role', (_mode, entry, file) => {
  test('allows every call the mode makes, with AddTagsToResource for the tags it creates resources with', () => {
    const commands = commandsSentBy('rds-restore-test', entry);
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((c) => !IAM_ACTION[c])).toEqual([]);
    const allowed = actionsOf(policy(file));
    expect(commands.map((c) => IAM_ACTION[c]).filter((a) => !allowed.has(a as string))).toEqual([]);
    expect(allowed.has('rds:AddTagsToResource')).toBe(true);
  });
});

test('the two rds-restore-test roles together cover every call of the action', () => {
  const allowed = new Set([...actionsOf(policy('rds-restore-test-role-policy.json')), ...actionsOf(policy('rds-snapshot-role-policy.json'))]);
  expect(commandsSentBy('rds-restore-test').map((c) => IAM_ACTION[c]).filter((a) => !allowed.has(a as string))).toEqual([]);
});

test('the rds-restore-test role deletes only instances carrying its tag, restores only into instances tagged so, and never touches snapshots', () => {
  const statements = policy('rds-restore-test-role-policy.json').Statement;
  const tag = (s: Statement, kind: 'ResourceTag' | 'RequestTag') => s.Condition?.StringEquals?.[`aws:${kind}/dr-actions:made-by`];
  const deletes = statements.filter((s) => list(s.Action).includes('rds:DeleteDBInstance'));
  expect(deletes.length).toBeGreaterThan(0);
  for (const s of deletes) expect(tag(s, 'ResourceTag')).toBe('rds-restore-test');
  const restoresIntoInstances = statements.filter((s) => list(s.Action).some((a) => a.startsWith('rds:Restore')) && list(s.Resource).some((r) => r.includes(':db:') && r.endsWith('-rt-*')));
  for (const s of restoresIntoInstances) expect(tag(s, 'RequestTag')).toBe('rds-restore-test');
  for (const s of statements.filter((x) => list(x.Action).some((a) => a.startsWith('rds:Restore')))) {
    for (const r of list(s.Resource).filter((x) => x.includes(':db:'))) expect(r.endsWith('-rt-*') ? tag(s, 'RequestTag') : 'source').toBeTruthy();
  }
  const allowed = [...actionsOf(policy('rds-restore-test-role-policy.json'))];
  expect(allowed.filter((a) => /Snapshot$/.test(a) && !a.startsWith('rds:Describe') && !a.startsWith('rds:Restore'))).toEqual([]);
});

test('the rds snapshot role deletes only snapshots carrying its tag, and never an instance', () => {
  const statements = policy('rds-snapshot-role-policy.json').Statement;
  const deletes = statements.filter((s) => list(s.Action).includes('rds:DeleteDBSnapshot'));
  expect(deletes.length).toBeGreaterThan(0);
  for (const s of deletes) expect(s.Condition?.StringEquals?.['aws:ResourceTag/dr-actions:made-by']).toBe('rds-restore-test hourly-snapshot');
  expect(actionsOf(policy('rds-snapshot-role-policy.json')).has('rds:DeleteDBInstance')).toBe(false);
});
