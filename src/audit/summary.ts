import { code, MARK, table, text } from '../report/markdown.js';
import { formatDuration } from '../util/format.js';
import { AREAS, byUrgency, failsStep, type AuditCheck } from './check.js';
import type { AuditResult } from './run-audit.js';

const SEVERITY_MARK = { high: '🔴 high', medium: '🟠 medium', low: '🟡 low' } as const;

function status(check: AuditCheck, result: AuditResult): string {
  if (check.status !== 'failed') return `${MARK[check.status]} ${check.status}`;
  return failsStep(check, result.report.details.failOn) ? `${MARK.failed} failed` : '⚠️ failed (below fail-on)';
}

function areaTable(checks: readonly AuditCheck[], result: AuditResult): string {
  const rows = [...checks]
    .sort(byUrgency)
    .map((c) => [
      status(c, result),
      code(c.id),
      SEVERITY_MARK[c.severity],
      text(c.found),
      c.status === 'failed' && c.fix ? code(c.fix) : '',
      text(c.plan),
    ]);
  return table(['', 'check', 'severity', 'found', 'fix', 'the plan says'], rows);
}

/** The job summary: the verdict, then one table per area (areas with failures first), failures on top with their fix. */
export function auditMarkdown(result: AuditResult): string {
  const { report } = result;
  const { details } = report;
  const c = details.counts;
  const heading = report.passed
    ? `## ${MARK.passed} The plan's prerequisites are in place`
    : `## ${MARK.failed} The plan's prerequisites are not all in place`;
  const lines = [
    heading,
    '',
    `${c.passed} passed, ${c.failed} failed (${c.failingStep} at or above fail-on ${code(details.failOn)}), ${c.skipped} skipped; ${details.primaryRegion} → ${details.secondaryRegion}, ${formatDuration(report.durationSeconds)}.`,
  ];
  const areas = [...AREAS].sort((a, b) => {
    const failures = (area: string) => details.checks.filter((x) => x.area === area && x.status === 'failed').length;
    return (failures(b) > 0 ? 1 : 0) - (failures(a) > 0 ? 1 : 0) || AREAS.indexOf(a) - AREAS.indexOf(b);
  });
  for (const area of areas) {
    const checks = details.checks.filter((x) => x.area === area);
    if (!checks.length) continue;
    const failed = checks.filter((x) => x.status === 'failed').length;
    lines.push('', `### ${area}${failed ? `: ${failed} failed` : ''}`, '', areaTable(checks, result));
  }
  const measured = report.objectives.filter((o) => o.measuredSeconds !== null);
  if (measured.length) {
    lines.push(
      '',
      '### Objectives as the settings stand',
      '',
      ...measured.map(
        (o) =>
          `- **${o.name}** (${o.scenario}): ${o.measure} ${formatDuration(o.measuredSeconds ?? 0)}, target ${formatDuration(o.targetSeconds)}: ${o.passed ? `${MARK.passed} met` : `${MARK.failed} missed`}`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
