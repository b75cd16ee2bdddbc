import { PLAN_CHECKLIST, type ChecklistKey } from '../report/checklist.js';
import { code, text } from '../report/markdown.js';
import { formatDuration, plural } from '../util/format.js';
import { percentOf } from './numbers.js';
import { drillVerdict, MANY_SOURCES, type DrillReport, type DrillSource } from './drill.js';

/** What the team still has to write; it stands out in review and is easy to search for. */
export const TEAM_FILLS_IN = '_To be filled in by the team._';

export function when(report: DrillReport): string {
  const start = report.startedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  const end = report.finishedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  return `${start} to ${end}${report.run.url ? ` ([run](${report.run.url}))` : ''}`;
}

export function sourceSentence(source: DrillSource): string {
  const outcome = source.passed ? 'passed' : `failed: ${text(source.reasons[0] ?? 'no reason given')}`;
  return `${text(source.label)} ${outcome}${source.summary ? ` (${source.summary})` : ''}, in ${formatDuration(source.durationSeconds)}.`;
}

/** Reports grouped by kind, in the order kinds first appear. */
function byKind(sources: readonly DrillSource[]): [string, DrillSource[]][] {
  const groups = new Map<string, DrillSource[]>();
  for (const source of sources) groups.set(source.kind, [...(groups.get(source.kind) ?? []), source]);
  return [...groups.entries()];
}

function whatHappened(sources: readonly DrillSource[]): string[] {
  if (sources.length === 0) return ['A disaster-recovery drill; no report was gathered.'];
  const intro = 'A disaster-recovery drill (no production incident).';
  if (sources.length <= MANY_SOURCES) return [intro, ...sources.map(sourceSentence)];
  const failed = sources.filter((s) => !s.passed);
  const counts = byKind(sources).map(
    ([kind, group]) =>
      `${kind}: ${plural(group.length, 'run')}, ${group.filter((s) => s.passed).length} passed, ${group.filter((s) => !s.passed).length} failed.`,
  );
  const shown = failed.slice(0, MANY_SOURCES).map(sourceSentence);
  return [
    intro,
    ...counts,
    ...shown,
    ...(failed.length > shown.length ? [`And ${failed.length - shown.length} more failed: see Why it failed.`] : []),
  ];
}

function stepsTaken(sources: readonly DrillSource[]): string[] {
  if (sources.length === 0) return ['none'];
  if (sources.length <= MANY_SOURCES)
    return sources.map(
      (s) => `${text(s.label)}: ${s.steps.map((step) => text(step.name)).join(' → ') || 'no steps recorded'}`,
    );
  return byKind(sources).map(
    ([kind, group]) =>
      `${kind} (${plural(group.length, 'run')}): ${[...new Set(group.flatMap((s) => s.steps.map((step) => text(step.name))))].join(' → ')}`,
  );
}

export function stepDurations(sources: readonly DrillSource[]): string[] {
  if (sources.length === 0) return ['nothing was timed'];
  if (sources.length <= MANY_SOURCES) return sources.map((s) => `${text(s.label)}: ${stepTimes(s)}`);
  return byKind(sources).map(([kind, group]) => {
    const slowest = new Map<string, number>();
    for (const step of group.flatMap((s) => s.steps)) {
      if (step.durationSeconds !== undefined)
        slowest.set(step.name, Math.max(slowest.get(step.name) ?? 0, step.durationSeconds));
    }
    return `${kind}, the slowest of ${plural(group.length, 'run')} per step: ${[...slowest].map(([name, seconds]) => `${text(name)} ${formatDuration(seconds)}`).join(', ') || 'nothing timed'}`;
  });
}

function recoveryLine(report: DrillReport): string {
  const rto = report.objectives.filter((o) => o.name === 'RTO' && o.measuredSeconds !== null);
  if (rto.length === 0) return 'No outage: this was a drill, and no report measured a recovery time.';
  const parts = rto.map(
    (o) =>
      `${formatDuration(o.measuredSeconds ?? 0)} for ${o.scenario} (${o.measure}; RTO ${formatDuration(o.targetSeconds)})`,
  );
  return `No outage: this was a drill. The rehearsed recovery took ${parts.join('; ')}.`;
}

function stepTimes(source: DrillSource): string {
  const timed = source.steps.map((s) =>
    s.durationSeconds === undefined
      ? `${text(s.name)} ${s.status}`
      : `${text(s.name)} ${formatDuration(s.durationSeconds)}${s.status === 'passed' ? '' : ` (${s.status})`}`,
  );
  return timed.length ? timed.join(', ') : 'no steps recorded';
}

export function effectiveness(report: DrillReport): string {
  const failedSteps = report.details.sources.flatMap((s) =>
    s.steps.filter((step) => step.status === 'failed').map((step) => `${text(s.label)}: ${text(step.name)}`),
  );
  const missed = report.objectives
    .filter((o) => o.passed === false)
    .map((o) => `${o.name} for ${o.scenario} (${o.measure})`);
  if (report.passed) return 'Yes: every step that ran passed and every measured objective was met.';
  if (drillVerdict(report) === 'incomplete')
    return `Not shown: nothing failed, but the drill did not check what it was meant to (${text(report.reasons.join('; '))}).`;
  const parts = [];
  if (failedSteps.length) parts.push(`steps failed: ${failedSteps.join(', ')}`);
  if (missed.length) parts.push(`objectives missed: ${missed.join(', ')}`);
  if (parts.length === 0) parts.push(report.reasons.join('; '));
  return `No: ${parts.join('; ')}.`;
}

export function wentWell(report: DrillReport): string[] {
  const passedRows = report.checklist.filter((row) => row.status === 'passed').map((row) => row.item);
  const met = report.objectives
    .filter((o) => o.passed === true && o.measuredSeconds !== null)
    .map(
      (o) =>
        `${o.name} for ${o.scenario} (${o.measure}) met: ${formatDuration(o.measuredSeconds ?? 0)}, ${percentOf(o.measuredSeconds ?? 0, o.targetSeconds)} of ${formatDuration(o.targetSeconds)}`,
    );
  const items = [...(passedRows.length ? [`Checklist passed: ${passedRows.join('; ')}`] : []), ...met];
  return items.length ? items : [TEAM_FILLS_IN];
}

/** Met, but by so little that a slower day misses it. */
const CLOSE_TO_TARGET = 0.8;

export function toImprove(report: DrillReport, notCovered: readonly ChecklistKey[]): string[] {
  const items = [...report.reasons];
  for (const o of report.objectives.filter(
    (o) => o.passed === true && (o.measuredSeconds ?? 0) >= CLOSE_TO_TARGET * o.targetSeconds,
  )) {
    items.push(
      `${o.name} for ${o.scenario} (${o.measure}) was met with little margin: ${formatDuration(o.measuredSeconds ?? 0)} of ${formatDuration(o.targetSeconds)}`,
    );
  }
  if (notCovered.length)
    items.push(`Not checked by this drill: ${notCovered.map((key) => PLAN_CHECKLIST[key]).join('; ')}`);
  const slowest = report.details.sources
    .flatMap((s) => s.steps.filter((step) => step.durationSeconds !== undefined).map((step) => ({ source: s, step })))
    .sort((a, b) => (b.step.durationSeconds ?? 0) - (a.step.durationSeconds ?? 0))[0];
  if (slowest && slowest.source.durationSeconds > 0) {
    const share = Math.round(((slowest.step.durationSeconds ?? 0) / slowest.source.durationSeconds) * 100);
    items.push(
      `Slowest step: ${slowest.source.label} ${code(slowest.step.name)}, ${formatDuration(slowest.step.durationSeconds ?? 0)} (${share}% of that run)`,
    );
  }
  return items.length ? items : [TEAM_FILLS_IN];
}

export function bullets(items: readonly string[], indent = '   '): string {
  return items.map((item) => `${indent}- ${item}`).join('\n');
}

/** The action items the plan's post-mortem template lists after every incident and drill. */
export const PLAN_ACTION_ITEMS = [
  '- [ ] Update documentation',
  '- [ ] Implement preventive measures',
  '- [ ] Train team on new procedures',
  '- [ ] Schedule follow-up review',
];

/**
 * The plan's post-mortem template (Post-Incident Procedures), its five sections and questions
 * as the plan words them, answered where the reports know the answer; the rest is marked for
 * the team. `unchecked`: plan items no report checked, or every report skipped.
 */
export function postMortemMarkdown(report: DrillReport, unchecked: readonly ChecklistKey[]): string {
  const notCovered = (Object.keys(PLAN_CHECKLIST) as ChecklistKey[]).filter((key) => unchecked.includes(key));
  const sources = report.details.sources;
  const failures = report.reasons.length ? report.reasons : [];
  const actionItems = [
    ...failures.map((reason) => `- [ ] Fix: ${text(reason)}`),
    ...notCovered.map((key) => `- [ ] Cover in the next drill: ${PLAN_CHECKLIST[key]}`),
    ...PLAN_ACTION_ITEMS,
  ];
  return [
    '## Post-mortem',
    '',
    '1. **Incident Summary**',
    '   - What happened?',
    bullets(whatHappened(sources), '     '),
    `   - When did it happen? ${when(report)}`,
    `   - How long was the outage? ${recoveryLine(report)}`,
    '',
    '2. **Root Cause Analysis**',
    `   - Why did it happen? ${report.passed ? 'Nothing failed; the drill was scheduled.' : TEAM_FILLS_IN}`,
    `   - What was the root cause? ${TEAM_FILLS_IN}${failures.length ? ' Start from what failed:' : ''}`,
    ...(failures.length ? [bullets(failures, '     ')] : []),
    `   - What were contributing factors? ${TEAM_FILLS_IN}`,
    '',
    '3. **Recovery Actions**',
    '   - What steps were taken?',
    bullets(stepsTaken(sources), '     '),
    '   - How long did each step take?',
    bullets(stepDurations(sources), '     '),
    `   - Were procedures effective? ${effectiveness(report)}`,
    '',
    '4. **Lessons Learned**',
    '   - What went well?',
    bullets(wentWell(report), '     '),
    '   - What could be improved?',
    bullets(toImprove(report, notCovered), '     '),
    `   - What should we change? ${TEAM_FILLS_IN}`,
    '',
    '5. **Action Items**',
    actionItems.map((item) => `   ${item}`).join('\n'),
  ].join('\n');
}
