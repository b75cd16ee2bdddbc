import type { RunContext } from '../github/run-context.js';
import { PLAN_CHECKLIST, type ChecklistItem, type ChecklistKey } from '../report/checklist.js';
import { code, text as literal } from '../report/markdown.js';
import { newReport, type ObjectiveResult, type Report, type ReportStep } from '../report/report.js';
import type { StepStatus } from '../report/step-status.js';
import { formatDuration } from '../util/format.js';
import { drillCoverage, type DrillVerdict } from './coverage.js';

export const DRILL_KIND = 'drill-report';

/** One report of the drill, as read from its file. */
export interface SourceReport {
  /** Short and unique within the drill: the kind, plus what tells reports of the same kind apart. */
  label: string;
  /** As found, relative to the workspace when inside it. */
  file: string;
  report: Report;
}

/** One report the drill gathered, kept whole except its kind-specific details. */
export interface DrillSource {
  label: string;
  file: string;
  kind: string;
  passed: boolean;
  reasons: string[];
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  run: RunContext;
  steps: ReportStep[];
  objectives: ObjectiveResult[];
  checklist: ChecklistItem[];
  /**
   * What the source's details say in a line, when they say something this report knows how to read:
   * markdown, with every name in it shown literally (code or escaped).
   */
  summary?: string;
}

export interface DrillDetails {
  title: string;
  /** The record of a real recovery (drill-report's kind: incident), not of a drill; absent for drills. */
  incident?: true;
  sources: DrillSource[];
  /** Absent in records written before drills could be incomplete: read it with drillVerdict. */
  verdict?: DrillVerdict;
  /** The checklist items the gathered reports' kinds are meant to check (see MEANT_TO_CHECK). */
  meantToCheck?: ChecklistKey[];
  /** Of those, the ones no report passed or failed: any makes a drill without failures incomplete. */
  unchecked?: ChecklistKey[];
}

/** The drill's verdict; a record from before `verdict` existed was passed or failed. */
export function drillVerdict(report: DrillReport): DrillVerdict {
  return report.details.verdict ?? (report.passed ? 'passed' : 'failed');
}

/**
 * The drill's own record, in the shared Report contract: its steps are the runs it gathered,
 * its objectives the worst measurement per objective, its checklist the plan's rows merged.
 * Written next to the markdown in history-dir, it is what later drills read for the trend.
 */
export type DrillReport = Report<typeof DRILL_KIND, DrillDetails>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * A line from kind-specific details, read defensively: only fields whose meaning is plain
 * (which backup was restored, which failover mode ran), and nothing when they are absent.
 */
export function summarizeDetails(kind: string, details: unknown): string | undefined {
  if (kind === 'restore-verify') {
    const key = text(field(details, 'backupKey')) ?? text(field(details, 'backup', 'key'));
    const database = text(field(details, 'backup', 'manifest', 'database'));
    return key ? `backup ${code(key)}${database ? ` of ${literal(database)}` : ''}` : undefined;
  }
  if (kind === 'dr-audit') {
    const counts = field(details, 'counts');
    const checks = field(details, 'checks');
    if (!Array.isArray(checks) || typeof counts !== 'object' || counts === null) return undefined;
    const failed = checks
      .filter((c) => field(c, 'status') === 'failed')
      .map((c) => literal(text(field(c, 'id'))))
      .filter(Boolean);
    const n = (key: string) => Number(field(counts, key) ?? 0);
    return `${n('passed')} prerequisites in place, ${n('failed')} not${failed.length ? ` (${failed.join(', ')})` : ''}, ${n('skipped')} skipped`;
  }
  if (kind === 'rds-restore-test') {
    const label = text(field(details, 'recoveryPoint', 'label'));
    const mechanism = text(field(details, 'recoveryPoint', 'mechanism'));
    const where = text(field(details, 'region'));
    if (!label) return undefined;
    return `RDS ${mechanism === 'snapshot' ? 'snapshot' : 'point-in-time'} restore of ${literal(text(field(details, 'instanceId')) ?? 'the instance')}${where ? ` in ${literal(where)}` : ''}: ${literal(label)}`;
  }
  if (kind === 'recover-application') {
    const mode = text(field(details, 'mode'));
    const application = literal(text(field(details, 'application')) ?? 'the application');
    if (mode === 'plan') return `plan mode for ${application}: showed the commands, ran none`;
    if (mode !== 'execute') return undefined;
    const drill = field(details, 'drill') === true ? ', crashed first (drill)' : '';
    const recovered = literal(text(field(details, 'rto', 'recoveredAt')));
    return `${application} restarted${drill}: ${recovered ? `healthy at ${recovered}` : 'did not answer its health check'}`;
  }
  if (kind === 'failover') {
    const mode = text(field(details, 'mode'));
    const replica = text(field(details, 'replica', 'id'));
    if (mode === 'plan') return 'plan mode: showed the changes, made none';
    if (mode === 'execute') {
      const promoted = field(details, 'promoted');
      if (typeof promoted !== 'boolean') return 'execute mode';
      return `execute mode: ${literal(replica ?? 'the replica')} ${promoted ? 'promoted' : 'not promoted'}`;
    }
  }
  return undefined;
}

/** Beyond this many reports (a matrix over many databases), lists of every report give way to counts and the failures. */
export const MANY_SOURCES = 6;

type Found = { source: DrillSource; row: ChecklistItem };

function evidence(found: readonly Found[]): string | undefined {
  if (found.length === 1) return found[0]?.row.detail;
  const each = (f: Found) => `${f.source.label}: ${f.row.status}${f.row.detail ? ` (${f.row.detail})` : ''}`;
  if (found.length <= MANY_SOURCES) return found.map(each).join('; ');
  const counts = (['passed', 'failed', 'skipped'] as const)
    .map((status) => [status, found.filter((f) => f.row.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const failed = found.filter((f) => f.row.status === 'failed');
  const shown = failed.slice(0, MANY_SOURCES).map(each);
  const more = failed.length > shown.length ? `; and ${failed.length - shown.length} more failed` : '';
  return `${found.length} reports: ${counts}${shown.length ? `; ${shown.join('; ')}${more}` : ''}`;
}

/** Per plan item: failed if any report failed it, passed if any passed it, skipped if every report skipped it. */
export function mergeChecklist(sources: readonly DrillSource[]): ChecklistItem[] {
  const rows: ChecklistItem[] = [];
  for (const key of Object.keys(PLAN_CHECKLIST) as ChecklistKey[]) {
    const found = sources.flatMap((s) =>
      s.checklist.filter((row) => row.key === key).map((row) => ({ source: s, row })),
    );
    if (found.length === 0) continue;
    const statuses = found.map((f) => f.row.status);
    const status: StepStatus = statuses.includes('failed')
      ? 'failed'
      : statuses.includes('passed')
        ? 'passed'
        : 'skipped';
    const detail = evidence(found);
    rows.push({ key, item: PLAN_CHECKLIST[key], status, ...(detail ? { detail } : {}) });
  }
  return rows;
}

/** Per objective, scenario and measure: the slowest measurement against the tightest target. */
export function mergeObjectives(sources: readonly DrillSource[]): ObjectiveResult[] {
  const groups = new Map<string, ObjectiveResult[]>();
  for (const objective of sources.flatMap((s) => s.objectives)) {
    const key = `${objective.name}\u0000${objective.scenario}\u0000${objective.measure}`;
    groups.set(key, [...(groups.get(key) ?? []), objective]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0] as ObjectiveResult;
    const measured = group.map((o) => o.measuredSeconds).filter((m): m is number => m !== null);
    const targetSeconds = Math.min(...group.map((o) => o.targetSeconds));
    const measuredSeconds = measured.length ? Math.max(...measured) : null;
    return {
      ...first,
      targetSeconds,
      measuredSeconds,
      passed: measuredSeconds === null ? null : measuredSeconds <= targetSeconds,
    };
  });
}

function describeObjective(o: ObjectiveResult): string {
  return `${o.name} (${o.scenario}, ${o.measure}) measured ${formatDuration(o.measuredSeconds ?? 0)}, over the target of ${formatDuration(o.targetSeconds)}`;
}

/** Every reason the drill failed, each naming the report it comes from. */
function drillReasons(
  sources: readonly DrillSource[],
  objectives: readonly ObjectiveResult[],
  checklist: readonly ChecklistItem[],
): string[] {
  const reasons: string[] = [];
  if (sources.length === 0) reasons.push('no reports were gathered, so nothing was checked');
  for (const source of sources) {
    if (!source.passed) {
      if (source.reasons.length) reasons.push(...source.reasons.map((reason) => `${source.label}: ${reason}`));
      else reasons.push(`${source.label}: failed (its report gives no reason)`);
    }
    // A report that says it passed while one of its own objectives failed is not trusted on its word.
    if (source.passed) {
      for (const o of source.objectives.filter((o) => o.passed === false))
        reasons.push(`${source.label}: ${describeObjective(o)}`);
      for (const row of source.checklist.filter((row) => row.status === 'failed'))
        reasons.push(`${source.label}: checklist item failed: ${row.item}`);
    }
  }
  if (reasons.length === 0) {
    for (const o of objectives.filter((o) => o.passed === false)) reasons.push(describeObjective(o));
    for (const row of checklist.filter((row) => row.status === 'failed'))
      reasons.push(`checklist item failed: ${row.item}`);
  }
  return [...new Set(reasons)];
}

function sourceStep(source: DrillSource): ReportStep {
  return {
    name: source.label,
    status: source.passed ? 'passed' : 'failed',
    startedAt: source.startedAt,
    finishedAt: source.finishedAt,
    durationSeconds: source.durationSeconds,
    ...(source.summary ? { detail: source.summary } : {}),
  };
}

export interface BuildDrillOptions {
  title: string;
  reports: readonly SourceReport[];
  /** The run that gathers the reports (drill-report's own). */
  run: RunContext;
  /** When there are no reports to take the drill's times from. */
  now?: Date;
  /** A real recovery's record: nothing was meant to be rehearsed, so there is no "incomplete". */
  incident?: boolean;
}

/** Gathers the reports of one drill into its record. Pure: same reports in, same record out. */
export function buildDrillReport(options: BuildDrillOptions): DrillReport {
  const sources: DrillSource[] = [...options.reports]
    .sort((a, b) => a.report.startedAt.localeCompare(b.report.startedAt) || a.label.localeCompare(b.label))
    .map(({ label, file, report }) => {
      const summary = summarizeDetails(report.kind, report.details);
      return {
        label,
        file,
        kind: report.kind,
        passed: report.passed,
        reasons: report.reasons,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        durationSeconds: report.durationSeconds,
        run: report.run,
        steps: report.steps,
        objectives: report.objectives,
        checklist: report.checklist,
        ...(summary ? { summary } : {}),
      };
    });
  const objectives = mergeObjectives(sources);
  const checklist = mergeChecklist(sources);
  const failures = drillReasons(sources, objectives, checklist);
  const coverage = options.incident
    ? { meantToCheck: [], unchecked: [], reasons: [] }
    : drillCoverage(sources, checklist);
  const verdict: DrillVerdict = failures.length ? 'failed' : coverage.reasons.length ? 'incomplete' : 'passed';
  // Failures first: an incomplete drill that also failed is reported as failed, with why.
  const reasons = failures.length ? failures : coverage.reasons;
  const fallback = (options.now ?? new Date()).toISOString();
  const times = sources.flatMap((s) => [s.startedAt, s.finishedAt]).sort((a, b) => Date.parse(a) - Date.parse(b));
  return newReport({
    kind: DRILL_KIND,
    run: options.run,
    startedAt: times[0] ?? fallback,
    finishedAt: times[times.length - 1] ?? fallback,
    passed: verdict === 'passed',
    reasons,
    steps: sources.map(sourceStep),
    objectives,
    checklist,
    details: {
      title: options.title,
      ...(options.incident ? { incident: true as const } : {}),
      sources,
      verdict,
      meantToCheck: coverage.meantToCheck,
      unchecked: coverage.unchecked,
    },
  });
}
