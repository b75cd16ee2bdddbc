/** The drill report reads a dr-audit report: the checklist line "Plan prerequisites in place", and the findings. */
import { describe, expect, test } from '@jest/globals';
import { buildAuditReport } from '../../src/audit/audit-report.js';
import { ALL_CHECKS } from '../../src/audit/catalog.js';
import { verdict } from '../../src/audit/check.js';
import { buildDrillReport } from '../../src/drill-report/drill.js';
import { renderDrillMarkdown } from '../../src/drill-report/render.js';
import { parseReport } from '../../src/report/parse.js';

function auditReport(failing: string[]) {
  const checks = ALL_CHECKS.map((c) =>
    verdict(c, !failing.includes(c.id), failing.includes(c.id) ? `${c.id} is off` : 'as the plan says', `fix ${c.id}`),
  );
  const at = new Date('2026-01-01T06:00:00Z');
  return buildAuditReport({
    run: { workflow: 'DR audit' },
    startedAt: at,
    finishedAt: new Date(at.getTime() + 4_000),
    steps: [],
    checks,
    failOn: 'high',
    primaryRegion: 'us-east-1',
    secondaryRegion: 'us-west-2',
    rpoSeconds: 3600,
  });
}

describe('a drill that gathers a dr-audit report', () => {
  test('the checklist has "Plan prerequisites in place" with the findings, and the report line lists the failed checks', () => {
    const written = auditReport(['media.versioning', 'dns.ttl']);
    const report = parseReport(JSON.stringify(written), 'dr-audit-report.json');
    const drill = buildDrillReport({
      title: 'Quarterly DR drill',
      reports: [{ label: 'dr-audit', file: 'dr-audit-report.json', report }],
      run: {},
    });
    const row = drill.checklist.find((r) => r.key === 'prerequisites');
    expect(row).toMatchObject({ item: 'Plan prerequisites in place', status: 'failed' });
    expect(row?.detail).toContain('media.versioning (high): media.versioning is off');
    expect(row?.detail).toContain('dns.ttl (medium): dns.ttl is off');
    expect(drill.details.sources[0]?.summary).toBe(
      `${ALL_CHECKS.length - 2} prerequisites in place, 2 not (media.versioning, dns.ttl), 0 skipped`,
    );
    expect(drill.passed).toBe(false);
    const markdown = renderDrillMarkdown(drill, { past: [], historyDir: 'docs/dr-drills' });
    expect(markdown).toMatch(/\| ❌ \| Plan prerequisites in place \| failed \| .*media\.versioning/);
  });

  test('all in place: the line passes', () => {
    const report = parseReport(JSON.stringify(auditReport([])), 'dr-audit-report.json');
    const drill = buildDrillReport({
      title: 'Quarterly DR drill',
      reports: [{ label: 'dr-audit', file: 'dr-audit-report.json', report }],
      run: {},
    });
    expect(drill.checklist).toEqual([
      {
        key: 'prerequisites',
        item: 'Plan prerequisites in place',
        status: 'passed',
        detail: `${ALL_CHECKS.length} passed, 0 failed, 0 skipped`,
      },
    ]);
  });
});
