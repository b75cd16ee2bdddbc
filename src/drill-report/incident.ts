import { MARK, text } from '../report/markdown.js';
import type { ObjectiveResult } from '../report/report.js';
import { formatDuration, plural } from '../util/format.js';
import { percentOf } from './numbers.js';
import type { DrillReport, DrillSource } from './drill.js';
import {
  bullets,
  effectiveness,
  sourceSentence,
  stepDurations,
  TEAM_FILLS_IN,
  toImprove,
  when,
  wentWell,
  PLAN_ACTION_ITEMS,
} from './post-mortem.js';
import { objectivesSection, sourcesTable, stepsSection } from './render.js';

/** How an incident's record reads its verdict: whether the recovery worked, not whether a rehearsal did. */
export function incidentVerdict(report: DrillReport): string {
  return report.passed ? 'recovered' : 'recovery failed';
}

const utc = (time: string) => time.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

function objectiveLine(o: ObjectiveResult): string {
  if (o.measuredSeconds === null)
    return `${o.name} for ${o.scenario}: not measured (${o.measure}); target ${formatDuration(o.targetSeconds)}`;
  const verdict = o.passed ? `${MARK.passed} met` : `${MARK.failed} missed`;
  return `${o.name} for ${o.scenario}: ${formatDuration(o.measuredSeconds)} (${o.measure}), ${percentOf(o.measuredSeconds, o.targetSeconds)} of the target ${formatDuration(o.targetSeconds)}: ${verdict}`;
}

/** Every step of every report, in the order they started: the recovery as it happened. */
export function timeline(sources: readonly DrillSource[]): string[] {
  const steps = sources.flatMap((source) => source.steps.map((step) => ({ source, step })));
  const timed = steps
    .filter((s) => s.step.startedAt)
    .sort((a, b) => Date.parse(a.step.startedAt as string) - Date.parse(b.step.startedAt as string));
  const untimed = steps.filter((s) => !s.step.startedAt);
  const line = ({ source, step }: (typeof steps)[number]) => {
    const took = step.durationSeconds === undefined ? '' : `, ${formatDuration(step.durationSeconds)}`;
    const at = step.startedAt ? `${utc(step.startedAt)}: ` : '';
    return `${at}${text(source.label)}: ${text(step.name)} (${step.status}${took})${step.detail ? `: ${text(step.detail)}` : ''}`;
  };
  return [...timed.map(line), ...untimed.map(line)];
}

function outageLines(report: DrillReport): string[] {
  const rto = report.objectives.filter((o) => o.name === 'RTO');
  const measured = rto.filter((o) => o.measuredSeconds !== null);
  const fromOutage = measured.some((o) => /outage-started-at/.test(o.measure));
  const lines = measured.map((o) => `${formatDuration(o.measuredSeconds ?? 0)} for ${o.scenario} (${o.measure})`);
  if (lines.length === 0) lines.push(`Not measured: no report measured a recovery time. ${TEAM_FILLS_IN}`);
  if (!fromOutage)
    lines.push(
      `Add the time from the first alert to the start of the recovery (${utc(report.startedAt)}): ${TEAM_FILLS_IN}`,
    );
  return lines;
}

/**
 * The plan's post-mortem template (Post-Incident Procedures) for a real recovery: what ran and
 * when, the outage as measured, each step with its time, the objectives met or missed, answered
 * from the reports; why it happened is for the team.
 */
export function incidentPostMortemMarkdown(report: DrillReport): string {
  const sources = report.details.sources;
  const actionItems = [...report.reasons.map((reason) => `- [ ] Fix: ${text(reason)}`), ...PLAN_ACTION_ITEMS];
  return [
    '## Post-mortem',
    '',
    '1. **Incident Summary**',
    `   - What happened? ${TEAM_FILLS_IN} The recovery that ran:`,
    bullets(sources.length ? sources.map(sourceSentence) : ['no report was gathered'], '     '),
    `   - When did it happen? The recovery ran ${when(report)}; the outage began: ${TEAM_FILLS_IN}`,
    '   - How long was the outage?',
    bullets(outageLines(report), '     '),
    '',
    '2. **Root Cause Analysis**',
    `   - Why did it happen? ${TEAM_FILLS_IN}`,
    `   - What was the root cause? ${TEAM_FILLS_IN}`,
    `   - What were contributing factors? ${TEAM_FILLS_IN}`,
    '',
    '3. **Recovery Actions**',
    '   - What steps were taken?',
    bullets(timeline(sources).length ? timeline(sources) : ['none recorded'], '     '),
    '   - How long did each step take?',
    bullets(stepDurations(sources), '     '),
    `   - Were procedures effective? ${effectiveness(report)}`,
    '   - Objectives:',
    bullets(
      report.objectives.length ? report.objectives.map(objectiveLine) : ['no report measured an objective'],
      '     ',
    ),
    '',
    '4. **Lessons Learned**',
    '   - What went well?',
    bullets(wentWell(report), '     '),
    '   - What could be improved?',
    bullets(toImprove(report, []), '     '),
    `   - What should we change? ${TEAM_FILLS_IN}`,
    '',
    '5. **Action Items**',
    actionItems.map((item) => `   ${item}`).join('\n'),
  ].join('\n');
}

function incidentHeadline(report: DrillReport): string {
  const sources = report.details.sources;
  const missed = report.objectives.filter((o) => o.passed === false).map((o) => `${o.name} for ${o.scenario}`);
  const met = report.objectives.filter((o) => o.passed === true).map((o) => `${o.name} for ${o.scenario}`);
  const lines = [
    `**${report.passed ? 'Recovered' : 'Recovery failed'}.** ${plural(sources.length, 'report')}: ${sources.map((s) => `${s.passed ? MARK.passed : MARK.failed} ${text(s.label)}`).join(', ') || 'none'}. ` +
      `Objectives met: ${met.join(', ') || 'none'}; missed: ${missed.join(', ') || 'none'}.`,
  ];
  if (report.reasons.length)
    lines.push('', '**What failed**', '', ...report.reasons.map((reason) => `- ${text(reason)}`));
  return lines.join('\n');
}

/**
 * The record of a real recovery: the verdict, the reports, the timeline, the objectives, the
 * steps, and the pre-filled post-mortem the team completes in the pull request. No trend: an
 * incident is not a rehearsal, and is kept out of the drills' history.
 */
export function renderIncidentMarkdown(report: DrillReport): string {
  const footer = `<sub>Made by ${report.tool.name} ${report.tool.version} drill-report (kind: incident)${report.run.url ? ` in [this run](${report.run.url})` : ''}. The JSON record beside this file holds every figure above.</sub>`;
  return `${[
    `# ${report.passed ? MARK.passed : MARK.failed} ${text(report.details.title)}, ${report.startedAt.slice(0, 10)}: ${incidentVerdict(report)}`,
    incidentHeadline(report),
    sourcesTable(report.details.sources),
    [
      '## Timeline',
      '',
      timeline(report.details.sources).length ? bullets(timeline(report.details.sources), '') : 'No step was recorded.',
    ].join('\n'),
    objectivesSection(report.details.sources),
    stepsSection(report.details.sources),
    incidentPostMortemMarkdown(report),
    footer,
  ].join('\n\n')}\n`;
}
