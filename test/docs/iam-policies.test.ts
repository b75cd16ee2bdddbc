import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { globalsKeyFor } from '../../src/storage/globals-object.js';
import { backupKey, manifestKeyFor, partKeyFor } from '../../src/storage/keys.js';
import { jobsOf, parseWorkflow } from '../workflows/workflow-rules.js';
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
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const actionsOf = (p: Policy) =>
  new Set(p.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action)));

/**
 * The IAM action a call needs is its service's prefix and the operation's name, except for these
 * S3 operations, whose permission IAM names otherwise (Service Authorization Reference, Amazon S3).
 */
const S3_PERMISSION: Record<string, string> = {
  ListObjectsV2: 's3:ListBucket',
  HeadObject: 's3:GetObject',
  DeleteObjects: 's3:DeleteObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  UploadPartCopy: 's3:PutObject',
  ListObjectVersions: 's3:ListBucketVersions',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  GetBucketReplication: 's3:GetReplicationConfiguration',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
};

/** The SDK package each command is imported from, in `sources`: `@aws-sdk/client-route-53` gives the prefix `route53`. */
function servicesOf(sources: string): Map<string, string> {
  const services = new Map<string, string>();
  for (const [, names, client] of sources.matchAll(
    /import\s*(?:type\s*)?\{([^}]*)\}\s*from '@aws-sdk\/client-([a-z0-9-]+)'/g,
  )) {
    for (const name of (names as string).split(',').map((n) => n.replace(/^\s*type\s+/, '').trim()))
      if (name.endsWith('Command')) services.set(name, (client as string).replaceAll('-', ''));
  }
  return services;
}

/** The IAM actions the calls in `sources` need; a command whose SDK package is not imported there reads as `?:Name`. */
function permissionsFor(sources: string, commands: string[]): string[] {
  const services = servicesOf(sources);
  return commands.map((command) => {
    const operation = command.replace(/Command$/, '');
    const service = services.get(command) ?? '?';
    return (service === 's3' && S3_PERMISSION[operation]) || `${service}:${operation}`;
  });
}

/** The tag keys the failover writes on the replica, from its sources. */
const FAILOVER_TAG_KEYS = [
  ...new Set([...actionSources('failover').matchAll(/'(dr-actions:[a-z-]+)'/g)].map((m) => m[1] as string)),
];

/** The IAM actions an action's code needs for the AWS commands it sends, from its sources (`entry`: those one file reaches). */
function permissionsNeededBy(action: string, entry?: string): string[] {
  const sources = entry ? sourcesFrom(entry) : actionSources(action);
  const commands = [...new Set([...sources.matchAll(/new ([A-Za-z0-9]+Command)\(/g)].map((m) => m[1] as string))];
  return [...new Set(permissionsFor(sources, commands))].sort();
}

describe.each([
  ['backup', 'backup-role-policy.json'],
  ['restore-verify', 'restore-verify-role-policy.json'],
  ['failover', 'failover-execute-role-policy.json'],
  ['failover', 'staging-failover-execute-role-policy.json'],
  ['dr-audit', 'dr-audit-role-policy.json'],
])('the %s role', (action, file) => {
  test('allows every call the action makes', () => {
    const needed = permissionsNeededBy(action);
    expect(needed.length).toBeGreaterThan(0);
    const allowed = actionsOf(policy(file));
    expect(needed.filter((a) => !allowed.has(a))).toEqual([]);
  });
});

/** Every permission policy in docs/iam (the trust policies aside). */
const POLICY_FILES = readdirSync(join(root, 'docs', 'iam')).filter(
  (f) => f.endsWith('.json') && !f.startsWith('oidc-trust-policy-'),
);
/** The policies of the staging drill's roles. */
const STAGING_POLICY_FILES = POLICY_FILES.filter((f) => f.startsWith('staging-'));

test('no policy grants wildcard actions, and none lets backups bypass Object Lock', () => {
  expect(POLICY_FILES.length).toBeGreaterThan(10);
  for (const file of POLICY_FILES) {
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
  const objectStatements = statements.filter(
    (x) =>
      x.Effect === 'Allow' &&
      list(x.Action).some((a) => a.startsWith('s3:') && !a.startsWith('s3:ListBucket') && !BUCKET_READS.includes(a)),
  );
  expect([...new Set(objectStatements.flatMap((s) => list(s.Resource)))].sort()).toEqual([
    'arn:aws:s3:::saas-backups-us-west-2/database/*',
    'arn:aws:s3:::saas-backups/database/*',
  ]);
  for (const s of objectStatements)
    expect(list(s.Action).some((a) => BUCKET_READS.includes(a) || a.startsWith('s3:ListBucket'))).toBe(false);
  for (const s of statements.filter((x) => list(x.Action).some((a) => BUCKET_READS.includes(a)))) {
    expect(list(s.Action).every((a) => BUCKET_READS.includes(a))).toBe(true);
    expect(list(s.Resource)).toHaveLength(1);
  }
  const listings = statements.filter((x) => list(x.Action).includes('s3:ListBucket'));
  expect(listings.flatMap((s) => list(s.Resource)).sort()).toEqual([
    'arn:aws:s3:::saas-backups',
    'arn:aws:s3:::saas-backups-us-west-2',
  ]);
  for (const listing of listings)
    expect(listing.Condition?.StringLike?.['s3:prefix']).toEqual(['database/', 'database/*']);
});

test('the backup role may lock and extend locks, delete versions retention prunes, but never bypass a lock: a stolen role cannot delete a locked backup', () => {
  const allowed = actionsOf(policy('backup-role-policy.json'));
  for (const action of [
    's3:PutObjectRetention',
    's3:GetObjectRetention',
    's3:DeleteObjectVersion',
    's3:ListBucketVersions',
  ])
    expect(allowed.has(action)).toBe(true);
  expect(allowed.has('s3:BypassGovernanceRetention')).toBe(false);
  expect(allowed.has('s3:PutBucketObjectLockConfiguration')).toBe(false);
  expect(allowed.has('s3:PutObjectLegalHold')).toBe(false);
});

/** The text of each `new <command>(...)` call in `sources`, up to its closing parenthesis. */
function callsOf(sources: string, command: string): string[] {
  return [...sources.matchAll(new RegExp(`new ${command}\\(`, 'g'))].map((match) => {
    let depth = 0;
    for (let i = match.index + match[0].length - 1; i < sources.length; i += 1) {
      if (sources[i] === '(') depth += 1;
      else if (sources[i] === ')' && --depth === 0) return sources.slice(match.index, i + 1);
    }
    throw new Error(`unclosed call to ${command}`);
  });
}

test('a stolen backup role cannot write over a stored backup or manifest: a write that creates an object is denied without If-None-Match, and the action sends it on each', () => {
  const statements = policy('backup-role-policy.json').Statement;
  const writable = statements
    .filter((s) => s.Effect === 'Allow' && list(s.Action).includes('s3:PutObject'))
    .flatMap((s) => list(s.Resource));
  const denials = statements.filter(
    (s) =>
      s.Effect === 'Deny' &&
      list(s.Action).includes('s3:PutObject') &&
      s.Condition?.Null?.['s3:if-none-match'] === 'true' &&
      s.Condition?.Bool?.['s3:ObjectCreationOperation'] === 'true',
  );
  // Every object of a backup (archive, parts, manifest, globals) starts with backup_; the break-glass
  // tool beside them (tools/, written by the backup workflow) is replaced when a build changes.
  expect(denials.flatMap((s) => list(s.Resource)).sort()).toEqual(
    writable.map((resource) => resource.replace(/\*$/, 'backup_*')).sort(),
  );
  const key = backupKey('database/', new Date(), 'custom');
  expect(key.startsWith('database/backup_')).toBe(true);
  for (const object of [key, partKeyFor(key, 1), manifestKeyFor(key), globalsKeyFor(key)])
    expect(object.startsWith('database/backup_')).toBe(true);
  expect(readFileSync(join(root, 'scripts', 'store-break-glass-tool.sh'), 'utf8')).toMatch(
    /dest="s3:\/\/\$bucket\/\$\{PREFIX:-\}tools"/,
  );

  const sources = actionSources('backup');
  const creations = [...callsOf(sources, 'PutObjectCommand'), ...callsOf(sources, 'CompleteMultipartUploadCommand')];
  expect(creations.length).toBeGreaterThanOrEqual(3);
  for (const call of creations) expect(call).toMatch(/IfNoneMatch: '\*'/);
  // S3 refuses a CopyObject wherever conditional writes are required (403 without the header, 501 with it).
  expect(callsOf(sources, 'CopyObjectCommand')).toEqual([]);
});

test('the backup role writes only the tag the backup writes, so a stolen role cannot tag a backup into a lifecycle rule that expires it', () => {
  const tagKeys = [...new Set([...actionSources('backup').matchAll(/TagSet: \[\{ Key: '([^']+)'/g)].map((m) => m[1]))];
  expect(tagKeys).toEqual(['sha256']);
  const tagging = policy('backup-role-policy.json').Statement.filter(
    (s) => s.Effect === 'Allow' && list(s.Action).includes('s3:PutObjectTagging'),
  );
  expect(tagging.length).toBeGreaterThan(0);
  for (const s of tagging) {
    expect(list(s.Action)).toEqual(['s3:PutObjectTagging']);
    expect(s.Condition?.['ForAllValues:StringEquals']?.['s3:RequestObjectTagKeys']).toEqual(tagKeys);
  }
});

test('restore-verify only reads (and signs in to its scratch database)', () => {
  const actions = [...actionsOf(policy('restore-verify-role-policy.json'))].sort();
  expect(actions).toEqual(['kms:Decrypt', 'rds-db:connect', 's3:GetObject', 's3:ListBucket']);
});

/** recover-database's calls by source: a recovery from a backup, and one from RDS (which reaches no S3 call). */
const RECOVER_FROM_BACKUP = [
  'src/recover-database/plan.ts',
  'src/recover-database/restore-beside.ts',
  'src/recover-database/cutover.ts',
];
const RECOVER_FROM_RDS = ['src/recover-database/run-rds-recovery.ts'];
const recoverNeeds = (entries: string[]) =>
  [...new Set(entries.flatMap((entry) => permissionsNeededBy('recover-database', entry)))].sort();

test('recover-database only reads the backups: what it changes is on the database server, under the database user', () => {
  const actions = [...actionsOf(policy('recover-database-role-policy.json'))].sort();
  expect(actions).toEqual(['kms:Decrypt', 'rds-db:connect', 's3:GetObject', 's3:ListBucket']);
  expect(recoverNeeds(RECOVER_FROM_BACKUP)).toEqual(['s3:GetObject', 's3:ListBucket']);
});

test('recover-database from RDS: its role allows every call, never a delete; the two roles together cover every call of the action', () => {
  const rdsRole = actionsOf(policy('recover-database-rds-role-policy.json'));
  const needed = recoverNeeds(RECOVER_FROM_RDS);
  expect(needed).toEqual([
    'rds:AddTagsToResource',
    'rds:DescribeDBInstanceAutomatedBackups',
    'rds:DescribeDBInstances',
    'rds:DescribeDBSnapshots',
    'rds:ModifyDBInstance',
    'rds:RestoreDBInstanceFromDBSnapshot',
    'rds:RestoreDBInstanceToPointInTime',
    'route53:ChangeResourceRecordSets',
    'route53:GetChange',
    'route53:GetHostedZone',
    'route53:ListResourceRecordSets',
  ]);
  expect(needed.filter((a) => !rdsRole.has(a))).toEqual([]);
  for (const action of rdsRole) expect(action).not.toMatch(/Delete/);
  const both = new Set([...rdsRole, ...actionsOf(policy('recover-database-role-policy.json'))]);
  expect(permissionsNeededBy('recover-database').filter((a) => !both.has(a))).toEqual([]);
});

/** What an RDS plan calls: it describes the instance and its recovery points, and with cutover: dns reads the record. */
const RDS_PLAN_READS = /^(rds:Describe|route53:(GetHostedZone|List))/;

test.each([
  ['recover-database-rds-plan-role-policy.json', 'and the record (cutover: dns)', true],
  ['staging-recover-database-rds-plan-role-policy.json', 'no record (a drill cuts over by rename)', false],
])('%s reads only what an RDS plan reads: the instance and its recovery points, %s', (file, _record, dns) => {
  const reads = recoverNeeds(RECOVER_FROM_RDS).filter(
    (a) => RDS_PLAN_READS.test(a) && (dns || !a.startsWith('route53:')),
  );
  expect(reads.length).toBeGreaterThanOrEqual(3);
  expect([...actionsOf(policy(file))].sort()).toEqual(reads);
});

test('the staging recover-database roles: from a backup they only read; from RDS execute allows every RDS call (a drill cuts over by rename), never a delete', () => {
  expect([...actionsOf(policy('staging-recover-database-role-policy.json'))].sort()).toEqual(
    [...actionsOf(policy('recover-database-role-policy.json'))].sort(),
  );
  const execute = actionsOf(policy('staging-recover-database-rds-execute-role-policy.json'));
  const needed = recoverNeeds(RECOVER_FROM_RDS).filter((a) => !a.startsWith('route53:'));
  expect(needed.filter((a) => !execute.has(a))).toEqual([]);
  for (const action of execute) expect(action).not.toMatch(/Delete|^route53:/);
  const workflow = readFileSync(join(root, '.github', 'workflows', 'recover-database.yml'), 'utf8');
  const stagingValues = /if \[ "\$STAGING" = true \]; then\n\s+value=\(([^)]*)\)/.exec(workflow)?.[1];
  expect(stagingValues).toContain('[cutover]=rename');
});

test('the staging RDS execute role restores only from the staging instance and its snapshots, into its subnet group', () => {
  const restores = policy('staging-recover-database-rds-execute-role-policy.json').Statement.filter((s) =>
    list(s.Action).some((a) => a.startsWith('rds:Restore')),
  );
  expect(restores.flatMap((s) => list(s.Resource)).filter((r) => !/:(og|pg):\*$/.test(r))).toEqual([
    'arn:aws:rds:us-east-1:111122223333:db:saas-staging',
    'arn:aws:rds:us-east-1:111122223333:snapshot:saas-staging-*',
    'arn:aws:rds:us-east-1:111122223333:snapshot:rds:saas-staging-*',
    'arn:aws:rds:us-east-1:111122223333:subgrp:saas-staging',
    'arn:aws:rds:us-east-1:111122223333:db:saas-staging-recovered-*',
  ]);
});

test.each([
  ['recover-database-rds-role-policy.json', 'saas-production'],
  ['staging-recover-database-rds-execute-role-policy.json', 'saas-staging'],
])('%s renames only instances tagged for a recovery of %s, and tags only with its journal', (file, instance) => {
  const statements = policy(file).Statement;
  const renames = statements.filter((s) => list(s.Action).includes('rds:ModifyDBInstance'));
  expect(renames.map((s) => [list(s.Resource), s.Condition])).toEqual([
    [
      [`arn:aws:rds:us-east-1:111122223333:db:${instance}`],
      { Null: { 'aws:ResourceTag/dr-actions:replaced-by': 'false' } },
    ],
    [
      [`arn:aws:rds:us-east-1:111122223333:db:${instance}-recovered-*`],
      { StringEquals: { 'aws:ResourceTag/dr-actions:made-by': 'recover-database' } },
    ],
  ]);
  const journalKeys = [
    ...new Set([...actionSources('recover-database').matchAll(/'(dr-actions:[a-z-]+)'/g)].map((m) => m[1] as string)),
  ].filter((k) => k !== 'dr-actions:run');
  const tagging = statements.filter((s) => list(s.Action).includes('rds:AddTagsToResource'));
  expect(tagging.map((s) => [...list(s.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'])].sort())).toEqual([
    journalKeys.sort(),
  ]);
});

test("recover-database with cutover: dns changes only the application's record, CNAME only, by compare-and-swap", () => {
  const statements = policy('recover-database-rds-role-policy.json').Statement;
  const change = statements.filter((s) => list(s.Action).includes('route53:ChangeResourceRecordSets'));
  expect(change.flatMap((s) => list(s.Resource))).toEqual(['arn:aws:route53:::hostedzone/Z1234567890ABC']);
  expect(change.map((s) => s.Condition?.['ForAllValues:StringEquals'])).toEqual([
    {
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['db.saas.example.com'],
      'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
      'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
    },
  ]);
  for (const s of statements.filter((s) => list(s.Action).some((a) => a.startsWith('route53:'))))
    for (const resource of list(s.Resource))
      if (resource.includes('*')) expect(resource).toBe('arn:aws:route53:::change/*');
});

/**
 * What reading an older version takes besides the call's own permission: GetObject and HeadObject
 * with a VersionId need s3:GetObjectVersion, and HeadObject reports a version's lock only to a role
 * allowed s3:GetObjectRetention and s3:GetObjectLegalHold (Service Authorization Reference, Amazon S3).
 */
const VERSION_READS = ['s3:GetObjectVersion', 's3:GetObjectRetention', 's3:GetObjectLegalHold'];

test('the dr-audit role only reads: Describe, Get and List calls (and decrypting what it reads), each one the action makes', () => {
  const allowed = [...actionsOf(policy('dr-audit-role-policy.json'))].sort();
  for (const action of allowed) expect(action).toMatch(/^[a-z0-9]+:(Describe|Get|List)[A-Za-z0-9]*$|^kms:Decrypt$/);
  const made = new Set(permissionsNeededBy('dr-audit'));
  const versionReads = made.has('s3:ListBucketVersions') ? VERSION_READS : [];
  expect(allowed.filter((a) => a !== 'kms:Decrypt' && !made.has(a) && !versionReads.includes(a))).toEqual([]);
});

test('the dr-audit role lists and reads the versions under the backup prefix in the backup bucket and its copy', () => {
  const statements = policy('dr-audit-role-policy.json').Statement;
  const resourcesOf = (action: string) =>
    statements.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));
  const buckets = ['arn:aws:s3:::saas-backups', 'arn:aws:s3:::saas-backups-us-west-2'];
  expect(resourcesOf('s3:ListBucketVersions').sort()).toEqual(buckets);
  for (const action of [...VERSION_READS, 's3:GetObjectTagging'])
    expect(resourcesOf(action).sort()).toEqual(buckets.map((b) => `${b}/database/*`).sort());
});

test('the failover plan role changes nothing (it signs in to the replica to read its lag)', () => {
  expect([...actionsOf(policy('failover-plan-role-policy.json'))].sort()).toEqual([
    'rds-db:connect',
    'rds:DescribeDBInstances',
    'route53:GetHostedZone',
    'route53:ListResourceRecordSets',
  ]);
});

test.each([
  ['failover-execute-role-policy.json', 'saas-production-replica', 'Z1234567890ABC', 'db.saas.example.com'],
  [
    'staging-failover-execute-role-policy.json',
    'saas-staging-replica',
    'Z0STAGING00000',
    'db.staging.saas.example.com',
  ],
])(
  '%s may promote only the named replica, tag it only with the failover tags, and change only the named record',
  (file, replica, zone, record) => {
    const statements = policy(file).Statement;
    const promote = statements.filter((s) => list(s.Action).includes('rds:PromoteReadReplica'));
    expect(promote.flatMap((s) => list(s.Resource))).toEqual([`arn:aws:rds:us-west-2:111122223333:db:${replica}`]);
    const tagging = statements.filter((s) => list(s.Action).includes('rds:AddTagsToResource'));
    expect(tagging.flatMap((s) => list(s.Resource))).toEqual([`arn:aws:rds:us-west-2:111122223333:db:${replica}`]);
    expect(tagging.map((s) => [...list(s.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'])].sort())).toEqual([
      [...FAILOVER_TAG_KEYS].sort(),
    ]);
    const change = statements.filter((s) => list(s.Action).includes('route53:ChangeResourceRecordSets'));
    expect(change.flatMap((s) => list(s.Resource))).toEqual([`arn:aws:route53:::hostedzone/${zone}`]);
    expect(
      change[0]?.Condition?.['ForAllValues:StringEquals']?.['route53:ChangeResourceRecordSetsNormalizedRecordNames'],
    ).toEqual([record]);
    for (const s of statements)
      for (const resource of list(s.Resource))
        if (resource.includes('*')) expect(resource).toBe('arn:aws:route53:::change/*');
  },
);

/** Every resource a policy names, with the actions of its statement. */
const resourcesOf = (file: string) =>
  policy(file).Statement.flatMap((s) => list(s.Resource).map((resource) => ({ resource, actions: list(s.Action) })));

/** Resources that hold nothing of one environment: a Route 53 change, RDS option and parameter groups. */
const SHARED_RESOURCES = [/^arn:aws:route53:::change\/\*$/, /^arn:aws:rds:[a-z0-9-]+:\d{12}:(og|pg):\*$/];

/** The database user of each `rds-db:connect` resource of `file`. */
const dbUsersOf = (file: string) =>
  resourcesOf(file)
    .filter((r) => r.actions.includes('rds-db:connect'))
    .map((r) => r.resource.slice(r.resource.lastIndexOf('/') + 1));

test.each(STAGING_POLICY_FILES)(
  '%s names no production resource: each one is staging, shared, or a wildcard read',
  (file) => {
    const text = readFileSync(join(root, 'docs', 'iam', file), 'utf8');
    for (const production of [
      'saas-production',
      'Z1234567890ABC',
      '"db.saas.example.com"',
      'arn:aws:s3:::saas-backups',
      ...POLICY_FILES.filter((f) => !f.startsWith('staging-')).flatMap((f) =>
        resourcesOf(f).flatMap((r) => r.resource.match(/db-[A-Z0-9]{26}|key\/[0-9a-f-]{36}/g) ?? []),
      ),
    ])
      expect(text).not.toContain(production);
    for (const { resource, actions } of resourcesOf(file)) {
      if (/staging/i.test(resource) || SHARED_RESOURCES.some((shared) => shared.test(resource))) continue;
      if (/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/.test(resource)) continue;
      // RDS lists snapshots and automated backups (whose ids are random) only on a wildcard: metadata, no data.
      expect([resource, actions.every((a) => a.startsWith('rds:Describe'))]).toEqual([
        expect.stringMatching(/^arn:aws:rds:[a-z0-9-]+:\d{12}:(snapshot|auto-backup):\*$/),
        true,
      ]);
    }
  },
);

test('a staging role that signs in to an instance it has not seen yet (any resource id) does so as a user no production role signs in as', () => {
  const productionUsers = new Set(POLICY_FILES.filter((f) => !f.startsWith('staging-')).flatMap(dbUsersOf));
  const anyInstance = STAGING_POLICY_FILES.flatMap((file) =>
    resourcesOf(file)
      .filter((r) => r.actions.includes('rds-db:connect') && r.resource.includes(':dbuser:*/'))
      .map((r) => [file, r.resource.slice(r.resource.lastIndexOf('/') + 1)]),
  );
  expect(anyInstance.length).toBeGreaterThan(0);
  for (const [file, user] of anyInstance) expect([file, productionUsers.has(user as string)]).toEqual([file, false]);
});

test('trust policies pin the repository, and the failover execute role its environment', () => {
  const sub = (file: string) =>
    policy(file).Statement[0]?.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub'];
  expect(sub('oidc-trust-policy-failover-execute.json')).toBe(
    'repo:acme/saas-platform:environment:disaster-recovery-failover',
  );
  expect(sub('oidc-trust-policy-staging-failover-execute.json')).toBe('repo:acme/saas-platform:environment:dr-staging');
  expect(sub('oidc-trust-policy-scheduled.json')).toBe('repo:acme/saas-platform:ref:refs/heads/main');
  expect(sub('oidc-trust-policy-recover-database-execute.json')).toBe(
    'repo:acme/saas-platform:environment:disaster-recovery-database',
  );
  expect(sub('oidc-trust-policy-recover-application-execute.json')).toBe(
    'repo:acme/saas-platform:environment:disaster-recovery-application',
  );
  for (const file of [
    'oidc-trust-policy-failover-execute.json',
    'oidc-trust-policy-staging-failover-execute.json',
    'oidc-trust-policy-scheduled.json',
    'oidc-trust-policy-recover-database-execute.json',
    'oidc-trust-policy-recover-application-execute.json',
  ]) {
    expect(policy(file).Statement[0]?.Condition?.StringEquals?.['token.actions.githubusercontent.com:aud']).toBe(
      'sts.amazonaws.com',
    );
  }
});

test.each([
  ['recover-database.yml', 'disaster-recovery-database', 'DR_RECOVER_ROLE_ARN'],
  ['recover-application.yml', 'disaster-recovery-application', 'DR_APP_ROLE_ARN'],
])(
  '%s assumes the execute role (an environment variable of %s) only inside that environment',
  (file, environment, variable) => {
    const workflow = readFileSync(join(root, '.github', 'workflows', file), 'utf8');
    const execute = workflow.slice(workflow.indexOf('\n  execute:'), workflow.indexOf('\n  post-mortem:'));
    expect(execute).toContain(`environment:\n      name: ${environment}\n`);
    expect(execute).toContain(`role-to-assume: \${{ vars.${variable} }}`);
    expect(workflow.replace(execute, '')).not.toContain(`vars.${variable}`);
  },
);

test("the failover workflow assumes each execute role only inside its environment: production's in production's, staging's in staging's", () => {
  const workflow = readFileSync(join(root, '.github', 'workflows', 'failover.yml'), 'utf8');
  const jobText = (id: string) => {
    const at = workflow.indexOf(`\n  ${id}:\n`);
    const next = workflow.slice(at + 1).search(/\n {2}[a-z-]+:\n/);
    return workflow.slice(at, next < 0 ? undefined : at + 1 + next);
  };
  const execute = jobText('execute');
  expect(execute).toMatch(/environment:\n\s+name: \$\{\{ inputs.environment \|\| 'disaster-recovery-failover' \}\}/);
  expect(execute).toContain('role-to-assume: ${{ vars.DR_FAILOVER_ROLE_ARN }}');
  expect(workflow.replace(execute, '')).not.toContain('vars.DR_FAILOVER_ROLE_ARN');
  const staging = jobText('execute-staging');
  expect(staging).toMatch(/environment:\n\s+name: \$\{\{ inputs.staging-environment \}\}/);
  expect(staging).toContain('role-to-assume: ${{ needs.configure-staging.outputs.execute-role-arn }}');
  expect(workflow.replace(staging, '').replace(jobText('configure-staging'), '')).not.toContain('execute-role-arn }}');
});

/** rds-restore-test has two roles, one per mode: each allows its mode's calls, and together they cover every call of the action. */
describe.each([
  ['restore-test', 'src/rds-restore/run-rds-restore-test.ts', 'rds-restore-test-role-policy.json'],
  ['snapshot', 'src/rds-restore/hourly-snapshots.ts', 'rds-snapshot-role-policy.json'],
])('the rds-restore-test %s role', (_mode, entry, file) => {
  test('allows every call the mode makes, with AddTagsToResource for the tags it creates resources with', () => {
    const needed = permissionsNeededBy('rds-restore-test', entry);
    expect(needed.length).toBeGreaterThan(0);
    const allowed = actionsOf(policy(file));
    expect(needed.filter((a) => !allowed.has(a))).toEqual([]);
    expect(allowed.has('rds:AddTagsToResource')).toBe(true);
  });
});

test('the two rds-restore-test roles together cover every call of the action', () => {
  const allowed = new Set([
    ...actionsOf(policy('rds-restore-test-role-policy.json')),
    ...actionsOf(policy('rds-snapshot-role-policy.json')),
  ]);
  expect(permissionsNeededBy('rds-restore-test').filter((a) => !allowed.has(a))).toEqual([]);
});

test('the rds-restore-test role deletes only instances carrying its tag, restores only into instances tagged so, and never touches snapshots', () => {
  const statements = policy('rds-restore-test-role-policy.json').Statement;
  const tag = (s: Statement, kind: 'ResourceTag' | 'RequestTag') =>
    s.Condition?.StringEquals?.[`aws:${kind}/dr-actions:made-by`];
  const deletes = statements.filter((s) => list(s.Action).includes('rds:DeleteDBInstance'));
  expect(deletes.length).toBeGreaterThan(0);
  for (const s of deletes) expect(tag(s, 'ResourceTag')).toBe('rds-restore-test');
  // A restore names two instances: the source (no tag of its own to ask for) and the new one, which must be tagged.
  const restores = statements.filter((x) => list(x.Action).some((a) => a.startsWith('rds:Restore')));
  const instancesRestoredInto = restores.filter((s) =>
    list(s.Resource).some((r) => r.includes(':db:') && r.endsWith('-rt-*')),
  );
  expect(instancesRestoredInto.length).toBeGreaterThan(0);
  for (const s of restores) {
    for (const r of list(s.Resource).filter((x) => x.includes(':db:'))) {
      if (r.endsWith('-rt-*')) expect(tag(s, 'RequestTag')).toBe('rds-restore-test');
      else expect(r).toBe('arn:aws:rds:us-east-1:111122223333:db:saas-production');
    }
  }
  const allowed = [...actionsOf(policy('rds-restore-test-role-policy.json'))];
  expect(
    allowed.filter((a) => /Snapshot$/.test(a) && !a.startsWith('rds:Describe') && !a.startsWith('rds:Restore')),
  ).toEqual([]);
});

test('the rds-restore-test role reads only the master secrets RDS manages, and decrypts only through Secrets Manager', () => {
  const statements = policy('rds-restore-test-role-policy.json').Statement;
  const reads = statements.filter((s) => list(s.Action).some((a) => a.startsWith('secretsmanager:')));
  expect(reads.map((s) => [list(s.Action), list(s.Resource)])).toEqual([
    [['secretsmanager:GetSecretValue'], ['arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!db-*']],
  ]);
  expect(permissionsNeededBy('rds-restore-test', 'src/rds-restore/run-rds-restore-test.ts')).toContain(
    'secretsmanager:GetSecretValue',
  );
  const decrypts = statements.filter((s) => list(s.Action).includes('kms:Decrypt'));
  expect(decrypts.length).toBeGreaterThan(0);
  for (const s of decrypts) {
    expect(list(s.Action)).toEqual(['kms:Decrypt']);
    for (const resource of list(s.Resource))
      expect(resource).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]+$/);
    expect(s.Condition?.StringEquals?.['kms:ViaService']).toBe('secretsmanager.us-east-1.amazonaws.com');
  }
  expect(permissionsNeededBy('rds-restore-test', 'src/rds-restore/hourly-snapshots.ts')).not.toContain(
    'secretsmanager:GetSecretValue',
  );
});

test('the rds snapshot role deletes only snapshots carrying its tag, and never an instance', () => {
  const statements = policy('rds-snapshot-role-policy.json').Statement;
  const deletes = statements.filter((s) => list(s.Action).includes('rds:DeleteDBSnapshot'));
  expect(deletes.length).toBeGreaterThan(0);
  for (const s of deletes)
    expect(s.Condition?.StringEquals?.['aws:ResourceTag/dr-actions:made-by']).toBe('rds-restore-test hourly-snapshot');
  expect(actionsOf(policy('rds-snapshot-role-policy.json')).has('rds:DeleteDBInstance')).toBe(false);
});

/**
 * database-auth: iam. Each role whose action connects to a database may sign in with an IAM token
 * (`rds-db:connect`) as one database user, on the instance it connects to: its DbiResourceId
 * (`db-...`, which a rename keeps) where that instance exists before the run; any resource id only
 * where the run makes the instance (rds-restore-test's temporary instances, recover-database's
 * restored one), and then as one user alone.
 */
const SIGN_IN = [
  ['backup-role-policy.json', 'us-east-1', 'db-', 'dr_backup'],
  ['restore-verify-role-policy.json', 'us-east-1', 'db-', 'dr_restore_verify'],
  ['failover-plan-role-policy.json', 'us-west-2', 'db-', 'dr_failover'],
  ['failover-execute-role-policy.json', 'us-west-2', 'db-', 'dr_failover'],
  ['staging-failover-plan-role-policy.json', 'us-west-2', 'db-', 'dr_failover'],
  ['staging-failover-execute-role-policy.json', 'us-west-2', 'db-', 'dr_failover'],
  ['recover-database-role-policy.json', 'us-east-1', 'db-', 'dr_recover'],
  ['recover-database-rds-role-policy.json', 'us-east-1', '*', 'dr_recover'],
  ['staging-recover-database-role-policy.json', 'us-east-1', 'db-', 'dr_staging_recover'],
  ['staging-recover-database-rds-execute-role-policy.json', 'us-east-1', '*', 'dr_staging_recover'],
  ['rds-restore-test-role-policy.json', 'us-east-1', '*', 'dr_restore_check'],
  ['rds-restore-test-role-policy.json', 'us-west-2', '*', 'dr_restore_check'],
] as const;

test.each(SIGN_IN)('%s signs in with rds-db:connect in %s as one user on one instance', (file, region, id, user) => {
  const connects = policy(file).Statement.filter((s) => list(s.Action).includes('rds-db:connect'));
  expect(connects).toHaveLength(1);
  const statement = connects[0] as Statement;
  expect(list(statement.Action)).toEqual(['rds-db:connect']);
  const resources = list(statement.Resource);
  const pattern = /^arn:aws:rds-db:([a-z0-9-]+):(\d{12}):dbuser:(db-[A-Z0-9]{26}|\*)\/([a-z_][a-z0-9_]*)$/;
  for (const resource of resources) expect(resource).toMatch(pattern);
  const mine = resources.map((r) => pattern.exec(r) as RegExpExecArray).filter((m) => m[1] === region);
  expect(mine).toHaveLength(1);
  const [, , account, resourceId, dbUser] = mine[0] as RegExpExecArray;
  expect(account).toBe('111122223333');
  expect(dbUser).toBe(user);
  if (id === '*') expect(resourceId).toBe('*');
  else expect(resourceId).toMatch(/^db-[A-Z0-9]{26}$/);
});

test('the roles whose actions connect to no database may not sign in to one', () => {
  for (const file of [
    'dr-audit-role-policy.json',
    'rds-snapshot-role-policy.json',
    'recover-database-rds-plan-role-policy.json',
    'staging-recover-database-rds-plan-role-policy.json',
    'recover-application-role-policy.json',
    'staging-recover-application-role-policy.json',
  ])
    expect(actionsOf(policy(file)).has('rds-db:connect')).toBe(false);
});

type YamlMap = ReturnType<typeof parseWorkflow>;
const asMap = (value: unknown): YamlMap =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as YamlMap) : {};

/** A role a workflow job assumes, named by where its ARN comes from: `vars.NAME` or `inputs.name`. */
interface RoleUse {
  workflow: string;
  job: string;
  source: string;
}

const READ = /^\$\{\{\s*((?:vars|inputs)\.[A-Za-z0-9_-]+)\s*\}\}$/;

/**
 * The variables or inputs a `role-to-assume` value reads: directly, or through a job's output
 * that a step sets from its environment (`needs.configure.outputs.plan-role-arn` is the step's
 * `*_PLAN_ROLE_ARN` values).
 */
function roleSourcesOf(workflow: YamlMap, value: string): string[] {
  const direct = READ.exec(value);
  if (direct) return [direct[1] as string];
  const needed = /^\$\{\{\s*needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$/.exec(value);
  if (!needed) return [];
  const job = jobsOf(workflow).find((j) => j.id === needed[1]);
  const output = /^\$\{\{\s*steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\}\}$/.exec(
    String(asMap(job?.body.outputs)[needed[2] as string] ?? ''),
  );
  if (!output) return [];
  const step = job?.steps.find((s) => s.id === output[1]);
  const suffix = `_${(output[2] as string).toUpperCase().replaceAll('-', '_')}`;
  return Object.entries(asMap(step?.env))
    .filter(([name]) => name.endsWith(suffix))
    .flatMap(([, read]) => READ.exec(String(read))?.slice(1, 2) ?? []);
}

/** Every role any workflow assumes through aws-actions/configure-aws-credentials; an unreadable one has source ''. */
const ROLE_USES: RoleUse[] = readdirSync(join(root, '.github', 'workflows'))
  .filter((f) => f.endsWith('.yml'))
  .flatMap((file) => {
    const workflow = parseWorkflow(readFileSync(join(root, '.github', 'workflows', file), 'utf8'));
    return jobsOf(workflow).flatMap(({ id: job, steps }) =>
      steps
        .filter((step) => String(step.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'))
        .flatMap((step) => {
          const sources = roleSourcesOf(workflow, String(asMap(step.with)['role-to-assume'] ?? ''));
          return (sources.length ? sources : ['']).map((source) => ({ workflow: file, job, source }));
        }),
    );
  });

/** The rows of the roles table of docs/running-in-your-vpc.md: what each names, and the files it links. */
const ROLE_ROWS = readFileSync(join(root, 'docs', 'running-in-your-vpc.md'), 'utf8')
  .split('\n')
  .filter((line) => line.startsWith('|') && line.includes('](iam/'))
  .map((line) => {
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const links = (cell = '') => [...cell.matchAll(/\]\(iam\/([a-z0-9-]+\.json)\)/g)].map((m) => m[1] as string);
    return { role: cells[2] ?? '', policies: links(cells[3]), trusts: links(cells[4]) };
  });

/** The table row that names a role's source: `NAME` for a variable; the workflow's file and `name` for an input. */
const rowsFor = ({ workflow, source }: RoleUse) => {
  const [kind, name] = source.split('.') as [string, string];
  return ROLE_ROWS.filter(
    (row) => row.role.includes(`\`${name}\``) && (kind === 'vars' || row.role.includes(`\`${workflow}\``)),
  );
};

/** A staging role: its variable or input says so, or only staging jobs assume it. */
const isStaging = (use: RoleUse) =>
  /staging/i.test(use.source) ||
  ROLE_USES.filter((u) => u.workflow === use.workflow && u.source === use.source).every((u) => /staging/.test(u.job));

/** The environment a trust policy binds its role to, or undefined for the default branch. */
const environmentOf = (file: string) =>
  /:environment:(.+)$/.exec(
    String(policy(file).Statement[0]?.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub'] ?? ''),
  )?.[1];

test('the roles are read from the workflows: each configure-aws-credentials step assumes a variable or an input it names', () => {
  expect(ROLE_USES.length).toBeGreaterThan(10);
  expect(ROLE_USES.filter((use) => use.source === '')).toEqual([]);
  for (const use of [
    { workflow: 'recover-database.yml', job: 'staging-execute', source: 'inputs.staging-execute-role-arn' },
    { workflow: 'failover.yml', job: 'plan-staging', source: 'inputs.plan-role-arn' },
    { workflow: 'recover-database.yml', job: 'plan', source: 'vars.DR_RECOVER_PLAN_ROLE_ARN' },
  ])
    expect(ROLE_USES).toContainEqual(use);
});

test.each(ROLE_USES.filter((use) => use.source !== ''))(
  '$workflow $job assumes $source: a row of the roles table in docs/running-in-your-vpc.md gives its policy and trust, in docs/iam',
  (use) => {
    const rows = rowsFor(use);
    expect(rows).toHaveLength(1);
    const { policies, trusts } = rows[0] as (typeof ROLE_ROWS)[number];
    expect(policies.length).toBeGreaterThan(0);
    expect(trusts.length).toBeGreaterThan(0);
    for (const file of [...policies, ...trusts]) expect(readdirSync(join(root, 'docs', 'iam'))).toContain(file);
    for (const file of policies) expect(file.startsWith('oidc-trust-policy-')).toBe(false);
    for (const file of trusts) expect(file.startsWith('oidc-trust-policy-')).toBe(true);
    // A staging role gets only staging policies and is trusted from no production environment, and the reverse.
    const staging = isStaging(use);
    expect(policies.filter((file) => file.startsWith('staging-') !== staging)).toEqual([]);
    for (const file of trusts) {
      const environment = environmentOf(file);
      if (environment !== undefined) expect(environment === 'dr-staging').toBe(staging);
    }
  },
);

test('every policy in docs/iam is the policy of a role the roles table names', () => {
  const linked = new Set(ROLE_ROWS.flatMap((row) => [...row.policies, ...row.trusts]));
  expect(readdirSync(join(root, 'docs', 'iam')).filter((file) => !linked.has(file))).toEqual([]);
});
