import { PLAN_CHECKLIST, type ChecklistKey } from '../report/checklist.js';
import { code, details, foldIfLong, MARK, table, text } from '../report/markdown.js';
import type { ObjectiveResult } from '../report/report.js';
import { formatDuration, plural } from '../util/format.js';
import { percentOf } from './numbers.js';
import { VERDICT_MARK, type DrillVerdict } from './coverage.js';
import { drillVerdict, MANY_SOURCES, type DrillReport, type DrillSource } from './drill.js';
import { postMortemMarkdown } from './post-mortem.js';
import { recoveryByScenario, recoveryChart, trendPoints, trendScenarios, type TrendPoint } from './trend.js';

/** A plan item no report of this drill speaks to. */
export const NOT_COVERED = '⬜';

function verdict(report: DrillReport): string {
  const result = drillVerdict(report);
  return `# ${VERDICT_MARK[result]} ${text(report.details.title)}, ${report.startedAt.slice(0, 10)}: ${result}`;
}

const HEADLINE: Record<DrillVerdict, string> = { passed: 'Passed', failed: 'Failed', incomplete: 'Incomplete' };
const WHY: Record<DrillVerdict, string> = {
  passed: '',
  failed: 'Why it failed',
  incomplete: 'Why it is incomplete: what it was meant to check and did not',
};

export function headline(report: DrillReport, notCovered: readonly ChecklistKey[]): string {
  const sources = report.details.sources;
  const result = drillVerdict(report);
  const rowsWith = (status: string) => report.checklist.filter((row) => row.status === status).length;
  const checklist = [
    `${rowsWith('passed')} passed`,
    `${rowsWith('failed')} failed`,
    `${rowsWith('skipped')} skipped`,
    `${notCovered.length} not checked`,
  ];
  // Each scenario once, as the plan's RTO table has it; every measurement is in the objectives below.
  const recovery = [...recoveryByScenario(report)].map(
    ([scenario, r]) =>
      `${scenario} ${formatDuration(r.measuredSeconds)} (RTO ${formatDuration(r.targetSeconds)}${r.measurements > 1 ? `, slowest of ${r.measurements}` : ''})`,
  );
  const failed = sources.filter((s) => !s.passed);
  const listed =
    sources.length > MANY_SOURCES
      ? `${sources.length - failed.length} passed, ${failed.length} failed${
          failed.length
            ? ` (${failed
                .slice(0, MANY_SOURCES)
                .map((s) => `${MARK.failed} ${text(s.label)}`)
                .join(', ')}${failed.length > MANY_SOURCES ? ', …' : ''})`
            : ''
        }`
      : sources.map((s) => `${s.passed ? MARK.passed : MARK.failed} ${text(s.label)}`).join(', ') || 'none';
  const lines = [
    `**${HEADLINE[result]}.** ${plural(sources.length, 'report')}: ${listed}. ` +
      `Test Checklist: ${checklist.join(', ')}.${recovery.length ? ` Recovery time: ${recovery.join('; ')}.` : ''}`,
  ];
  if (result !== 'passed')
    lines.push('', `**${WHY[result]}**`, '', ...report.reasons.map((reason) => `- ${text(reason)}`));
  return lines.join('\n');
}

export function sourcesTable(sources: readonly DrillSource[]): string {
  const rows = sources.map((s) => [
    `${s.passed ? MARK.passed : MARK.failed} ${text(s.label)}`,
    s.startedAt,
    formatDuration(s.durationSeconds),
    s.run.url ? `[${text(s.run.workflow ?? 'run')}${s.run.job ? ` / ${text(s.run.job)}` : ''}](${s.run.url})` : '-',
    code(s.file),
  ]);
  return [
    '## Reports',
    '',
    foldIfLong(`${rows.length} reports`, table(['report', 'started (UTC)', 'took', 'run', 'file'], rows), rows.length),
  ].join('\n');
}

function checklistSection(report: DrillReport, notCovered: readonly ChecklistKey[]): string {
  const meant = report.details.meantToCheck ?? [];
  const unchecked = new Set(report.details.unchecked ?? []);
  const rows = (Object.keys(PLAN_CHECKLIST) as ChecklistKey[]).map((key) => {
    const row = report.checklist.find((r) => r.key === key);
    if (unchecked.has(key))
      return [
        VERDICT_MARK.incomplete,
        PLAN_CHECKLIST[key],
        'not checked, though meant to be',
        row?.detail ? `skipped: ${text(row.detail)}` : 'no report of this drill checked it',
      ];
    if (!row) return [NOT_COVERED, PLAN_CHECKLIST[key], 'not checked', 'no report of this drill checks it'];
    return [MARK[row.status], text(row.item), row.status, text(row.detail)];
  });
  const intro = meant.length
    ? `Meant to be checked by the kinds of reports gathered: ${meant.map((key) => PLAN_CHECKLIST[key]).join('; ')}.` +
      (unchecked.size
        ? ` ${VERDICT_MARK.incomplete} ${unchecked.size} of them ${unchecked.size === 1 ? 'was' : 'were'} not checked, so the drill is incomplete.`
        : ' All were checked.')
    : `${VERDICT_MARK.incomplete} No report of this drill is of a kind meant to check an item of the plan's Test Checklist.`;
  const note = notCovered.some((key) => !unchecked.has(key))
    ? `\n\n${NOT_COVERED} items are left for a person to check, or for a \`checks\`/\`smoke-command\` of restore-verify to cover next time.`
    : '';
  return ['## Test Checklist', '', intro, '', table(['', 'item', 'result', 'evidence'], rows) + note].join('\n');
}

function measured(o: ObjectiveResult): string {
  return o.measuredSeconds === null ? 'not measured' : formatDuration(o.measuredSeconds);
}

export function objectivesSection(sources: readonly DrillSource[]): string {
  const rows = sources.flatMap((s) =>
    s.objectives.map((o) => [
      o.passed === null ? MARK.skipped : o.passed ? MARK.passed : MARK.failed,
      o.name,
      o.scenario,
      o.measure,
      formatDuration(o.targetSeconds),
      measured(o),
      o.measuredSeconds === null ? '-' : percentOf(o.measuredSeconds, o.targetSeconds),
      text(s.label),
    ]),
  );
  const body = rows.length
    ? foldIfLong(
        `${rows.length} measurements`,
        table(['', 'objective', 'scenario', 'measured as', 'target', 'measured', 'of target', 'report'], rows),
        rows.length,
      )
    : 'No report measured an objective.';
  return ['## Objectives against measured values', '', body].join('\n');
}

function stepsTable(source: DrillSource): string {
  const rows = source.steps.map((step) => [
    MARK[step.status],
    text(step.name),
    step.durationSeconds === undefined ? '-' : formatDuration(step.durationSeconds),
    step.durationSeconds === undefined || source.durationSeconds <= 0
      ? '-'
      : `${Math.round((step.durationSeconds / source.durationSeconds) * 100)}%`,
    text(step.detail),
  ]);
  rows.push(['', '**total**', formatDuration(source.durationSeconds), '100%', '']);
  return foldIfLong(`${source.steps.length} steps`, table(['', 'step', 'took', 'share', 'detail'], rows), rows.length);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Many runs of one kind: per step, how many ran, the median and the slowest, and which run that was. */
function stepSpread(kind: string, sources: readonly DrillSource[]): string {
  const names = [...new Set(sources.flatMap((s) => s.steps.map((step) => step.name)))];
  const rows = names.map((name) => {
    const timed = sources.flatMap((s) =>
      s.steps
        .filter((step) => step.name === name && step.durationSeconds !== undefined)
        .map((step) => ({ s, seconds: step.durationSeconds as number })),
    );
    const failed = sources.filter((s) => s.steps.some((step) => step.name === name && step.status === 'failed')).length;
    const slowest = timed.reduce<(typeof timed)[number] | undefined>(
      (max, t) => (!max || t.seconds > max.seconds ? t : max),
      undefined,
    );
    return [
      text(name),
      String(timed.length),
      String(failed),
      timed.length ? formatDuration(median(timed.map((t) => t.seconds))) : '-',
      slowest ? `${formatDuration(slowest.seconds)} (${text(slowest.s.label)})` : '-',
    ];
  });
  return [
    `### ${kind}: ${plural(sources.length, 'run')}`,
    '',
    table(['step', 'ran', 'failed', 'median', 'slowest'], rows),
  ].join('\n');
}

export function stepsSection(sources: readonly DrillSource[]): string {
  if (sources.length === 0) return ['## Step timings', '', 'No steps were recorded.'].join('\n');
  if (sources.length <= MANY_SOURCES) {
    const parts = sources.map((s) =>
      [`### ${text(s.label)}${s.summary ? `: ${s.summary}` : ''}`, '', stepsTable(s)].join('\n'),
    );
    return ['## Step timings', '', parts.join('\n\n')].join('\n');
  }
  // Many reports: the spread per kind, then every run folded, its summary line saying how it went.
  const kinds = [...new Set(sources.map((s) => s.kind))].map((kind) =>
    stepSpread(
      kind,
      sources.filter((s) => s.kind === kind),
    ),
  );
  const runs = sources.map((s) =>
    details(
      `${s.passed ? MARK.passed : MARK.failed} ${text(s.label)}: ${s.passed ? 'passed' : 'failed'} in ${formatDuration(s.durationSeconds)}`,
      table(
        ['', 'step', 'took', 'detail'],
        s.steps.map((step) => [
          MARK[step.status],
          text(step.name),
          step.durationSeconds === undefined ? '-' : formatDuration(step.durationSeconds),
          text(step.detail),
        ]),
      ),
    ),
  );
  return ['## Step timings', '', kinds.join('\n\n'), '', '### Every run', '', runs.join('\n\n')].join('\n');
}

function trendTable(points: readonly TrendPoint[], scenarios: readonly string[]): string {
  const rows = points.map((p) => [
    `${text(p.label)}${p.current ? ' (this drill)' : ''}`,
    `${VERDICT_MARK[p.verdict]} ${p.verdict}`,
    ...scenarios.map((scenario) => {
      const r = p.recovery.get(scenario);
      return r ? `${formatDuration(r.measuredSeconds)} / ${formatDuration(r.targetSeconds)}` : '-';
    }),
  ]);
  return table(['drill', 'result', ...scenarios.map((s) => `${s}: recovery / RTO`)], rows);
}

function trendSection(report: DrillReport, past: readonly DrillReport[], historyDir: string): string {
  const points = trendPoints(past, report);
  const scenarios = trendScenarios(points);
  const intro =
    past.length === 0
      ? `The first drill recorded in ${code(historyDir)}: the trend starts here.`
      : `This drill and the ${points.length - 1} before it recorded in ${code(historyDir)}. Bars: measured recovery time; line: the RTO.`;
  const charts = scenarios.map((scenario) => ['```mermaid', recoveryChart(scenario, points).mermaid, '```'].join('\n'));
  return [
    '## Trend',
    '',
    intro,
    ...(charts.length ? ['', charts.join('\n\n')] : ['', 'No drill measured a recovery time yet.']),
    '',
    trendTable(points, scenarios),
  ].join('\n');
}

export interface RenderOptions {
  /** Earlier drills, oldest first. */
  past: readonly DrillReport[];
  historyDir: string;
}

/** Plan items that no report of the drill checked. */
export function notCoveredItems(report: DrillReport): ChecklistKey[] {
  return (Object.keys(PLAN_CHECKLIST) as ChecklistKey[]).filter(
    (key) => !report.checklist.some((row) => row.key === key),
  );
}

/**
 * The drill report in markdown, verdict first. Pure: the record and the earlier drills in,
 * the same markdown out, so the local drill and tests render exactly what the action commits.
 */
export function renderDrillMarkdown(report: DrillReport, options: RenderOptions): string {
  const notCovered = notCoveredItems(report);
  const footer = `<sub>Made by ${report.tool.name} ${report.tool.version} drill-report${report.run.url ? ` in [this run](${report.run.url})` : ''}. The JSON record beside this file holds every figure above.</sub>`;
  return `${[
    verdict(report),
    headline(report, notCovered),
    sourcesTable(report.details.sources),
    checklistSection(report, notCovered),
    objectivesSection(report.details.sources),
    stepsSection(report.details.sources),
    trendSection(report, options.past, options.historyDir),
    postMortemMarkdown(report, [
      ...notCovered,
      ...report.checklist.filter((row) => row.status === 'skipped').map((row) => row.key),
    ]),
    footer,
  ].join('\n\n')}\n`;
}
