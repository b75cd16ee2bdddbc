import { describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { drillCoverage, MEANT_TO_CHECK } from '../../src/drill-report/coverage.js';
import { buildDrillReport, drillVerdict, type DrillReport, type SourceReport } from '../../src/drill-report/drill.js';
import { loadPastDrills } from '../../src/drill-report/history.js';
import { renderDrillMarkdown } from '../../src/drill-report/render.js';
import { loadSourceReports } from '../../src/drill-report/sources.js';
import { trendPoints } from '../../src/drill-report/trend.js';
import { checklistItem, PLAN_CHECKLIST } from '../../src/report/checklist.js';
import { silentLogger } from '../../src/util/logger.js';
import { FIXTURES } from './helpers.js';
import { sections, tables } from './markdown-structure.js';

const RUN = { repository: 'acme/shop', workflow: 'DR drill', runId: '21450001299' };

async function drillOf(files: string[]): Promise<DrillReport> {
  const sources: SourceReport[] = await loadSourceReports(files, FIXTURES);
  return buildDrillReport({ title: 'Quarterly DR drill', reports: sources, run: RUN });
}

/** A report of `kind` that passed, checking exactly `rows`. */
function reportOf(kind: string, rows: ReturnType<typeof checklistItem>[]): SourceReport {
  const at = '2026-01-01T05:00:00.000Z';
  return {
    label: kind,
    file: `${kind}.json`,
    report: {
      version: 1,
      kind,
      tool: { name: 'dr-actions', version: 'test' },
      run: {},
      startedAt: at,
      finishedAt: at,
      durationSeconds: 0,
      passed: true,
      reasons: [],
      steps: [],
      objectives: [],
      checklist: rows,
      details: {},
    },
  };
}

describe('a drill that checked nothing it was meant to is incomplete, never passed', () => {
  test('only a failover plan, 1 of 8 items checked: incomplete, passed false, and why', async () => {
    const report = await drillOf(['passing/failover-report.json']);
    expect(report.passed).toBe(false);
    expect(drillVerdict(report)).toBe('incomplete');
    expect(report.details).toMatchObject({ verdict: 'incomplete', meantToCheck: ['rto'], unchecked: ['rto'] });
    expect(report.reasons).toEqual([
      'not checked: Recovery time within RTO, which a failover report in execute mode checks',
    ]);
  });

  test('the verdict shows in the heading, the headline, the checklist and the trend', async () => {
    const report = await drillOf(['passing/failover-report.json']);
    const past = (await loadPastDrills(join(FIXTURES, 'history'), silentLogger)).map((d) => d.report);
    const markdown = renderDrillMarkdown(report, { past, historyDir: 'docs/dr-drills' });
    const lines = markdown.split('\n');
    expect(lines[0]).toBe('# ⚠️ Quarterly DR drill, 2026-01-01: incomplete');
    expect(lines[2]).toMatch(/^\*\*Incomplete\.\*\* 1 report: ✅ failover/);
    expect(markdown).toContain('**Why it is incomplete: what it was meant to check and did not**');
    const checklist = sections(markdown).get('Test Checklist') ?? '';
    expect(checklist).toContain(
      'Meant to be checked by the kinds of reports gathered: Recovery time within RTO. ⚠️ 1 of them was not checked, so the drill is incomplete.',
    );
    const trend = (tables(sections(markdown).get('Trend') ?? '')[0] ?? []).slice(1);
    expect(trend.at(-1)?.slice(0, 2)).toEqual(['2026-01-01 (this drill)', '⚠️ incomplete']);
    expect(report.passed).toBe(false);
    expect(trendPoints(past, report).at(-1)).toMatchObject({ verdict: 'incomplete' });
    expect(
      trendPoints(past, report)
        .slice(0, -1)
        .map((p) => p.verdict),
    ).toEqual(['passed', 'failed', 'passed']);
  });

  test('a restore-verify report and a failover plan: the restore checks the recovery time, so the drill passes', async () => {
    const report = await drillOf(['passing/failover-report.json', 'passing/restore-verify-report.json']);
    expect(report.passed).toBe(true);
    expect(report.details).toMatchObject({
      verdict: 'passed',
      meantToCheck: ['download', 'restore', 'rto', 'rpo'],
      unchecked: [],
    });
  });

  test('failures win over what was not checked: a failed drill is failed', async () => {
    const report = await drillOf(['failing/failover-report.json', 'failing/restore-verify-report.json']);
    expect(drillVerdict(report)).toBe('failed');
    expect(report.passed).toBe(false);
    // Both at once: a restore that failed and left the recovery time and data loss unchecked.
    const failedAndUnchecked = reportOf('restore-verify', [
      checklistItem('download', 'passed'),
      checklistItem('restore', 'failed'),
      checklistItem('rto', 'skipped', 'restore failed'),
    ]);
    failedAndUnchecked.report.passed = false;
    failedAndUnchecked.report.reasons = ['pg_restore exited with 1'];
    const both = buildDrillReport({ title: 'drill', reports: [failedAndUnchecked], run: RUN });
    expect(both.details.unchecked).toEqual(['rto', 'rpo']);
    expect(drillVerdict(both)).toBe('failed');
    expect(both.reasons).toEqual(['restore-verify: pg_restore exited with 1']);
  });

  test('an item a report skipped does not count as checked', () => {
    const skipped = reportOf('restore-verify', [
      checklistItem('download', 'passed'),
      checklistItem('restore', 'passed'),
      checklistItem('rto', 'passed'),
      checklistItem('rpo', 'skipped', 'no complete backup'),
    ]);
    const report = buildDrillReport({ title: 'drill', reports: [skipped], run: RUN });
    expect(drillVerdict(report)).toBe('incomplete');
    expect(report.reasons).toEqual([
      'not checked: Data loss within RPO, which a restore-verify report checks (skipped: no complete backup)',
    ]);
  });

  test("an audit alone checks no item of the plan's Test Checklist: incomplete", () => {
    const report = buildDrillReport({
      title: 'drill',
      reports: [reportOf('dr-audit', [checklistItem('prerequisites', 'passed')])],
      run: RUN,
    });
    expect(drillVerdict(report)).toBe('incomplete');
    expect(report.reasons).toEqual([
      "no report of this drill (dr-audit) is of a kind that checks an item of the plan's Test Checklist: gather a restore-verify or rds-restore-test report, or a failover report in execute mode",
    ]);
  });

  test('an RDS recovery point restore alone is a drill: restore, recovery time and data loss checked pass it; its RPO unmeasured leaves it incomplete', () => {
    const rds = (rpo: ReturnType<typeof checklistItem>) =>
      reportOf('rds-restore-test', [checklistItem('restore', 'passed'), checklistItem('rto', 'passed'), rpo]);
    const checked = buildDrillReport({ title: 'drill', reports: [rds(checklistItem('rpo', 'passed'))], run: RUN });
    expect(drillVerdict(checked)).toBe('passed');
    expect(checked.details.meantToCheck).toEqual(['restore', 'rto', 'rpo']);
    const unmeasured = buildDrillReport({
      title: 'drill',
      reports: [rds(checklistItem('rpo', 'skipped', 'no recovery point'))],
      run: RUN,
    });
    expect(drillVerdict(unmeasured)).toBe('incomplete');
    expect(unmeasured.reasons).toEqual([
      'not checked: Data loss within RPO, which an rds-restore-test report checks (skipped: no recovery point)',
    ]);
  });

  test('what each kind is meant to check is an item of the plan', () => {
    for (const keys of Object.values(MEANT_TO_CHECK)) for (const key of keys) expect(PLAN_CHECKLIST[key]).toBeTruthy();
    expect(drillCoverage([{ kind: 'backup' }], []).reasons).toHaveLength(1);
  });
});
