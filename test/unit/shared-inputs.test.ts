/**
 * The inputs every action shares are read by one rule each: every time input by parseIsoTime,
 * every report-path by parseReportPath. One table, fed through each action's own input parser,
 * shows that all six accept the same values and refuse the same values with the same message;
 * action.yml is read to prove that the table leaves no action's time or report-path input out.
 * dr-audit's backup-retention and backup-min-keep are read by the backup action's own rule for
 * retention and min-keep, with its defaults and its messages.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseAuditInputs } from '../../src/audit/inputs.js';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { parseDrillReportInputs } from '../../src/drill-report/inputs.js';
import { parseFailoverInputs } from '../../src/failover/inputs.js';
import { parseRdsRestoreInputs, type RdsRestoreSettings } from '../../src/rds-restore/inputs.js';
import { parseRestoreVerifyInputs, type RestoreVerifySettings } from '../../src/restore/inputs.js';
import { root } from '../docs/sources.js';
import { refusalOf } from '../helpers/refusal.js';

type Inputs = Record<string, string>;
type Settings = Record<string, unknown>;

interface ActionRow {
  action: string;
  /** Which of the action's input sets, when it has more than one. */
  variant?: string;
  /** The action's own input parser, given inputs and the workspace. */
  parse(inputs: Inputs, workspace: string): unknown;
  /** Inputs the parser needs to get past its other checks. */
  base: Inputs;
  /** Each time input, with where the parsed time lands in the settings (undefined: no time, e.g. latest). */
  timeInputs: Record<string, (settings: Settings) => Date | undefined>;
  writesReport: boolean;
}

const reader = (inputs: Inputs) => (name: string) => inputs[name] ?? '';

const AUDIT_BASE: Inputs = {
  'primary-region': 'us-east-1',
  'secondary-region': 'us-west-2',
  'db-instance-id': 'saas-production',
  'replica-id': 'saas-production-replica',
  'media-bucket': 'saas-media-production',
  'media-replica-bucket': 'saas-media-production-us-west-2',
  'backup-bucket': 'saas-backups',
  'hosted-zone-id': 'Z1234567890ABC',
  'record-name': 'db.saas.example.com',
  'cache-replication-group-id': 'saas-cache',
};
const RDS_BASE: Inputs = {
  'instance-id': 'saas-production',
  'source-region': 'us-east-1',
  username: 'app',
  password: 'secret',
};

const ACTIONS: ActionRow[] = [
  {
    action: 'backup',
    parse: (inputs) => parseBackupInputs(reader(inputs), {}),
    base: { 'database-url': 'postgres://app@127.0.0.1:5432/saas', bucket: 'saas-backups', region: 'us-east-1' },
    timeInputs: {},
    writesReport: false,
  },
  {
    action: 'restore-verify',
    parse: (inputs, workspace) => parseRestoreVerifyInputs(reader(inputs), { PATH: process.env.PATH }, workspace),
    base: {
      bucket: 'saas-backups',
      region: 'us-east-1',
      'target-database-url': 'postgres://restorer@127.0.0.1:5432/restore_verify',
    },
    timeInputs: {
      backup: (settings) => {
        const backup = (settings as unknown as RestoreVerifySettings).backup;
        return backup.kind === 'point-in-time' ? backup.at : undefined;
      },
    },
    writesReport: true,
  },
  {
    action: 'failover',
    parse: (inputs, workspace) => parseFailoverInputs(reader(inputs), workspace),
    base: { 'replica-id': 'saas-production-replica', region: 'us-west-2' },
    timeInputs: {},
    writesReport: true,
  },
  {
    action: 'drill-report',
    parse: (inputs) => parseDrillReportInputs(reader(inputs), {}),
    base: { reports: 'reports/**/*.json', 'open-pr': 'false' },
    timeInputs: {},
    writesReport: false,
  },
  {
    action: 'rds-restore-test',
    variant: 'mode: restore-test',
    parse: (inputs, workspace) => parseRdsRestoreInputs(reader(inputs), {}, workspace),
    base: RDS_BASE,
    timeInputs: {
      'recovery-point': (settings) => {
        const point = (settings as unknown as RdsRestoreSettings).recoveryPoint;
        return point.kind === 'time' ? point.time : undefined;
      },
    },
    writesReport: true,
  },
  {
    action: 'rds-restore-test',
    variant: 'mode: snapshot',
    parse: (inputs, workspace) => parseRdsRestoreInputs(reader(inputs), {}, workspace),
    base: { ...RDS_BASE, mode: 'snapshot' },
    timeInputs: {},
    writesReport: true,
  },
  {
    action: 'dr-audit',
    parse: (inputs, workspace) => parseAuditInputs(reader(inputs), {}, workspace),
    base: AUDIT_BASE,
    timeInputs: {},
    writesReport: true,
  },
];

const label = (row: ActionRow) => (row.variant ? `${row.action} (${row.variant})` : row.action);

const TIME_ACCEPTED = [
  '2026-03-01T02:00:00Z',
  '2026-03-01T04:00:00+02:00',
  '2026-03-01 02:00:00.000z',
  ' 2026-02-28T21:00-05:00\n',
];
const THE_TIME = '2026-03-01T02:00:00.000Z';

/** Values every time input refuses, and the one message each gets; NAME is the input. */
const TIME_REFUSED: [string, string, string][] = [
  [
    'a day that does not exist',
    '2026-02-30T08:00:00Z',
    "NAME '2026-02-30T08:00:00Z' is not a time: February 2026 has no day 30 (it has 28 days); correct it, e.g. 2026-03-01T02:00:00Z",
  ],
  [
    'a leap day in a common year',
    '2027-02-29T08:00:00Z',
    "NAME '2027-02-29T08:00:00Z' is not a time: February 2027 has no day 29 (it has 28 days); correct it, e.g. 2026-03-01T02:00:00Z",
  ],
  [
    'hour 24',
    '2026-03-01T24:00:00Z',
    "NAME '2026-03-01T24:00:00Z' is not a time: the hour is 24, past 23; correct it, e.g. 2026-03-01T02:00:00Z",
  ],
  [
    'no zone',
    '2026-03-01T02:00:00',
    "NAME '2026-03-01T02:00:00' has no zone, so the instant it means is a guess; add Z for UTC (2026-03-01T02:00:00Z) or the offset it was written in, e.g. +02:00",
  ],
  [
    'a date alone',
    '2026-03-01',
    "NAME '2026-03-01' is a date without a time; write the instant, e.g. 2026-03-01T23:59:59Z for the end of that day (UTC)",
  ],
  [
    'garbage after a date',
    '2026-03-01 at noon',
    "NAME '2026-03-01 at noon' is not a time; write an ISO-8601 time with its zone (e.g. 2026-03-01T02:00:00Z)",
  ],
];

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'shared-inputs-'));
  mkdirSync(join(workspace, 'reports'));
  writeFileSync(join(workspace, 'notes.txt'), '');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const run = (row: ActionRow, inputs: Inputs) => row.parse({ ...row.base, ...inputs }, workspace) as Settings;

interface ActionMetadata {
  inputs?: Record<string, { description: string; default?: string }>;
}
const metadataOf = (action: string) =>
  parseYaml(readFileSync(join(root, 'actions', action, 'action.yml'), 'utf8')) as ActionMetadata;

describe('the table covers every action and every time and report-path input it declares', () => {
  test.each(['backup', 'restore-verify', 'failover', 'drill-report', 'rds-restore-test', 'dr-audit'])(
    '%s',
    (action) => {
      const declared = Object.entries(metadataOf(action).inputs ?? {});
      const rows = ACTIONS.filter((row) => row.action === action);
      expect(rows.length).toBeGreaterThan(0);
      const timeInputs = declared
        .filter(([, input]) => /\bISO(-8601)? time\b/.test(input.description))
        .map(([name]) => name);
      expect([...new Set(rows.flatMap((row) => Object.keys(row.timeInputs)))].sort()).toEqual(timeInputs.sort());
      expect(rows.some((row) => row.writesReport)).toBe(declared.some(([name]) => name === 'report-path'));
      for (const row of rows) expect(() => run(row, {})).not.toThrow();
    },
  );
});

const timeCases = ACTIONS.flatMap((row) => Object.entries(row.timeInputs).map(([name, read]) => ({ row, name, read })));

describe.each(timeCases.map((c) => [`${label(c.row)}: ${c.name}`, c] as const))(
  'time input %s',
  (_title, { row, name, read }) => {
    test.each(TIME_ACCEPTED)('%j is the same instant', (value) => {
      expect(read(run(row, { [name]: value }))?.toISOString()).toBe(THE_TIME);
    });

    test('empty is no time (the default, latest)', () => {
      expect(read(run(row, { [name]: '' }))).toBeUndefined();
    });

    test.each(TIME_REFUSED)('%s is refused with the same message', (_what, value, message) => {
      expect(refusalOf(() => run(row, { [name]: value }))).toBe(message.replace('NAME', name));
    });

    test('a word it does not know is refused, saying how to write a time', () => {
      expect(refusalOf(() => run(row, { [name]: 'yesterday' }))).toMatch(
        new RegExp(
          `^${name} 'yesterday' is not understood: use latest, .*an ISO-8601 time with its zone \\(e\\.g\\. 2026-03-01T02:00:00Z\\)`,
        ),
      );
    });
  },
);

/** Values every report-path refuses; DEFAULT is the action's default report file, WORKSPACE the workspace. */
const REPORT_PATH_REFUSED: [string, string, string][] = [
  [
    'a folder named with its slash',
    'reports/',
    "report-path 'reports/' is a folder; name a file, e.g. reports/DEFAULT",
  ],
  ['a folder that exists', 'reports', "report-path 'reports' is a folder; name a file, e.g. reports/DEFAULT"],
  ['the workspace itself', '.', "report-path '.' is a folder; name a file, e.g. ./DEFAULT"],
  [
    'a line break',
    'reports/a\nb.json',
    'report-path contains a line break or another control character; name a file on one line, e.g. DEFAULT',
  ],
  [
    'a path under a file',
    'notes.txt/run.json',
    "report-path 'notes.txt/run.json' is under WORKSPACE/notes.txt, which is a file, not a folder; name a file in a folder",
  ],
];

describe.each(ACTIONS.filter((row) => row.writesReport).map((row) => [label(row), row] as const))(
  'report-path of %s',
  (_title, row) => {
    const fallback = metadataOf(row.action).inputs?.['report-path']?.default as string;

    test("empty is action.yml's default; a new file, a file in a new folder, outside the workspace or absolute is written where named", () => {
      expect(fallback).toMatch(/^[a-z-]+-report\.json$/);
      expect(run(row, { 'report-path': '' }).reportPath).toBe(fallback);
      for (const path of ['run.json', ' reports/today/run.json \n', '../run.json', join(tmpdir(), 'run.json')]) {
        expect(run(row, { 'report-path': path }).reportPath).toBe(path.trim());
      }
    });

    test.each(REPORT_PATH_REFUSED)('%s is refused with the same message', (_what, value, message) => {
      expect(refusalOf(() => run(row, { 'report-path': value }))).toBe(
        message.replace(/DEFAULT/g, fallback).replace('WORKSPACE', workspace),
      );
    });
  },
);

/**
 * dr-audit judges the backups by the backup action's retention: its backup-retention and backup-min-keep
 * take the values backup's retention and min-keep take, with the same defaults, refused in the same words.
 */
const RETENTION_INPUTS = [
  {
    action: 'backup',
    retention: 'retention',
    minKeep: 'min-keep',
    read: (s: Settings) => s as { retention: unknown; minKeep: unknown },
  },
  {
    action: 'dr-audit',
    retention: 'backup-retention',
    minKeep: 'backup-min-keep',
    read: (s: Settings) => s.backup as { retention: unknown; minKeep: unknown },
  },
];
const rowOf = (action: string) => ACTIONS.find((row) => row.action === action) as ActionRow;

const RETENTION_REFUSED: [string, string][] = [
  [
    'daily=30,hourly=24',
    "NAME 'daily=30,hourly=24' is not understood: write tier=days pairs such as daily=30,weekly=90,monthly=365, or off",
  ],
  ['daily=30,daily=7', 'NAME names daily twice'],
  ['daily=seven', 'NAME daily=seven: days must be a whole number, 0 or more'],
  ['daily=0', "NAME keeps no tier: give at least one tier some days, or use 'off' to disable pruning"],
];
const MIN_KEEP_REFUSED: [string, string][] = [
  ['0', 'NAME must be at least 1, got 0'],
  ['seven', "NAME must be a whole number, got 'seven'"],
];

describe.each(RETENTION_INPUTS.map((inputs) => [inputs.action, inputs] as const))(
  'retention and min-keep of %s',
  (_title, { action, retention, minKeep, read }) => {
    const row = rowOf(action);

    test("the backup action's defaults, in action.yml and when empty; the same values read the same", () => {
      const declared = metadataOf(action).inputs ?? {};
      expect(declared[retention]?.default).toBe('daily=30,weekly=90,monthly=365');
      expect(declared[minKeep]?.default).toBe('7');
      expect(read(run(row, {}))).toMatchObject({
        retention: { dailyDays: 30, weeklyDays: 90, monthlyDays: 365 },
        minKeep: 7,
      });
      expect(read(run(row, { [retention]: ' daily=7, monthly=0 ', [minKeep]: '3' }))).toMatchObject({
        retention: { dailyDays: 7, weeklyDays: 0, monthlyDays: 0 },
        minKeep: 3,
      });
      expect(read(run(row, { [retention]: 'OFF' })).retention).toBe('off');
    });

    test.each(RETENTION_REFUSED)('retention %j is refused in the same words', (value, message) => {
      expect(refusalOf(() => run(row, { [retention]: value }))).toBe(message.replace('NAME', retention));
    });

    test.each(MIN_KEEP_REFUSED)('min-keep %j is refused in the same words', (value, message) => {
      expect(refusalOf(() => run(row, { [minKeep]: value }))).toBe(message.replace('NAME', minKeep));
    });
  },
);
