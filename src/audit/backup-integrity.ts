import type { S3Client } from '@aws-sdk/client-s3';
import { BackupStore, type StoredBackup } from '../storage/backup-store.js';
import {
  findIncompleteBackups,
  graceNote,
  sizeOf,
  sortByManifest,
  type IncompleteBackup,
} from '../storage/incomplete-backups.js';
import type { BackupManifest } from '../storage/manifest.js';
import { sha256TagOf } from '../storage/object-tags.js';
import { mapWithLimit } from '../util/concurrency.js';
import { formatBytes, formatDuration, plural } from '../util/format.js';
import { defineChecks, verdict, type AuditCheck } from './check.js';
import { secondsSince, type AuditContext } from './context.js';
import { SENTENCE } from './plan.js';
import type { BackupSettings } from './settings.js';

/**
 * Whether the backups under the prefix are what they look like: no run left an unfinished backup
 * behind (what retention removes, by the same rule: storage/incomplete-backups.ts), and each backup
 * that looks complete holds the bytes its manifest describes.
 */
export const INTEGRITY_CHECKS = defineChecks('backup', {
  // Paid-for leftovers, and a sign that runs die: `aws s3 ls | tail -5` shows a newest "backup" that does not restore.
  incomplete: ['backup.incomplete-backups', SENTENCE.identifyLatestBackup, 'medium'],
  // Counted by retention and picked by a restore as good, it fails only on the day it is restored.
  matchesManifest: ['backup.manifest-matches-object', SENTENCE.restoreFromBackup, 'high'],
});

export interface NewestBackup {
  key: string;
  finishedAt: Date;
}

/** A backup with a valid manifest whose objects are not the ones the manifest describes. */
export interface ManifestMismatch {
  key: string;
  problems: string[];
}

export interface IntegrityFacts {
  /** The newest backup with a valid manifest. */
  newest?: NewestBackup;
  completeCount: number;
  /** Every backup with a valid manifest, with its finish time: what retention judges. */
  complete: NewestBackup[];
  /** Our unfinished backups, abandoned or still possibly in progress. */
  incomplete: IncompleteBackup[];
  mismatches: ManifestMismatch[];
}

/** How many leftovers or mismatches a finding names before it counts the rest. */
const NAMED = 10;

/** Lists the prefix, reads every manifest, and compares each complete backup's objects with its manifest. */
export async function readIntegrityFacts(
  client: S3Client,
  bucket: string,
  prefix: string,
  now: Date,
): Promise<IntegrityFacts> {
  const store = new BackupStore(client, bucket, prefix);
  const listing = await store.list();
  const manifests = await store.readManifests(listing.backups);
  const { complete, unverified } = sortByManifest(listing.backups, manifests);
  const [{ incomplete }, problems] = await Promise.all([
    findIncompleteBackups(store, listing, unverified, now),
    mapWithLimit(complete, 16, ({ backup }) => {
      const read = manifests.get(backup.key);
      return read && 'manifest' in read ? mismatchesOf(store, backup, read.manifest) : Promise.resolve([]);
    }),
  ]);
  const newest = complete[0];
  return {
    newest: newest && { key: newest.backup.key, finishedAt: newest.finishedAt },
    completeCount: complete.length,
    complete: complete.map(({ backup, finishedAt }) => ({ key: backup.key, finishedAt })),
    incomplete,
    mismatches: complete
      .map(({ backup }, index) => ({ key: backup.key, problems: problems[index] ?? [] }))
      .filter((mismatch) => mismatch.problems.length > 0),
  };
}

/** One object against what the manifest says of it: there, its size, and its sha256 tag when it has one. */
async function objectProblems(
  store: BackupStore,
  what: string,
  listed: { sizeBytes: number } | undefined,
  expected: { key: string; sizeBytes: number; sha256: string },
): Promise<string[]> {
  if (!listed) return [`${expected.key} is missing`];
  const problems: string[] = [];
  if (listed.sizeBytes !== expected.sizeBytes)
    problems.push(`${what} is ${listed.sizeBytes} bytes, the manifest says ${expected.sizeBytes}`);
  const tag = await sha256TagOf(store, expected.key);
  if (tag !== undefined && tag !== expected.sha256)
    problems.push(`${what}'s sha256 tag ${tag.slice(0, 12)}… is not the manifest's ${expected.sha256.slice(0, 12)}…`);
  return problems;
}

async function mismatchesOf(store: BackupStore, backup: StoredBackup, manifest: BackupManifest): Promise<string[]> {
  const object = await objectProblems(store, 'the object', backup.object, manifest);
  const parts = await mapWithLimit(manifest.parts ?? [], 4, (part) =>
    objectProblems(
      store,
      part.key.slice(part.key.lastIndexOf('.') + 1),
      backup.parts?.find((listed) => listed.key === part.key),
      part,
    ),
  );
  return [...object, ...parts.flat()];
}

export function named<T>(items: readonly T[], show: (item: T) => string): string {
  const shown = items.slice(0, NAMED).map(show).join('; ');
  return items.length > NAMED ? `${shown}; and ${items.length - NAMED} more` : shown;
}

/** The newest complete backup against the RPO: what a restore would bring back, and how much it would lose. */
function newestAgainstRpo(ctx: AuditContext, facts: IntegrityFacts): string {
  if (!facts.newest) return 'no complete backup to restore';
  const age = secondsSince(facts.newest.finishedAt, ctx.now);
  const rpo = ctx.settings.rpoSeconds;
  return `the newest complete backup, ${facts.newest.key}, finished ${formatDuration(age)} ago: ${age <= rpo ? 'within' : 'over'} the RPO of ${formatDuration(rpo)}`;
}

/** Leftovers newer than the newest complete backup: what makes the newest restorable backup older than it looks. */
function newerThanComplete(facts: IntegrityFacts): IncompleteBackup[] {
  const newest = facts.newest?.key ?? '';
  return facts.incomplete.filter((leftover) => leftover.kind !== 'orphan manifest' && leftover.key > newest);
}

/** One bucket's backups as the audit read them: the backup bucket, or its copy in the copy region. */
export interface BucketIntegrity {
  bucket: string;
  region: string;
  facts: IntegrityFacts;
}

/** Findings of each bucket, the backup bucket's first; each names its bucket. */
function joined(findings: readonly string[]): string {
  return findings.join('. ');
}

function incompleteFound(ctx: AuditContext, where: string, facts: IntegrityFacts): string {
  const abandoned = facts.incomplete.filter((leftover) => leftover.abandoned);
  const running = facts.incomplete.length - abandoned.length;
  const newer = newerThanComplete(facts).filter((leftover) => leftover.abandoned);
  const found = abandoned.length
    ? `${plural(abandoned.length, 'incomplete backup')} ${graceNote(true)} in ${where} (${formatBytes(sizeOf(abandoned.flatMap((l) => l.objects)))}): ${named(
        abandoned,
        (l) =>
          `${l.key} (${l.reason}, ${formatDuration(secondsSince(l.lastModified, ctx.now))} old, ${formatBytes(sizeOf(l.objects))})`,
      )}`
    : `no incomplete backup ${graceNote(true)} in ${where}${running ? ` (${plural(running, 'backup')} ${graceNote(false)})` : ''}`;
  const hidden = newer.length ? `; ${newer[0]?.key} looks like the newest backup but is incomplete, and ` : '; ';
  return `${found}${hidden}${newestAgainstRpo(ctx, facts)}`;
}

/** The commands that remove a bucket's abandoned leftovers by hand (the first few), in its region. */
function removals(scan: BucketIntegrity): string[] {
  const abandoned = scan.facts.incomplete.filter((leftover) => leftover.abandoned).slice(0, NAMED);
  return abandoned.flatMap((l) =>
    l.objects.map((o) => `aws s3 rm --region ${scan.region} s3://${scan.bucket}/${o.key}`),
  );
}

function incompleteCheck(backup: BackupSettings, ctx: AuditContext, scans: readonly BucketIntegrity[]): AuditCheck {
  const commands = scans.flatMap(removals);
  return verdict(
    INTEGRITY_CHECKS.incomplete,
    scans.every((scan) => scan.facts.incomplete.every((leftover) => !leftover.abandoned)),
    joined(scans.map((scan) => incompleteFound(ctx, `s3://${scan.bucket}/${backup.prefix}`, scan.facts))),
    `gh workflow run backup.yml  # its retention removes incomplete backups older than 24 h; read the backup runs that were killed or failed${commands.length ? `. By hand: ${commands.join(' && ')}` : ''}`,
  );
}

function mismatchFound(where: string, facts: IntegrityFacts): string {
  const { mismatches } = facts;
  const newestBad = facts.newest && mismatches.some((m) => m.key === facts.newest?.key);
  return mismatches.length
    ? `${plural(mismatches.length, 'backup')} in ${where} ${mismatches.length === 1 ? 'does' : 'do'} not match ${mismatches.length === 1 ? 'its manifest' : 'their manifests'}: ${named(mismatches, (m) => `${m.key} (${m.problems.join(', ')})`)}${newestBad ? '; the newest complete backup is one of them' : ''}`
    : `${plural(facts.completeCount, 'complete backup')} in ${where}, each with the objects, sizes and sha256 tags its manifest records`;
}

/**
 * A backup that differs from its manifest in the backup bucket is proved (or not) by a restore test;
 * one that differs only in the copy is copied again from the backup bucket, over the copy's version.
 */
function mismatchFix(ctx: AuditContext, backup: BackupSettings, scans: readonly BucketIntegrity[]): string {
  const [primary, ...copies] = scans;
  const key = primary?.facts.mismatches[0]?.key;
  const copy = copies.find((scan) => scan.facts.mismatches.length > 0);
  const prove = `gh workflow run restore-verify.yml -f backup=key -f key=${key ?? '<key>'}  # proves whether it restores; then take a new backup (gh workflow run backup.yml) and find what wrote over the objects in ${ctx.primary.region}`;
  if (key || !copy) return prove;
  const copyKey = copy.facts.mismatches[0]?.key as string;
  return `aws s3 cp --source-region ${ctx.primary.region} --region ${copy.region} s3://${backup.bucket}/${copyKey} s3://${copy.bucket}/${copyKey}  # the backup bucket's object matches its manifest: copy it again, then find what wrote over the copy in ${copy.region}`;
}

function mismatchCheck(ctx: AuditContext, backup: BackupSettings, scans: readonly BucketIntegrity[]): AuditCheck {
  return verdict(
    INTEGRITY_CHECKS.matchesManifest,
    scans.every((scan) => scan.facts.mismatches.length === 0),
    joined(scans.map((scan) => mismatchFound(`s3://${scan.bucket}/${backup.prefix}`, scan.facts))),
    mismatchFix(ctx, backup, scans),
  );
}

/**
 * The backups under the prefix, in the backup bucket and in its copy: none left unfinished past the
 * grace period, each complete one as its manifest says.
 */
export function integrityChecks(
  ctx: AuditContext,
  backup: BackupSettings,
  scans: readonly BucketIntegrity[],
): AuditCheck[] {
  return [incompleteCheck(backup, ctx, scans), mismatchCheck(ctx, backup, scans)];
}
