/**
 * Names from a database, S3 or a person in every job summary, each holding what markdown would
 * otherwise act on (emphasis, strike-through, a code span, a link, HTML, a heading): the exact
 * markdown each summary renders for them, which GitHub shows as the name was written.
 */
import { describe, expect, test } from '@jest/globals';
import type { AuditResult } from '../../src/audit/run-audit.js';
import { auditMarkdown } from '../../src/audit/summary.js';
import { backupMarkdown } from '../../src/backup/summary.js';
import type { BackupResult } from '../../src/backup/run-backup.js';
import { renderDrillMarkdown } from '../../src/drill-report/render.js';
import { renderIncidentMarkdown } from '../../src/drill-report/incident.js';
import { summarizeDetails, type DrillReport } from '../../src/drill-report/drill.js';
import type { FailoverResult } from '../../src/failover/run-failover.js';
import { failoverMarkdown } from '../../src/failover/summary.js';
import { hourlySnapshotsMarkdown } from '../../src/rds-restore/snapshot-summary.js';
import type { HourlySnapshotReport } from '../../src/rds-restore/hourly-snapshots.js';
import type { RdsRestoreReport } from '../../src/rds-restore/rds-restore-report.js';
import { rdsRestoreMarkdown } from '../../src/rds-restore/summary.js';
import type { RecoverApplicationReport } from '../../src/recover-application/application-report.js';
import { recoverApplicationMarkdown } from '../../src/recover-application/summary.js';
import type { RecoverDatabaseReport } from '../../src/recover-database/recover-report.js';
import { recoverDatabaseMarkdown } from '../../src/recover-database/summary.js';
import { code, prose, table, text } from '../../src/report/markdown.js';
import type { RestoreVerifyReport } from '../../src/restore/restore-report.js';
import { restoreVerifyMarkdown } from '../../src/restore/summary.js';
import { markdownToText } from '../../src/cli/markdown-text.js';

/** A name that markdown would act on in every way it can: emphasis, strike-through, code, a link, HTML, a heading. */
const NAME = '*_x_* ~~y~~ `z` [l](u) <b> # h';
/** As text: each markdown character escaped, HTML as entities. */
const AS_TEXT = '\\*\\_x\\_\\* \\~\\~y\\~\\~ \\`z\\` \\[l\\](u) &lt;b&gt; \\# h';
/** As code: fenced with two backticks, one more than the name's longest run. */
const AS_CODE = '``*_x_* ~~y~~ `z` [l](u) <b> # h``';
const TABLE = 'public._t_';
const ROLE = '`admin`';
/** A DNS name as Route 53 holds one: no backtick (failover's messages keep their own code spans, so a name in them has none). */
const RECORD = '*_x_*.~~y~~.[l](u).<b>.example.com';
const RECORD_AS_TEXT = '\\*\\_x\\_\\*.\\~\\~y\\~\\~.\\[l\\](u).&lt;b&gt;.example.com';

const report = <T>(details: unknown, extra: Record<string, unknown> = {}) =>
  ({
    version: 1,
    passed: false,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    durationSeconds: 60,
    reasons: [`table ${NAME} differs`],
    steps: [{ name: 'verify', status: 'failed', durationSeconds: 1, detail: `${NAME}: 3 rows, the manifest says 4` }],
    objectives: [],
    checklist: [{ key: 'data', item: 'Data integrity verified', status: 'failed', detail: `${NAME} differs` }],
    run: {},
    tool: { name: 'dr-actions', version: '1.0.0' },
    details,
    ...extra,
  }) as unknown as T;

const lines = (markdown: string) => markdown.split('\n');

describe('the markdown helpers', () => {
  test('text() escapes what markdown acts on; an underscore inside a word stays', () => {
    expect(text(NAME)).toBe(AS_TEXT);
    expect(text('restore_verify & ~~old~~')).toBe('restore_verify &amp; \\~\\~old\\~\\~');
    expect(text('1. first\n- second')).toBe('1\\. first\n\\- second');
  });

  test('code() fences one backtick longer than the name holds, padded where it begins or ends with one', () => {
    expect(code(NAME)).toBe(AS_CODE);
    expect(code(ROLE)).toBe('`` `admin` ``');
    expect(code('a``b')).toBe('```a``b```');
    expect(code(' lead ')).toBe('`  lead  `');
  });

  test('prose() keeps its own code spans and escapes the rest', () => {
    expect(prose(`fence ${NAME.slice(0, 11)}: \`aws rds stop-db-instance --db-instance-identifier *_x_*\``)).toBe(
      'fence \\*\\_x\\_\\* \\~\\~y\\~\\~: `aws rds stop-db-instance --db-instance-identifier *_x_*`',
    );
  });

  test('in a table cell, escaped backticks open no code span, so HTML after them is still shown as text', () => {
    expect(table(['a'], [[`${text('`')}<b>${text('`')}`]])).toBe('| a |\n|---|\n| \\`&lt;b>\\` |');
  });

  test('the command line shows both as the name was written', () => {
    expect(markdownToText(`${text(NAME)} and ${code(NAME)}`)).toBe(`${NAME} and ${NAME}`);
    expect(markdownToText(table(['name'], [[code('a|b')], [text('a|b')]]))).toBe('name\n----\na|b\na|b');
  });
});

describe('every summary renders names literally', () => {
  test('backup: the database, its tables, roles, keys and retention reasons', () => {
    const key = `database/${NAME}.dump`;
    const markdown = backupMarkdown({
      manifest: {
        bucket: 'b',
        key,
        database: NAME,
        server: { version: '16.4' },
        pgDump: { version: '16.4' },
        format: 'custom',
        compression: 'gzip:1',
        databaseSizeBytes: 10,
        sha256: 'a'.repeat(64),
        snapshotAt: '2026-01-01T00:00:00Z',
        tables: [{ schema: 'public', name: '_t_', rows: 1 }],
        roles: [{ name: ROLE }],
        globals: { status: 'missing', reason: `role ${NAME} unreadable` },
      },
      storedBytes: 10,
      compressionRatio: 1,
      durationSeconds: 1,
      throughputBytesPerSecond: 10,
      totalRows: 1,
      retention: {
        policy: { dailyDays: 30, weeklyDays: 0, monthlyDays: 0 },
        minKeep: 1,
        dryRun: false,
        complete: [],
        incomplete: [{ key, lastModified: new Date(0), reason: `incomplete (${NAME})`, action: 'kept' }],
        legacy: [],
        orphanManifests: [],
        errors: [],
        locked: [],
      },
    } as unknown as BackupResult);
    expect(lines(markdown)[0]).toBe(`## ✅ Backup of ${AS_CODE}`);
    expect(markdown).toContain(`| Database | ${AS_CODE} (PostgreSQL 16.4, 10 B on disk) |`);
    expect(markdown).toContain(
      `| Globals | ❌ missing (globals: best-effort): role ${AS_TEXT} unreadable; the dump depends on \`\` \`admin\` \`\` |`,
    );
    expect(markdown).toContain(`| public.\\_t\\_ | 1 |`);
    expect(markdown).toContain(
      `| \`\`database/*_x_* ~~y~~ \`z\` [l](u) <b> # h.dump\`\` | 1970-01-01T00:00:00.000Z | kept | incomplete (${AS_TEXT}) |`,
    );
  });

  test('restore-verify: the key, the database, the tables, the roles, reasons and steps', () => {
    const markdown = restoreVerifyMarkdown(
      report<RestoreVerifyReport>({
        bucket: 'b',
        selector: 'latest',
        backup: {
          key: NAME,
          reason: `newest of ${NAME}`,
          verifiable: true,
          sizeBytes: 1,
          dataFrom: '2026-01-01T00:00:00Z',
          dataAgeSeconds: 60,
          manifest: { pgDumpVersion: '16', serverVersion: '16', database: NAME, compression: 'none', sha256: 'a' },
        },
        target: { database: NAME, created: true, dropped: true },
        tables: [{ schema: 'public', name: '_t_', expectedRows: 4, restoredRows: 3, status: 'differs' }],
        roles: {
          existingRoles: 'keep',
          differences: [{ role: ROLE, kind: 'password', backup: '-', server: '-', updated: false }],
        },
        checks: {
          file: NAME,
          results: [{ name: NAME, line: 1, passed: false, detail: `${NAME} missing`, checklist: [] }],
        },
      }),
    );
    expect(lines(markdown)[0]).toBe(`## ❌ Restore test of ${AS_CODE}: failed`);
    expect(markdown).toContain(`- table ${AS_TEXT} differs`);
    expect(markdown).toContain(`| Data integrity verified | ❌ failed | ${AS_TEXT} differs |`);
    expect(markdown).toContain(`| verify | ❌ failed | 1.00 s | ${AS_TEXT}: 3 rows, the manifest says 4 |`);
    expect(markdown).toContain(`| Chosen | newest of ${AS_TEXT} (backup: \`latest\`) |`);
    expect(markdown).toContain(`| Made by | pg_dump 16 from PostgreSQL 16 (${AS_CODE}), none |`);
    expect(markdown).toContain(`| Scratch database | ${AS_CODE}: created, dropped |`);
    expect(markdown).toContain('| public.\\_t\\_ | 4 | 3 | ❌ differs |');
    expect(markdown).toContain('| `` `admin` `` | password | - | - | left as it is |');
    expect(markdown).toContain(`### Checks (${AS_CODE})`);
    expect(markdown).toContain(`| ${AS_TEXT} | 1 | ❌ failed | ${AS_TEXT} missing |  |`);
  });

  test('rds-restore-test: the instance, the tables and the newest rows', () => {
    const markdown = rdsRestoreMarkdown(
      report<RdsRestoreReport>({
        instanceId: 'prod',
        sourceRegion: 'us-east-1',
        region: 'us-east-1',
        selector: NAME,
        scenario: 'database failure',
        instance: { id: 'tmp', instanceClass: 'db.t3.micro', created: true, deleted: true, statuses: [] },
        database: {},
        proof: {
          tables: [{ schema: 'public', name: '_t_', estimatedRows: 1, exactRows: 1 }],
          newestRows: [{ column: `${TABLE}.${NAME}`, newest: NAME }],
        },
        checks: { results: [] },
      }),
    );
    expect(markdown).toContain(`| Recovery point | not resolved (recovery-point: ${AS_CODE}) |`);
    expect(markdown).toContain('| public.\\_t\\_ | 1 | 1 |');
    expect(markdown).toContain(`| \`\`public._t_.*_x_* ~~y~~ \`z\` [l](u) <b> # h\`\` | ${AS_TEXT} | - |`);
  });

  test('rds-restore-test hourly snapshots: the reasons retention gives', () => {
    const markdown = hourlySnapshotsMarkdown(
      report<HourlySnapshotReport>({
        instanceId: NAME,
        retention: [
          { region: 'us-east-1', kept: [{ id: 'snap-1', reasons: [`newest of ${NAME}`] }], deleted: [], untouched: 0 },
        ],
      }),
    );
    expect(lines(markdown)[0]).toBe(`## ❌ Hourly snapshot of ${AS_CODE}: failed`);
    expect(markdown).toContain(`| \`snap-1\` | kept | newest of ${AS_TEXT} |`);
  });

  test('failover: findings, steps and next steps keep their commands and show the names as written', () => {
    const markdown = failoverMarkdown({
      mode: 'plan',
      report: report(
        {
          replica: { id: 'replica', region: 'us-west-2' },
          endpoint: 'replica.example.com:5432',
          promoted: false,
          record: { name: NAME, type: 'CNAME' },
          plannedChanges: [{ step: 'dns', change: `point ${NAME}`, before: NAME, after: 'replica', state: 'planned' }],
          findings: [{ level: 'warning', check: 'record', finding: `${RECORD} is \`${RECORD}\`` }],
          nextSteps: [`Fence ${RECORD}: \`aws rds stop-db-instance --db-instance-identifier prod\``],
          rollback: [],
        },
        { reasons: [] },
      ),
    } as unknown as FailoverResult);
    expect(markdown).toContain(`| Record | ${AS_CODE} CNAME |`);
    expect(markdown).toContain(`| point ${AS_TEXT} | ${AS_TEXT} | replica | planned |`);
    expect(markdown).toContain(`| ⚠️ | record | ${RECORD_AS_TEXT} is \`${RECORD}\` |`);
    expect(markdown).toContain(
      `1. Fence ${RECORD_AS_TEXT}: \`aws rds stop-db-instance --db-instance-identifier prod\``,
    );
  });

  test('recover-database: the state, the sessions and the rows that would be lost', () => {
    const markdown = recoverDatabaseMarkdown(
      report<RecoverDatabaseReport>({
        mode: 'plan',
        production: NAME,
        database: NAME,
        state: `${NAME} is in production`,
        putBack: ['ALTER DATABASE "a```b" RENAME TO x;'],
        actions: [],
        loss: {
          recoveryPoint: 'k',
          seconds: 60,
          tables: [{ table: TABLE, backupRows: 1, liveRows: 2, difference: -1 }],
        },
        sessions: [{ pid: 1, user: ROLE, application: NAME, client: '10.0.0.1', database: NAME }],
        checks: { results: [] },
      }),
    );
    expect(lines(markdown)[0]).toBe(`## ❌ Recovery plan for ${AS_CODE}: execute would refuse`);
    expect(markdown).toContain(`**State:** ${AS_TEXT} is in production`);
    expect(markdown).toContain('````sql\nALTER DATABASE "a```b" RENAME TO x;\n````');
    expect(markdown).toContain('| public.\\_t\\_ | 1 | 2 | 1 rows the live database lacks |');
    expect(markdown).toContain(`| 1 | \\\`admin\\\` | ${AS_TEXT} | 10.0.0.1 | ${AS_TEXT} |`);
  });

  test('recover-application: the application and its commands', () => {
    const markdown = recoverApplicationMarkdown(
      report<RecoverApplicationReport>({
        mode: 'plan',
        application: NAME,
        planDigest: 'd',
        commands: { restart: `systemctl restart ${NAME}` },
        health: { url: 'http://h/', expectStatus: 200, timeoutSeconds: 60 },
        passEnv: [],
      }),
    );
    expect(lines(markdown)[0]).toBe(`## 📋 Application recovery plan for ${AS_CODE}`);
    expect(markdown).toContain('| restart | ``systemctl restart *_x_* ~~y~~ `z` [l](u) <b> # h`` |');
  });

  test('dr-audit: what a check found', () => {
    const check = {
      id: 'backup.incomplete-backups',
      area: 'backup',
      plan: 'Complete Database Recovery: 1. Identify latest backup (aws s3 ls s3://saas-backups/database/ | tail -5)',
      severity: 'medium',
      status: 'failed',
      found: `1 incomplete backup: database/${NAME}.dump`,
      fix: `aws s3 rm s3://b/database/${NAME}.dump`,
    };
    const markdown = auditMarkdown({
      report: report({
        primaryRegion: 'us-east-1',
        secondaryRegion: 'us-west-2',
        failOn: 'high',
        checks: [check],
        counts: { passed: 0, failed: 1, skipped: 0, failingStep: 0 },
      }),
    } as unknown as AuditResult);
    expect(markdown).toContain(
      `| ⚠️ failed (below fail-on) | \`backup.incomplete-backups\` | 🟠 medium | 1 incomplete backup: database/${AS_TEXT}.dump | \`\`aws s3 rm s3://b/database/*_x_* ~~y~~ \`z\` [l](u) <b> # h.dump\`\` | Complete Database Recovery: 1. Identify latest backup (aws s3 ls s3://saas-backups/database/ \\| tail -5) |`,
    );
  });

  test('drill-report and incident: the title, the reports, their reasons and steps', () => {
    const source = {
      kind: 'restore-verify',
      label: NAME,
      file: NAME,
      passed: false,
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:01:00Z',
      durationSeconds: 60,
      reasons: [`table ${NAME} differs`],
      steps: [{ name: NAME, status: 'failed', durationSeconds: 1, detail: `${NAME} differs` }],
      objectives: [],
      checklist: [],
      run: {},
      summary: summarizeDetails('restore-verify', { backupKey: NAME, backup: { manifest: { database: NAME } } }),
    };
    const drill = report<DrillReport>(
      { title: NAME, sources: [source], meantToCheck: [], unchecked: [], incident: undefined },
      { reasons: [`restore-verify: table ${NAME} differs`], checklist: [] },
    );
    const markdown = renderDrillMarkdown(drill, { past: [], historyDir: 'docs/dr-drills' });
    expect(lines(markdown)[0]).toBe(`# ❌ ${AS_TEXT}, 2026-01-01: failed`);
    expect(markdown).toContain(`- restore-verify: table ${AS_TEXT} differs`);
    expect(markdown).toContain(`### ${AS_TEXT}: backup ${AS_CODE} of ${AS_TEXT}`);
    expect(markdown).toContain(`| ❌ | ${AS_TEXT} | 1.00 s | 2% | ${AS_TEXT} differs |`);
    const incident = renderIncidentMarkdown({
      ...drill,
      details: { ...drill.details, incident: { startedAt: '2026-01-01T00:00:00Z' } },
    } as unknown as DrillReport);
    expect(incident).toContain(`- [ ] Fix: restore-verify: table ${AS_TEXT} differs`);
  });
});
