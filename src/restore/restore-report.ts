import type { Selection } from '../storage/backup-selection.js';
import { checklistItem, type ChecklistItem } from '../report/checklist.js';
import { objective, type ObjectiveResult, type Report, type ReportStep } from '../report/report.js';
import type { BackupManifest } from '../storage/manifest.js';
import { formatDuration, secondsBetween } from '../util/format.js';
import type { ChecklistTag } from '../checks/checks-file.js';
import { checksChecklist } from '../checks/checks-checklist.js';
import { measureRecoveryTime, rtoChecklistItem, stepOutcome } from '../report/recovery-evidence.js';
import type { CheckResult } from '../checks/run-checks.js';
import type { RolesDetails } from '../storage/role-details.js';
import type { RpoMeasurement } from './rpo.js';
import type { SmokeResult } from '../checks/smoke.js';
import type { TableComparison } from '../checks/verify-tables.js';
import type { DiskCheck } from './disk-preflight.js';
import { STREAMED } from './streamed-restore.js';

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
  manifest?: Pick<
    BackupManifest,
    | 'database'
    | 'compression'
    | 'startedAt'
    | 'finishedAt'
    | 'snapshotAt'
    | 'sizeBytes'
    | 'sha256'
    | 'storageChecksum'
    | 'rowCounts'
    | 'run'
  > & {
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
    /** The target server's settings that decide restore speed and what a crash costs (see RESTORE_SPEED_SETTINGS). */
    serverSettings?: Record<string, string>;
    existed?: boolean;
    created: boolean;
    dropped: boolean;
  };
  restore?: { tool: string; version: string; jobs: number; sessionOptions: string };
  /** What preflight found the run would write on this machine, and the room for it (absent with disk-check: false). */
  disk?: DiskCheck;
  roles?: RolesDetails;
  tables: TableComparison[];
  checks: { file?: string; results: CheckResult[] };
  smoke?: SmokeResult;
  rpo?: RpoMeasurement;
  rto: { from?: string; to?: string; seconds: number | null };
}

export type RestoreVerifyReport = Report<typeof REPORT_KIND, RestoreVerifyDetails>;

export function restoreObjectives(
  rtoSeconds: number | null,
  rpo: RpoMeasurement | undefined,
  targets: { rtoSeconds: number; rpoSeconds: number; rebuild?: boolean },
): ObjectiveResult[] {
  const windowDays = rpo?.windowDays ?? 30;
  // A rebuild rehearses the plan's infrastructure failure: its data loss is that scenario's too.
  const scenario = targets.rebuild ? 'infrastructure failure' : 'database failure';
  return [
    targets.rebuild
      ? objective(
          'RTO',
          scenario,
          'rebuild on an empty server: download start to end of the checks (roles, restore with owners, ownership, checks and smoke command included)',
          targets.rtoSeconds,
          rtoSeconds,
        )
      : objective(
          'RTO',
          scenario,
          'download start to end of verification (checks and smoke command included)',
          targets.rtoSeconds,
          rtoSeconds,
        ),
    objective(
      'RPO',
      scenario,
      'age of the newest complete backup (from its snapshot)',
      targets.rpoSeconds,
      rpo?.ageSeconds ?? null,
    ),
    objective(
      'RPO',
      scenario,
      `largest gap between complete backups over the last ${windowDays} days`,
      targets.rpoSeconds,
      rpo?.maxGapSeconds ?? null,
    ),
  ];
}

/** The plan's Test Checklist, row by row, as this run found it. */
export function restoreChecklist(
  steps: readonly ReportStep[],
  details: RestoreVerifyDetails,
  objectives: readonly ObjectiveResult[],
  taggedInFile: ReadonlySet<ChecklistTag>,
): ChecklistItem[] {
  const get = (name: string) => steps.find((s) => s.name === name);
  const items: ChecklistItem[] = [];

  // download: stream reads the object during the restore: the restore step says whether it all arrived.
  const streamed = get(STEP.download)?.detail === STREAMED;
  const download = stepOutcome(get(streamed ? STEP.restore : STEP.download), { required: true });
  const checksum = get(STEP.checksum);
  if (download.status !== 'passed') items.push(checklistItem('download', download.status, download.detail));
  else if (checksum?.status === 'failed') items.push(checklistItem('download', 'failed', checksum.detail));
  else items.push(checklistItem('download', 'passed', [download.detail, checksum?.detail].filter(Boolean).join('; ')));

  const restore = stepOutcome(get(STEP.restore), { required: true });
  const verify = get(STEP.verify);
  if (restore.status !== 'passed') items.push(checklistItem('restore', restore.status, restore.detail));
  else if (verify?.status === 'failed') items.push(checklistItem('restore', 'failed', verify.detail));
  else
    items.push(
      checklistItem(
        'restore',
        'passed',
        verify?.status === 'passed' ? `restored; ${verify.detail}` : `restored; ${verify?.detail ?? UNVERIFIABLE}`,
      ),
    );

  items.push(
    ...checksChecklist({
      smokeStep: get(STEP.smoke),
      smoke: details.smoke,
      checksStep: get(STEP.checks),
      results: details.checks.results,
      tagged: taggedInFile,
    }),
  );

  const [rto, ...rpo] = objectives;
  items.push(rtoChecklistItem(rto));
  const rpoMeasured = rpo.every((o) => o.measuredSeconds !== null);
  items.push(
    checklistItem(
      'rpo',
      rpo.every((o) => o.passed) ? 'passed' : 'failed',
      rpoMeasured
        ? rpo.map((o) => `${o.measure}: ${formatDuration(o.measuredSeconds as number)}`).join('; ') +
            ` (objective ${formatDuration(rpo[0]?.targetSeconds ?? 0)})`
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

const RECOVERY_STEPS: string[] = [
  STEP.download,
  STEP.checksum,
  STEP.roles,
  STEP.createDatabase,
  STEP.restore,
  STEP.databaseSettings,
  STEP.verify,
  STEP.ownership,
  STEP.checks,
  STEP.smoke,
];

/**
 * RTO as the plan means it for a database failure: from the start of the download to the end
 * of the last verification (checks and smoke command included). Measured only when the
 * recovery completed: every one of those steps passed or was not configured.
 */
export function measureRto(steps: readonly ReportStep[]): RestoreVerifyDetails['rto'] {
  if (steps.find((s) => s.name === STEP.download)?.detail !== STREAMED)
    return measureRecoveryTime(steps, RECOVERY_STEPS);
  // download: stream downloads during the restore: the recovery starts with the first of its steps that ran.
  const rest = steps.filter((s) => s.name !== STEP.download);
  const first = rest.find((s) => RECOVERY_STEPS.includes(s.name) && s.startedAt)?.name ?? STEP.restore;
  return measureRecoveryTime(rest, [
    first,
    ...RECOVERY_STEPS.filter((name) => name !== STEP.download && name !== first),
  ]);
}
