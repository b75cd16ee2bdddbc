import { code, MARK, prose, table, text } from '../report/markdown.js';
import { formatDuration } from '../util/format.js';
import type { FailoverResult } from './run-failover.js';
import type { FindingLevel, PlannedChange } from './preflight.js';

const LEVEL_MARK: Record<FindingLevel, string> = { ok: MARK.passed, warning: '⚠️', blocker: MARK.failed };

function heading(result: FailoverResult): string {
  const { report } = result;
  const what = `${code(report.details.replica.id)} (${report.details.replica.region})`;
  if (result.mode === 'plan') {
    return report.passed
      ? `## 📋 Failover plan for ${what}: execute would proceed`
      : `## ${MARK.failed} Failover plan for ${what}: execute would refuse`;
  }
  return report.passed
    ? `## ${MARK.passed} Failover to ${what} complete`
    : `## ${MARK.failed} Failover to ${what} failed`;
}

function planTable(result: FailoverResult): string {
  const changes = result.report.details.plannedChanges;
  if (!changes.length) return '_No changes could be planned: see the findings._';
  const stepStatus = new Map(result.report.steps.map((step) => [step.name, step.status]));
  const state = (change: PlannedChange) => {
    if (change.state === 'already done') return `${MARK.skipped} already done`;
    if (result.mode === 'plan') return 'planned';
    const status = stepStatus.get(change.step);
    return status === 'passed' ? `${MARK.passed} done` : status === 'failed' ? `${MARK.failed} failed` : 'not reached';
  };
  return table(
    ['change', 'before', 'after', 'state'],
    changes.map((c) => [text(c.change), text(c.before), text(c.after), state(c)]),
  );
}

function stepsTable(result: FailoverResult): string {
  const { report } = result;
  const start = new Date(report.startedAt).getTime();
  const [rto] = report.objectives;
  const rows = report.steps.map((step) => {
    const elapsed = step.finishedAt ? (new Date(step.finishedAt).getTime() - start) / 1000 : undefined;
    const share =
      elapsed !== undefined && rto
        ? ` (${((elapsed / rto.targetSeconds) * 100).toFixed(elapsed / rto.targetSeconds < 0.01 ? 2 : 0)}% of RTO)`
        : '';
    return [
      `${MARK[step.status]} ${text(step.name)}`,
      step.durationSeconds !== undefined ? formatDuration(step.durationSeconds) : '-',
      elapsed !== undefined ? `${formatDuration(elapsed)}${share}` : '-',
      prose(step.detail),
    ];
  });
  return table(['step', 'took', 'elapsed since start', 'detail'], rows);
}

function objectivesLines(result: FailoverResult): string[] {
  return result.report.objectives.map((o) => {
    const verdict = o.passed === null ? 'not measured' : o.passed ? `${MARK.passed} met` : `${MARK.failed} missed`;
    const measured = o.measuredSeconds === null ? 'not measured' : formatDuration(o.measuredSeconds);
    return `- **${o.name}** (${o.scenario}): target ${formatDuration(o.targetSeconds)}, measured ${measured} (${o.measure}): ${verdict}`;
  });
}

/** Whether the replica is promoted, and by whom and when, as its tags say. */
function promotedCell(details: FailoverResult['report']['details']): string {
  if (!details.promoted) return 'no';
  const promotion = details.promotion;
  if (!promotion) return 'yes';
  const who =
    promotion.by === 'this run' ? 'by this run' : `by ${promotion.promotedBy ?? 'someone else (no promoted-by tag)'}`;
  return `yes, ${who}, at ${promotion.promotedAt ?? 'an unknown time (no promoted-at tag)'}`;
}

/** The job summary: the plan (before/after), the preflight findings, step timings against the RTO, what to do next, how to roll back. */
export function failoverMarkdown(result: FailoverResult): string {
  const { report } = result;
  const details = report.details;
  const lines = [heading(result), ''];
  if (report.reasons.length) lines.push(...report.reasons.map((reason) => `> ${MARK.failed} ${prose(reason)}`), '');
  lines.push(
    table(
      ['', ''],
      [
        ['Mode', result.mode === 'plan' ? 'plan (nothing was changed)' : 'execute'],
        ['New primary endpoint', details.endpoint ? code(details.endpoint) : 'unknown'],
        ['Promoted', promotedCell(details)],
        ...(details.record
          ? [
              [
                'Record',
                `${code(details.record.name)} ${details.record.type}${result.changeId ? `, change ${code(result.changeId)}` : ''}`,
              ],
            ]
          : []),
        ['Duration', formatDuration(report.durationSeconds)],
      ],
    ),
    '',
    result.mode === 'plan' ? '### What execute would do' : '### Plan',
    '',
    planTable(result),
    '',
    '### Preflight findings',
    '',
    details.findings.length
      ? table(
          ['', 'check', 'finding'],
          details.findings.map((f) => [LEVEL_MARK[f.level], text(f.check), prose(f.finding)]),
        )
      : '_Preflight did not complete._',
    '',
    '### Steps and objectives',
    '',
    stepsTable(result),
    '',
    ...objectivesLines(result),
  );
  if (result.mode === 'plan') {
    lines.push(
      '',
      `To execute, run this workflow with ${code('mode: execute')} and ${code(`confirm: ${details.replica.id}`)}.`,
    );
  }
  if (details.nextSteps.length)
    lines.push(
      '',
      result.mode === 'plan' ? '### After execute, the operator must' : '### Next steps',
      '',
      ...details.nextSteps.map((s) => `1. ${prose(s)}`),
    );
  if (details.rollback.length)
    lines.push('', '### How to roll back', '', ...details.rollback.map((s) => `- ${prose(s)}`));
  return `${lines.join('\n')}\n`;
}
