import { describe, expect, test } from '@jest/globals';
import { buildDrillReport, type DrillReport } from '../../src/drill-report/drill.js';
import { chartUnit, mermaidNumber, recoveryChart, trendPoints, TREND_LENGTH } from '../../src/drill-report/trend.js';
import { objective } from '../../src/report/report.js';

/** A drill record whose only objectives are the given RTO measurements. */
function drill(date: string, rto: Record<string, [number | null, number]>, passed = true): DrillReport {
  const report = buildDrillReport({ title: 't', reports: [], run: {}, now: new Date(`${date}T03:00:00Z`) });
  return {
    ...report,
    passed,
    objectives: Object.entries(rto).map(([scenario, [measured, target]]) =>
      objective('RTO', scenario, 'restore', target, measured),
    ),
  };
}

// Mermaid's xychart lexer (packages/mermaid/src/diagrams/xychart/parser/xychart.jison): a number is
// [+-]?(\d+(\.\d+)?|\.\d+), a quoted string runs to the next double quote, with no escapes.
const NUMBER = String.raw`[+-]?(?:\d+(?:\.\d+)?|\.\d+)`;
const STRING = String.raw`"[^"]*"`;
const LIST = (item: string) => String.raw`\[${item}(?:, ${item})*\]`;
const GRAMMAR = [
  /^xychart-beta$/,
  new RegExp(`^  title ${STRING}$`),
  new RegExp(`^  x-axis ${LIST(STRING)}$`),
  new RegExp(`^  y-axis ${STRING} ${NUMBER} --> ${NUMBER}$`),
  new RegExp(`^  bar ${LIST(NUMBER)}$`),
  new RegExp(`^  line ${LIST(NUMBER)}$`),
];

function expectValidChart(mermaid: string): void {
  const lines = mermaid.split('\n');
  expect(lines).toHaveLength(GRAMMAR.length);
  lines.forEach((line, i) => expect(line).toMatch(GRAMMAR[i] as RegExp));
  const count = (line: string) => line.split(',').length;
  expect(count(lines[4] as string)).toBe(count(lines[2] as string));
  expect(count(lines[5] as string)).toBe(count(lines[2] as string));
}

describe('recovery charts', () => {
  test('bars are the measured recovery per drill, the line is the RTO, in a unit that fits, inside the y range', () => {
    const past = [
      drill('2025-04-01', { 'database failure': [340, 3600] }),
      drill('2025-07-01', { 'database failure': [4100, 3600] }, false),
    ];
    const current = drill('2025-10-01', { 'database failure': [252.5, 3600] });
    const chart = recoveryChart('database failure', trendPoints(past, current));
    expectValidChart(chart.mermaid);
    expect(chart.unit.name).toBe('min');
    expect(chart.labels).toEqual(['2025-04-01', '2025-07-01', '2025-10-01']);
    expect(chart.measured).toEqual([5.67, 68.33, 4.21]);
    expect(chart.target).toEqual([60, 60, 60]);
    const top = Number(/--> (\S+)$/.exec(chart.mermaid.split('\n')[3] as string)?.[1]);
    expect(top).toBeGreaterThanOrEqual(68.33);
  });

  test('a scenario text with double quotes cannot end the Mermaid string early', () => {
    const chart = recoveryChart(
      'the "big" outage',
      trendPoints([], drill('2026-01-01', { 'the "big" outage': [30, 60] })),
    );
    expectValidChart(chart.mermaid);
    expect(chart.mermaid).toContain('title "Recovery time per drill: the \'big\' outage"');
  });

  test('numbers never use exponents, which Mermaid cannot read', () => {
    expect(mermaidNumber(1e-7)).toBe('0');
    expect(mermaidNumber(123456789.129)).toBe('123456789.13');
    expect(mermaidNumber(2.5)).toBe('2.5');
    const chart = recoveryChart('tiny', trendPoints([], drill('2026-01-01', { tiny: [0.0000001, 30] })));
    expectValidChart(chart.mermaid);
  });

  test('units: seconds for short targets, minutes up to ten hours, hours beyond', () => {
    expect(chartUnit(90).name).toBe('s');
    expect(chartUnit(28_800).name).toBe('min');
    expect(chartUnit(172_800).name).toBe('h');
    const chart = recoveryChart(
      'regional outage',
      trendPoints([], drill('2026-01-01', { 'regional outage': [7200, 172_800] })),
    );
    expect(chart.measured).toEqual([2]);
    expect(chart.target).toEqual([48]);
  });

  test('drills that did not measure the scenario are left out, not drawn as zero', () => {
    const past = [
      drill('2025-04-01', { 'database failure': [300, 3600] }),
      drill('2025-07-01', { 'database failure': [null, 3600] }),
      drill('2025-08-01', { 'regional outage': [900, 28_800] }),
    ];
    const chart = recoveryChart(
      'database failure',
      trendPoints(past, drill('2025-10-01', { 'database failure': [240, 3600] })),
    );
    expect(chart.labels).toEqual(['2025-04-01', '2025-10-01']);
  });

  test(`the trend keeps the last ${TREND_LENGTH} drills, this one last; a repeated date is numbered`, () => {
    const past = Array.from({ length: 20 }, (_, i) =>
      drill(`2021-${String((i % 12) + 1).padStart(2, '0')}-01`, { db: [60 + i, 3600] }),
    );
    const points = trendPoints(past, drill('2021-12-01', { db: [10, 3600] }));
    expect(points).toHaveLength(TREND_LENGTH);
    expect(points[points.length - 1]?.current).toBe(true);
    expect(points[points.length - 1]?.label).toBe('2021-12-01 #2');
    expect(new Set(points.map((p) => p.label)).size).toBe(TREND_LENGTH);
    expect(points[0]?.recovery.get('db')?.measuredSeconds).toBe(69);
  });
});
