import type { Selection } from './selection.js';
import { checklistItem, type ChecklistItem } from '../report/checklist.js';
import { objective, type ObjectiveResult, type Report, type ReportStep } from '../report/report.js';
import type { BackupManifest } from '../storage/manifest.js';
import { formatDuration, secondsBetween } from '../util/format.js';
import { CHECKLIST_TAGS, type ChecklistTag } from '../checks/checks-file.js';
import type { CheckResult } from '../checks/run-checks.js';
import type { RolesDetails } from './rebuild-details.js';
import type { RpoMeasurement } from './rpo.js';
import type { SmokeResult } from '../checks/smoke.js';
import type { TableComparison } from './verify-tables.js';

export const REPORT_KIND = 'restore-verify';

/** The steps of a run, in order; each is timed into the report. */
export const STEP = {
  select: 'select',
  preflight: 'preflight',
  download: 'download',
  checksum: 'checksum',
  roles: 'roles',
  createDatabase: 'create database',
  restore: 'restore',
  databaseSettings: 'database settings',
  verify: 'verify',
  ownership: 'ownership',
  checks: 'checks',
  smoke: 'smoke',
  drop: 'drop',
} as const;

export const UNVERIFIABLE = 'unverifiable: no manifest';

export interface BackupDetails {
  key: string;
  format: 'custom' | 'plain';
  /** The time in the key's name. */
  keyTime: string;
  sizeBytes: number;
  /** Why this backup was chosen. */
  reason: string;
  verifiable: boolean;
  /** The instant the data is from: the manifest's snapshot, or the key's time for a backup without one. */
  dataFrom: string;
  /** Seconds from dataFrom to the selection. */
  dataAgeSeconds: number;
  /** The manifest's facts, flattened, with the number of tables instead of their list. */
  manifest?: Pick<BackupManifest, 'database' | 'compression' | 'startedAt' | 'finishedAt' | 'snapshotAt' | 'sizeBytes' | 'sha256' | 'storageChecksum' | 'rowCounts' | 'run'> & {
    serverVersion: string;
    pgDumpVersion: string;
    tables: number;
  };
  downloaded?: { bytes: number; sha256: string; seconds: number; storageChecksumChecked: boolean };
}

export interface RestoreVerifyDetails {
  bucket: string;
  prefix: string;
  /** The backup input as understood. */
  selector: string;
  catalog?: { complete: number; withoutManifest: number; invalidManifests: { key: string; error: string }[] };
  backup?: BackupDetails;
  target: {
    database: string;
    serverVersion?: string;
    existed?: boolean;
    created: boolean;
    dropped: boolean;
  };
  restore?: { tool: string; version: string; jobs: number; sessionOptions: string };
  roles?: RolesDetails;
  tables: TableComparison[];
  checks: { file?: string; results: CheckResult[] };
  smoke?: SmokeResult;
  rpo?: RpoMeasurement;
  rto: { from?: string; to?: string; seconds: number | null };
}

export type RestoreVerifyReport = Report<typeof REPORT_KIND, RestoreVerifyDetails>;

export function restoreObjectives(rtoSeconds: number | null, rpo: RpoMeasurement | undefined, targets: { rtoSeconds: number; rpoSeconds: number; rebuild?: boolean }): ObjectiveResult[] {
  const windowDays = rpo?.windowDays ?? 30;
  return [
    targets.rebuild
      ? objective('RTO', 'infrastructure failure', 'rebuild on an empty server: download start to end of the checks (roles, restore with owners, ownership, checks and smoke command included)', targets.rtoSeconds, rtoSeconds)
      : objective('RTO', 'database failure', 'download start to end of verification (checks and smoke command included)', targets.rtoSeconds, rtoSeconds),
    objective('RPO', 'database failure', 'age of the newest complete backup (from its snapshot)', targets.rpoSeconds, rpo?.ageSeconds ?? null),
    objective('RPO', 'database failure', `largest gap between complete backups over the last ${windowDays} days`, targets.rpoSeconds, rpo?.maxGapSeconds ?? null),
  ];
}

function stepStatus(steps: readonly ReportStep[], name: string): ReportStep | undefined {
  return steps.find((s) => s.name === name);
}

/** Not run because an earlier step failed: the item was not achieved. Not configured: skipped. */
function fromStep(step: ReportStep | undefined, notConfigured: (step: ReportStep) => boolean): { status: 'passed' | 'failed' | 'skipped'; detail?: string } {
  if (!step) return { status: 'failed', detail: 'not reached' };
  if (step.status === 'skipped') return notConfigured(step) ? { status: 'skipped', detail: step.detail } : { status: 'failed', detail: step.detail };
  return { status: step.status, detail: step.detail };
}

const NOT_RUN = /^not run/;

/** The plan's Test Checklist, row by row, as this run found it. */
export function restoreChecklist(
  steps: readonly ReportStep[],
  details: RestoreVerifyDetails,
  objectives: readonly ObjectiveResult[],
  taggedInFile: ReadonlySet<ChecklistTag>,
): ChecklistItem[] {
  const get = (name: string) => stepStatus(steps, name);
  const notConfigured = (step: ReportStep) => !NOT_RUN.test(step.detail ?? '');
  const items: ChecklistItem[] = [];

  const download = fromStep(get(STEP.download), () => false);
  const checksum = get(STEP.checksum);
  if (download.status !== 'passed') items.push(checklistItem('download', download.status, download.detail));
  else if (checksum?.status === 'failed') items.push(checklistItem('download', 'failed', checksum.detail));
  else items.push(checklistItem('download', 'passed', [download.detail, checksum?.detail].filter(Boolean).join('; ')));

  const restore = fromStep(get(STEP.restore), () => false);
  const verify = get(STEP.verify);
  if (restore.status !== 'passed') items.push(checklistItem('restore', restore.status, restore.detail));
  else if (verify?.status === 'failed') items.push(checklistItem('restore', 'failed', verify.detail));
  else items.push(checklistItem('restore', 'passed', verify?.status === 'passed' ? `restored; ${verify.detail}` : `restored; ${verify?.detail ?? UNVERIFIABLE}`));

  const smoke = fromStep(get(STEP.smoke), notConfigured);
  items.push(checklistItem('applicationStarts', smoke.status, smoke.status === 'skipped' ? 'no smoke-command' : details.smoke ? `smoke command ${details.smoke.detail}` : smoke.detail));

  for (const tag of Object.keys(CHECKLIST_TAGS) as ChecklistTag[]) {
    const key = CHECKLIST_TAGS[tag];
    const tagged = details.checks.results.filter((r) => r.checklist.includes(tag));
    if (!taggedInFile.has(tag)) {
      items.push(checklistItem(key, 'skipped', `no check marked '-- checklist: ${tag}' in the checks file`));
    } else if (tagged.length === 0) {
      items.push(checklistItem(key, 'failed', fromStep(get(STEP.checks), () => false).detail ?? 'not reached'));
    } else {
      const failed = tagged.some((r) => !r.passed);
      items.push(checklistItem(key, failed ? 'failed' : 'passed', tagged.map((r) => `${r.name}: ${r.passed ? 'passed' : r.detail}`).join('; ')));
    }
  }

  const checks = fromStep(get(STEP.checks), notConfigured);
  items.push(checklistItem('criticalFeatures', checks.status, checks.status === 'skipped' ? 'no checks file' : checks.detail));

  const [rto, ...rpo] = objectives;
  items.push(
    checklistItem(
      'rto',
      rto?.passed ? 'passed' : 'failed',
      rto?.measuredSeconds === null || rto === undefined ? 'not measured: the recovery did not complete' : `${formatDuration(rto.measuredSeconds)} against ${formatDuration(rto.targetSeconds)}`,
    ),
  );
  const rpoMeasured = rpo.every((o) => o.measuredSeconds !== null);
  items.push(
    checklistItem(
      'rpo',
      rpo.every((o) => o.passed) ? 'passed' : 'failed',
      rpoMeasured
        ? rpo.map((o) => `${o.measure}: ${formatDuration(o.measuredSeconds as number)}`).join('; ') + ` (objective ${formatDuration(rpo[0]?.targetSeconds ?? 0)})`
        : 'not measured: no complete backup',
    ),
  );
  return items;
}

export function backupDetails(chosen: Selection, now: Date): BackupDetails {
  const m = chosen.manifest;
  return {
    key: chosen.backup.key,
    format: chosen.backup.format,
    keyTime: chosen.backup.keyTime.toISOString(),
    sizeBytes: chosen.backup.object.sizeBytes,
    reason: chosen.reason,
    verifiable: Boolean(m),
    dataFrom: m ? m.snapshotAt : chosen.backup.keyTime.toISOString(),
    ...(m
      ? {
          manifest: {
            database: m.database,
            serverVersion: m.server.version,
            pgDumpVersion: m.pgDump.version,
            compression: m.compression,
            startedAt: m.startedAt,
            finishedAt: m.finishedAt,
            snapshotAt: m.snapshotAt,
            sizeBytes: m.sizeBytes,
            sha256: m.sha256,
            storageChecksum: m.storageChecksum,
            rowCounts: m.rowCounts,
            tables: m.tables.length,
            run: m.run,
          },
        }
      : {}),
    dataAgeSeconds: secondsBetween(new Date(m ? m.snapshotAt : chosen.backup.keyTime), now),
  };
}

const RECOVERY_STEPS: string[] = [STEP.download, STEP.checksum, STEP.roles, STEP.createDatabase, STEP.restore, STEP.databaseSettings, STEP.verify, STEP.ownership, STEP.checks, STEP.smoke];

/**
 * RTO as the plan means it for a database failure: from the start of the download to the end
 * of the last verification (checks and smoke command included). Measured only when the
 * recovery completed: every one of those steps passed or was not configured.
 */
export function measureRto(steps: readonly ReportStep[]): RestoreVerifyDetails['rto'] {
  const recovery = steps.filter((s) => RECOVERY_STEPS.includes(s.name));
  const completed = recovery.every((s) => s.status === 'passed' || (s.status === 'skipped' && !/^not run/.test(s.detail ?? '')));
  const ran = recovery.filter((s) => s.startedAt && s.finishedAt);
  const first = ran[0];
  const last = ran.at(-1);
  if (!completed || !first || !last || first.name !== STEP.download) return { seconds: null };
  return { from: first.startedAt, to: last.finishedAt, seconds: secondsBetween(new Date(first.startedAt as string), new Date(last.finishedAt as string)) };
}
