import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildDrillReport,
  mergeObjectives,
  type DrillReport,
  type DrillSource,
  type SourceReport,
} from '../../src/drill-report/drill.js';
import { loadPastDrills } from '../../src/drill-report/history.js';
import { renderDrillMarkdown } from '../../src/drill-report/render.js';
import { loadSourceReports } from '../../src/drill-report/sources.js';
import { parseReport } from '../../src/report/parse.js';
import { objective } from '../../src/report/report.js';
import { silentLogger } from '../../src/util/logger.js';
import { formatDuration } from '../../src/util/format.js';
import { FIXTURES } from './helpers.js';
import { mermaidBlocks, sections, tables } from './markdown-structure.js';

const RUN = {
  repository: 'acme/shop',
  workflow: 'DR drill',
  runId: '21450001299',
  url: 'https://github.com/acme/shop/actions/runs/21450001299',
};

async function drillOf(set: string): Promise<{ sources: SourceReport[]; report: DrillReport }> {
  const sources = await loadSourceReports(['**/*.json'], join(FIXTURES, set));
  return { sources, report: buildDrillReport({ title: 'Quarterly DR drill', reports: sources, run: RUN }) };
}

async function history(): Promise<DrillReport[]> {
  return (await loadPastDrills(join(FIXTURES, 'history'), silentLogger)).map((d) => d.report);
}

async function fixture(path: string) {
  return parseReport(await readFile(join(FIXTURES, path), 'utf8'), path);
}

/** Rows of the first table in a section, header dropped. */
function rowsOf(markdown: string, section: string, index = 0): string[][] {
  const body = sections(markdown).get(section);
  if (body === undefined) throw new Error(`no section ${section}`);
  return (tables(body)[index] ?? []).slice(1);
}

describe('a drill whose reports all passed, with three earlier drills in history', () => {
  test('verdict first, then the sections in order', async () => {
    const { report } = await drillOf('passing');
    const markdown = renderDrillMarkdown(report, { past: await history(), historyDir: 'docs/dr-drills' });
    const lines = markdown.split('\n');
    expect(lines[0]).toBe('# ✅ Quarterly DR drill, 2026-01-01: passed');
    expect(lines[2]).toBe(
      '**Passed.** 2 reports: ✅ restore-verify, ✅ failover. Test Checklist: 7 passed, 0 failed, 1 skipped, 1 not checked. Recovery time: database failure 4 min 12 s (RTO 1 h 0 min).',
    );
    expect([...sections(markdown).keys()]).toEqual([
      'Reports',
      'Test Checklist',
      'Objectives against measured values',
      'Step timings',
      'Trend',
      'Post-mortem',
    ]);
    expect(markdown).not.toContain('Why it failed');
  });

  test("the headline gives each scenario of the plan's RTO table once, in its order, the slowest of several", async () => {
    const { report } = await drillOf('passing');
    const objectives = [
      objective('RTO', 'regional outage', 'RDS point-in-time restore in us-west-2', 28_800, 600),
      objective('RTO', 'infrastructure failure', 'rebuild on an empty server', 14_400, 90),
      objective('RTO', 'regional outage', 'failover until healthy', 28_800, 45),
      objective('RTO', 'application crash', 'crash until healthy', 1_800, 4),
      objective('RPO', 'infrastructure failure', 'age of the newest complete backup', 3_600, 30),
      objective('RTO', 'database failure', 'start of execute until health-url answered', 3_600, 120),
    ];
    // Two recoveries of the same kind measure the same objective: the record merges them into one.
    const secondRecovery = objective(
      'RTO',
      'database failure',
      'start of execute until health-url answered',
      3_600,
      30,
    );
    const [first, second] = report.details.sources as [DrillSource, DrillSource];
    const sources = [
      { ...first, objectives },
      { ...second, objectives: [secondRecovery] },
    ];
    const merged = { ...report, objectives: mergeObjectives(sources), details: { ...report.details, sources } };
    const markdown = renderDrillMarkdown(merged, { past: [], historyDir: 'docs/dr-drills' });
    expect(markdown.split('\n')[2]).toMatch(
      / Recovery time: database failure 2 min 0 s \(RTO 1 h 0 min, slowest of 2\); application crash 4.00 s \(RTO 30 min 0 s\); infrastructure failure 1 min 30 s \(RTO 4 h 0 min\); regional outage 10 min 0 s \(RTO 8 h 0 min, slowest of 2\)\.$/,
    );
  });

  test("the plan's Test Checklist, every item in the plan's order, merged across the reports", async () => {
    const { report } = await drillOf('passing');
    const rows = rowsOf(renderDrillMarkdown(report, { past: [], historyDir: 'docs/dr-drills' }), 'Test Checklist');
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ['✅', 'Download backup successfully', 'passed'],
      ['✅', 'Restore database from backup', 'passed'],
      ['✅', 'Application starts without errors', 'passed'],
      ['✅', 'User login works', 'passed'],
      ['⏭️', 'Payment processing works', 'skipped'],
      ['✅', 'All critical features functional', 'passed'],
      ['✅', 'Recovery time within RTO', 'passed'],
      ['✅', 'Data loss within RPO', 'passed'],
      // No dr-audit report in this drill.
      ['⬜', 'Plan prerequisites in place', 'not checked'],
    ]);
    // One report speaks to the RTO item: its evidence as it wrote it. Two speak to the RPO: both are named.
    expect(rows[6]?.[3]).toBe('4 min 12 s against 1 h 0 min');
    expect(rows[7]?.[3]).toBe(
      'restore-verify: passed (age of the newest complete backup (from its snapshot): 20 min 8 s; largest gap between complete backups over the last 30 days: 59 min 57 s (objective 1 h 0 min)); failover: passed (replication lag 0.8 s at preflight, RPO 3600 s)',
    );
  });

  test('objectives against measured values: RTO and RPO per scenario, from each report', async () => {
    const { report } = await drillOf('passing');
    const restore = await fixture('passing/restore-verify-report.json');
    const rto = restore.objectives[0]?.measuredSeconds as number;
    const rows = rowsOf(
      renderDrillMarkdown(report, { past: [], historyDir: 'docs/dr-drills' }),
      'Objectives against measured values',
    );
    expect(rows).toEqual([
      [
        '✅',
        'RTO',
        'database failure',
        'download start to end of verification (checks and smoke command included)',
        '1 h 0 min',
        formatDuration(rto),
        `${Math.round((rto / 3600) * 100)}%`,
        'restore-verify',
      ],
      [
        '✅',
        'RPO',
        'database failure',
        'age of the newest complete backup (from its snapshot)',
        '1 h 0 min',
        '20 min 8 s',
        '34%',
        'restore-verify',
      ],
      [
        '✅',
        'RPO',
        'database failure',
        'largest gap between complete backups over the last 30 days',
        '1 h 0 min',
        '59 min 57 s',
        '99.9%',
        'restore-verify',
      ],
      [
        '⏭️',
        'RTO',
        'regional outage',
        'start of execute to https://api.acme.example/api/v1/health/ answering HTTP 200',
        '8 h 0 min',
        'not measured',
        '-',
        'failover',
      ],
      ['✅', 'RPO', 'regional outage', 'replication lag at preflight', '1 h 0 min', '0.80 s', '0%', 'failover'],
    ]);
  });

  test('step timings: every step of every report with its duration and share of the run', async () => {
    const { report } = await drillOf('passing');
    const restore = await fixture('passing/restore-verify-report.json');
    const body =
      sections(renderDrillMarkdown(report, { past: [], historyDir: 'docs/dr-drills' })).get('Step timings') ?? '';
    const [restoreTable, failoverTable] = tables(body);
    expect(restoreTable?.slice(1).map((r) => r[1])).toEqual([...restore.steps.map((s) => s.name), '**total**']);
    expect(restoreTable?.slice(1).map((r) => r[2])).toEqual([
      ...restore.steps.map((s) => formatDuration(s.durationSeconds ?? 0)),
      formatDuration(restore.durationSeconds),
    ]);
    const restoreRow = restoreTable?.find((r) => r[1] === 'restore');
    expect(restoreRow?.[3]).toBe(
      `${Math.round(((restore.steps.find((s) => s.name === 'restore')?.durationSeconds ?? 0) / restore.durationSeconds) * 100)}%`,
    );
    expect(failoverTable?.slice(1).map((r) => [r[0], r[1], r[4]])).toEqual([
      ['✅', 'preflight', '7 findings, 0 blocking'],
      ['', '**total**', ''],
    ]);
    expect(body).toContain('### restore-verify: backup `database/backup_20260101_020003.dump` of saas_production');
    expect(body).toContain('### failover: plan mode: showed the changes, made none');
  });

  test('the trend: a Mermaid xychart-beta of recovery time per drill, bars measured and the RTO as a line; unmeasured drills left out', async () => {
    const { report } = await drillOf('passing');
    const past = await history();
    const body = sections(renderDrillMarkdown(report, { past, historyDir: 'docs/dr-drills' })).get('Trend') ?? '';
    const [chart, ...more] = mermaidBlocks(body);
    expect(more).toEqual([]);
    const lines = (chart ?? '').split('\n').map((l) => l.trim());
    const measured = [...past.filter((d) => d.startedAt < '2025-07-01' || d.startedAt >= '2025-08-01'), report].map(
      (d) => d.objectives.find((o) => o.name === 'RTO' && o.scenario === 'database failure')?.measuredSeconds as number,
    );
    expect(lines).toEqual([
      'xychart-beta',
      'title "Recovery time per drill: database failure"',
      'x-axis ["2025-04-01", "2025-10-01", "2026-01-01"]',
      'y-axis "Recovery time (min)" 0 --> 80',
      `bar [${measured.map((s) => Number((s / 60).toFixed(2))).join(', ')}]`,
      'line [60, 60, 60]',
    ]);
    const rows = tables(body)[0]?.slice(1) ?? [];
    expect(rows.map((r) => r.slice(0, 2))).toEqual([
      ['2025-04-01', '✅ passed'],
      ['2025-07-01', '❌ failed'],
      ['2025-10-01', '✅ passed'],
      ['2026-01-01 (this drill)', '✅ passed'],
    ]);
    expect(rows[1]?.[2]).toBe('-');
  });

  test("the plan's post-mortem template: its five sections in order, answered from the reports where they can be", async () => {
    const { report } = await drillOf('passing');
    const body =
      sections(renderDrillMarkdown(report, { past: [], historyDir: 'docs/dr-drills' })).get('Post-mortem') ?? '';
    const headings = [...body.matchAll(/^(\d)\. \*\*(.+)\*\*$/gm)].map((m) => `${m[1]}. ${m[2]}`);
    expect(headings).toEqual([
      '1. Incident Summary',
      '2. Root Cause Analysis',
      '3. Recovery Actions',
      '4. Lessons Learned',
      '5. Action Items',
    ]);
    for (const question of [
      'What happened?',
      'When did it happen?',
      'How long was the outage?',
      'Why did it happen?',
      'What was the root cause?',
      'What were contributing factors?',
      'What steps were taken?',
      'How long did each step take?',
      'Were procedures effective?',
      'What went well?',
      'What could be improved?',
      'What should we change?',
    ]) {
      expect(body).toContain(`- ${question}`);
    }
    expect(body).toContain('When did it happen? 2026-01-01 05:00:04 UTC to 2026-01-01 05:04:17 UTC');
    expect(body).toContain(
      'Were procedures effective? Yes: every step that ran passed and every measured objective was met.',
    );
    expect(body).toMatch(
      /restore-verify: select 0\.39 s, preflight 0\.20 s, download 36\.5 s, checksum 0\.00 s, create database 0\.31 s, restore 3 min 1 s,/,
    );
    expect(body).toContain('What should we change? _To be filled in by the team._');
    const actionItems = body
      .slice(body.indexOf('5. **Action Items**'))
      .split('\n')
      .filter((l) => l.trim().startsWith('- [ ]'))
      .map((l) => l.trim());
    expect(actionItems).toEqual([
      '- [ ] Cover in the next drill: Payment processing works',
      '- [ ] Cover in the next drill: Plan prerequisites in place',
      '- [ ] Update documentation',
      '- [ ] Implement preventive measures',
      '- [ ] Train team on new procedures',
      '- [ ] Schedule follow-up review',
    ]);
    // The RPO gap met its target with almost no margin: the report says so.
    expect(body).toMatch(
      /RPO for database failure \(largest gap between complete backups over the last 30 days\) was met with little margin/,
    );
    expect(body).toContain('Not checked by this drill: Payment processing works');
  });

  test('rendering is pure: the same record and history give the same markdown', async () => {
    const { report } = await drillOf('passing');
    const past = await history();
    expect(renderDrillMarkdown(report, { past, historyDir: 'docs/dr-drills' })).toBe(
      renderDrillMarkdown(structuredClone(report), { past: structuredClone(past), historyDir: 'docs/dr-drills' }),
    );
  });
});

describe('a drill that checks only part of the plan', () => {
  test('items no report speaks to are shown as not checked, and the post-mortem asks to cover them next time', async () => {
    const sources = await loadSourceReports(['passing/failover-report.json'], FIXTURES);
    const report = buildDrillReport({ title: 'Failover rehearsal', reports: sources, run: RUN });
    const markdown = renderDrillMarkdown(report, { past: [], historyDir: 'docs/dr-drills' });
    const rows = rowsOf(markdown, 'Test Checklist');
    // A failover report is meant to check the recovery time; in plan mode it did not.
    expect(rows.map((r) => r[0])).toEqual(['⬜', '⬜', '⬜', '⬜', '⬜', '⬜', '⚠️', '✅', '⬜']);
    expect(rows[6]?.slice(2)).toEqual(['not checked, though meant to be', 'no report of this drill checked it']);
    expect(rows[0]?.slice(2)).toEqual(['not checked', 'no report of this drill checks it']);
    expect(sections(markdown).get('Test Checklist')).toContain('⬜ items are left for a person to check');
    const covers = markdown.split('\n').filter((l) => l.includes('- [ ] Cover in the next drill: '));
    expect(covers).toHaveLength(8);
    expect(markdown.split('\n')[2]).toMatch(/Test Checklist: 1 passed, 0 failed, 0 skipped, 8 not checked\.$/);
  });
});

describe('a drill over many databases (a matrix)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-many-'));
    for (let i = 0; i < 8; i += 1)
      await cp(join(FIXTURES, 'matrix', 'orders'), join(dir, `restore-verify-db${i}`), { recursive: true });
    await cp(join(FIXTURES, 'matrix', 'billing'), join(dir, 'restore-verify-billing'), { recursive: true });
    await cp(join(FIXTURES, 'passing', 'failover-report.json'), join(dir, 'failover-plan', 'failover-report.json'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('counts and the failures instead of lists of every report; the spread of each step; every run folded', async () => {
    const sources = await loadSourceReports(['**/*.json'], dir);
    const report = buildDrillReport({ title: 'Quarterly DR drill', reports: sources, run: RUN });
    const markdown = renderDrillMarkdown(report, { past: [], historyDir: 'docs/dr-drills' });
    expect(markdown.split('\n')[2]).toMatch(
      /^\*\*Failed\.\*\* 10 reports: 9 passed, 1 failed \(❌ restore-verify \(billing\)\)\. /,
    );
    const rpo = rowsOf(markdown, 'Test Checklist')[7];
    expect(rpo?.[3]).toMatch(/^10 reports: 9 passed, 1 failed; restore-verify \(billing\): failed \(/);
    const steps = sections(markdown).get('Step timings') ?? '';
    const [spread] = tables(steps);
    const restoreTimes = sources
      .filter((s) => s.report.kind === 'restore-verify')
      .map((s) => s.report.steps.find((step) => step.name === 'restore')?.durationSeconds as number);
    expect(spread?.find((r) => r[0] === 'restore')).toEqual([
      'restore',
      '9',
      '0',
      formatDuration(restoreTimes.sort((a, b) => a - b)[4] as number),
      `${formatDuration(Math.max(...restoreTimes))} (restore-verify (billing))`,
    ]);
    expect(steps.match(/<details><summary>/g)).toHaveLength(10);
    const postMortem = sections(markdown).get('Post-mortem') ?? '';
    expect(postMortem).toContain('- restore-verify: 9 runs, 8 passed, 1 failed.');
    expect(postMortem).toContain('- failover: 1 run, 1 passed, 0 failed.');
    expect(postMortem).toMatch(/- restore-verify, the slowest of 9 runs per step: .*restore 6 min 43 s/);
  });
});

describe('a drill whose reports failed', () => {
  test('verdict first, every reason named by its report, the checklist merged worst-first', async () => {
    const { report } = await drillOf('failing');
    const markdown = renderDrillMarkdown(report, { past: [], historyDir: 'docs/dr-drills' });
    expect(markdown.split('\n')[0]).toBe('# ❌ Quarterly DR drill, 2026-01-01: failed');
    const why = markdown.slice(markdown.indexOf('**Why it failed**'), markdown.indexOf('## Reports'));
    expect(
      why
        .split('\n')
        .filter((l) => l.startsWith('- '))
        .map((l) => l.replace(/ is [0-9a-f]{64}, the manifest says [0-9a-f]{64}/, ' is X, the manifest says Y')),
    ).toEqual([
      '- restore-verify: checksum: SHA-256 of database/backup_20251231_020002.dump is X, the manifest says Y',
      '- restore-verify: RPO: the largest gap between complete backups over the last 30 days is 1 h 0 min (3611 s), over the objective of 1 h 0 min (3600 s)',
      '- failover: health check: https://staging.acme.example/api/v1/health/ did not answer 200 within 600 s: 61 attempts, last 502',
    ]);
    const rows = rowsOf(markdown, 'Test Checklist');
    expect(rows.map((r) => r[2])).toEqual([
      'failed',
      'failed',
      'failed',
      'failed',
      'skipped',
      'failed',
      'failed',
      'failed',
      'not checked',
    ]);
    // Application starts: both reports failed it, each for its own reason.
    expect(rows[2]?.[3]).toBe(
      'restore-verify: failed (not run: the checksum failed); failover: failed (https://staging.acme.example/api/v1/health/: 61 attempts, last 502)',
    );
    // Data loss: the failover's lag was within the RPO, the backups' largest gap was not: failed wins.
    expect(rows[7]?.[3]).toMatch(
      /^restore-verify: failed \(.*\); failover: passed \(replication lag 2\.4 s at preflight, RPO 3600 s\)$/,
    );
  });

  test('no recovery was measured: no chart, the trend says so', async () => {
    const { report } = await drillOf('failing');
    const body = sections(renderDrillMarkdown(report, { past: [], historyDir: 'docs/dr-drills' })).get('Trend') ?? '';
    expect(mermaidBlocks(body)).toEqual([]);
    expect(body).toContain('No drill measured a recovery time yet.');
    expect(body).toContain('The first drill recorded in `docs/dr-drills`: the trend starts here.');
  });

  test('the post-mortem names what failed and turns each failure into an action item', async () => {
    const { report } = await drillOf('failing');
    const body =
      sections(renderDrillMarkdown(report, { past: [], historyDir: 'docs/dr-drills' })).get('Post-mortem') ?? '';
    expect(body).toContain(
      'Were procedures effective? No: steps failed: restore-verify: checksum, failover: health check; objectives missed: RPO for database failure (largest gap between complete backups over the last 30 days).',
    );
    expect(body).toContain('Why did it happen? _To be filled in by the team._');
    expect(body).toContain('What was the root cause? _To be filled in by the team._ Start from what failed:');
    const fixes = body.split('\n').filter((l) => l.trim().startsWith('- [ ] Fix: '));
    expect(fixes).toHaveLength(report.reasons.length);
    expect(fixes[2]?.trim()).toBe(`- [ ] Fix: ${report.reasons[2]}`);
  });
});

describe('the drill record', () => {
  test('reports of one kind from a matrix are told apart by their folders; objectives keep the slowest measurement', async () => {
    const { sources, report } = await drillOf('matrix');
    expect(sources.map((s) => s.label).sort()).toEqual(['restore-verify (billing)', 'restore-verify (orders)']);
    const rto = sources.map((s) => s.report.objectives.find((o) => o.name === 'RTO')?.measuredSeconds as number);
    const merged = report.objectives.find((o) => o.name === 'RTO');
    expect(merged?.measuredSeconds).toBe(Math.max(...rto));
    expect(report.passed).toBe(false);
    const billing = sources.find((s) => s.label === 'restore-verify (billing)')?.report;
    expect(billing?.reasons).toHaveLength(1);
    expect(report.reasons).toEqual([`restore-verify (billing): ${billing?.reasons[0]}`]);
    expect(report.steps.map((s) => [s.name, s.status])).toEqual([
      ['restore-verify (orders)', 'passed'],
      ['restore-verify (billing)', 'failed'],
    ]);
    expect(report.checklist.find((r) => r.key === 'rpo')?.status).toBe('failed');
  });

  test('a report that says it passed while one of its objectives failed does not pass the drill', async () => {
    const restore = await fixture('passing/restore-verify-report.json');
    const rto = restore.objectives[0];
    if (!rto) throw new Error('fixture has no RTO');
    const lying = {
      ...restore,
      objectives: [{ ...rto, measuredSeconds: 4000, passed: false }, ...restore.objectives.slice(1)],
    };
    const report = buildDrillReport({
      title: 't',
      reports: [{ label: 'restore-verify', file: 'x.json', report: lying }],
      run: RUN,
    });
    expect(report.passed).toBe(false);
    expect(report.reasons).toEqual([
      'restore-verify: RTO (database failure, download start to end of verification (checks and smoke command included)) measured 1 h 6 min, over the target of 1 h 0 min',
    ]);
  });

  test('no reports at all is a failed drill, not a passed one', () => {
    const report = buildDrillReport({ title: 't', reports: [], run: RUN, now: new Date('2026-01-01T00:00:00Z') });
    expect(report.passed).toBe(false);
    expect(report.reasons).toEqual(['no reports were gathered, so nothing was checked']);
  });

  test('it keeps the shared Report contract, so later drills and other tools read it back', async () => {
    const { report } = await drillOf('passing');
    const back = parseReport(JSON.stringify(report), 'record.json');
    expect(back).toEqual(report);
    expect(back.kind).toBe('drill-report');
  });
});
