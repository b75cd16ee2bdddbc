import type { DrillVerdict } from './coverage.js';
import { drillVerdict, type DrillReport } from './drill.js';

/** How many drills the trend shows, this one included: three years of quarterly drills. */
export const TREND_LENGTH = 12;

export interface Recovery {
  measuredSeconds: number;
  targetSeconds: number;
}

export interface TrendPoint {
  /** Unique x-axis label: the drill's UTC date, numbered when a date repeats. */
  label: string;
  verdict: DrillVerdict;
  current: boolean;
  /** Measured recovery time (RTO objectives) per scenario. */
  recovery: Map<string, Recovery>;
}

export interface RecoveryChart {
  scenario: string;
  unit: { name: string; seconds: number };
  labels: string[];
  measured: number[];
  target: number[];
  mermaid: string;
}

/** The rows of the plan's RTO table, in its order: a drill's recovery times are shown in this order, others after them. */
export const PLAN_SCENARIOS = [
  'database failure',
  'application crash',
  'infrastructure failure',
  'regional outage',
] as const;

const planRank = (scenario: string) => {
  const rank = (PLAN_SCENARIOS as readonly string[]).indexOf(scenario);
  return rank === -1 ? PLAN_SCENARIOS.length : rank;
};

/**
 * The slowest measured recovery per RTO scenario of one drill, against the tightest target, with how
 * many gathered reports measured it; the plan's scenarios first, in the order of its RTO table.
 */
export function recoveryByScenario(report: DrillReport): Map<string, Recovery & { measurements: number }> {
  const byScenario = new Map<string, Recovery & { measurements: number }>();
  // The record's own objectives are merged per measure, so the gathered reports are what is counted.
  const gathered = report.details.sources?.length
    ? report.details.sources.flatMap((source) => source.objectives)
    : report.objectives;
  const measured = gathered.filter((o) => o.name === 'RTO' && o.measuredSeconds !== null);
  for (const o of [...measured].sort((a, b) => planRank(a.scenario) - planRank(b.scenario))) {
    const seen = byScenario.get(o.scenario);
    byScenario.set(o.scenario, {
      measuredSeconds: Math.max(seen?.measuredSeconds ?? 0, o.measuredSeconds ?? 0),
      targetSeconds: Math.min(seen?.targetSeconds ?? Infinity, o.targetSeconds),
      measurements: (seen?.measurements ?? 0) + 1,
    });
  }
  return byScenario;
}

/** The last TREND_LENGTH drills, oldest first, the current one last. */
export function trendPoints(past: readonly DrillReport[], current: DrillReport): TrendPoint[] {
  const drills = [
    ...past.slice(-(TREND_LENGTH - 1)).map((report) => ({ report, current: false })),
    { report: current, current: true },
  ];
  const seen = new Map<string, number>();
  return drills.map(({ report, current: isCurrent }) => {
    const date = report.startedAt.slice(0, 10);
    const count = (seen.get(date) ?? 0) + 1;
    seen.set(date, count);
    return {
      label: count === 1 ? date : `${date} #${count}`,
      verdict: drillVerdict(report),
      current: isCurrent,
      recovery: recoveryByScenario(report),
    };
  });
}

/** Scenarios with a measured recovery in any drill of the trend, in the order first seen. */
export function trendScenarios(points: readonly TrendPoint[]): string[] {
  return [...new Set(points.flatMap((p) => [...p.recovery.keys()]))];
}

export function chartUnit(maxSeconds: number): RecoveryChart['unit'] {
  if (maxSeconds <= 120) return { name: 's', seconds: 1 };
  if (maxSeconds <= 36_000) return { name: 'min', seconds: 60 };
  return { name: 'h', seconds: 3600 };
}

/** Mermaid's number token is [+-]?(\d+(\.\d+)?|\.\d+): no exponent, no trailing dot. */
export function mermaidNumber(value: number): string {
  return String(Number(value.toFixed(2)));
}

/** Mermaid strings end at the next double quote and take no escapes. */
function mermaidString(text: string): string {
  return `"${text.replace(/"/g, "'").replace(/[\r\n]+/g, ' ')}"`;
}

function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((s) => s * magnitude >= value) ?? 10;
  return step * magnitude;
}

/**
 * A Mermaid xychart-beta of one scenario's recovery time per drill (bars) with its RTO
 * (a line), which GitHub renders in markdown. Drills that did not measure the scenario are
 * left out rather than drawn as zero.
 */
export function recoveryChart(scenario: string, points: readonly TrendPoint[]): RecoveryChart {
  const measuredPoints = points.filter((p) => p.recovery.has(scenario));
  const recoveries = measuredPoints.map((p) => p.recovery.get(scenario) as Recovery);
  const unit = chartUnit(Math.max(...recoveries.flatMap((r) => [r.measuredSeconds, r.targetSeconds])));
  const measured = recoveries.map((r) => Number((r.measuredSeconds / unit.seconds).toFixed(2)));
  const target = recoveries.map((r) => Number((r.targetSeconds / unit.seconds).toFixed(2)));
  const labels = measuredPoints.map((p) => p.label);
  const top = niceCeiling(Math.max(...measured, ...target) * 1.1);
  const mermaid = [
    'xychart-beta',
    `  title ${mermaidString(`Recovery time per drill: ${scenario}`)}`,
    `  x-axis [${labels.map(mermaidString).join(', ')}]`,
    `  y-axis ${mermaidString(`Recovery time (${unit.name})`)} 0 --> ${mermaidNumber(top)}`,
    `  bar [${measured.map(mermaidNumber).join(', ')}]`,
    `  line [${target.map(mermaidNumber).join(', ')}]`,
  ].join('\n');
  return { scenario, unit, labels, measured, target, mermaid };
}
