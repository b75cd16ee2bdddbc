import { ConfigurationError } from '../errors.js';
import type { RunContext } from '../github/run-context.js';
import { PLAN_CHECKLIST, type ChecklistItem, type ChecklistKey } from './checklist.js';
import { REPORT_VERSION, type ObjectiveResult, type Report, type ReportStep } from './report.js';
import type { StepStatus } from './step-status.js';
import { isIsoTime } from '../util/time.js';

const STATUSES: readonly StepStatus[] = ['passed', 'failed', 'skipped'];

type Json = Record<string, unknown>;

class Reader {
  constructor(private readonly source: string) {}

  fail(path: string, problem: string): never {
    throw new ConfigurationError(`${this.source} is not a dr-actions report: ${path} ${problem}`);
  }

  object(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    return value as Json;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'must be a list');
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '') this.fail(path, 'must be a non-empty string');
    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') this.fail(path, 'must be a string');
    return value;
  }

  time(value: unknown, path: string): string {
    const text = this.string(value, path);
    if (!isIsoTime(text)) this.fail(path, `must be an ISO-8601 time, got '${text}'`);
    return text;
  }

  seconds(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      this.fail(path, 'must be a number of seconds (0 or more)');
    return value;
  }

  optionalSeconds(value: unknown, path: string): number | undefined {
    return value === undefined || value === null ? undefined : this.seconds(value, path);
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'must be true or false');
    return value;
  }

  status(value: unknown, path: string): StepStatus {
    if (!STATUSES.includes(value as StepStatus)) this.fail(path, `must be one of ${STATUSES.join(', ')}`);
    return value as StepStatus;
  }
}

function readStep(r: Reader, value: unknown, path: string): ReportStep {
  const step = r.object(value, path);
  const startedAt = step.startedAt === undefined ? undefined : r.time(step.startedAt, `${path}.startedAt`);
  const finishedAt = step.finishedAt === undefined ? undefined : r.time(step.finishedAt, `${path}.finishedAt`);
  const durationSeconds = r.optionalSeconds(step.durationSeconds, `${path}.durationSeconds`);
  const detail = r.optionalString(step.detail, `${path}.detail`);
  return {
    name: r.string(step.name, `${path}.name`),
    status: r.status(step.status, `${path}.status`),
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(detail ? { detail } : {}),
  };
}

function readObjective(r: Reader, value: unknown, path: string): ObjectiveResult {
  const o = r.object(value, path);
  if (o.name !== 'RTO' && o.name !== 'RPO') r.fail(`${path}.name`, 'must be RTO or RPO');
  const measuredSeconds = o.measuredSeconds === null ? null : r.seconds(o.measuredSeconds, `${path}.measuredSeconds`);
  const passed = o.passed === null || o.passed === undefined ? null : r.boolean(o.passed, `${path}.passed`);
  return {
    name: o.name,
    scenario: r.string(o.scenario, `${path}.scenario`),
    measure: r.string(o.measure, `${path}.measure`),
    targetSeconds: r.seconds(o.targetSeconds, `${path}.targetSeconds`),
    measuredSeconds,
    passed: measuredSeconds === null ? null : passed,
  };
}

/** Checklist rows of the plan's items; rows a newer producer may add under other keys are left out. */
function readChecklist(r: Reader, value: unknown): ChecklistItem[] {
  const rows: ChecklistItem[] = [];
  r.array(value, 'checklist').forEach((raw, i) => {
    const row = r.object(raw, `checklist[${i}]`);
    const key = r.string(row.key, `checklist[${i}].key`);
    if (!Object.hasOwn(PLAN_CHECKLIST, key)) return;
    const detail = r.optionalString(row.detail, `checklist[${i}].detail`);
    rows.push({
      key: key as ChecklistKey,
      item: PLAN_CHECKLIST[key as ChecklistKey],
      status: r.status(row.status, `checklist[${i}].status`),
      ...(detail ? { detail } : {}),
    });
  });
  return rows;
}

function readRun(value: unknown): RunContext {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as RunContext;
}

/**
 * Reads a JSON report (src/report/report.ts) written by any dr-actions action, checking the
 * generic contract field by field; `details` stays as the producer wrote it. `source` names the
 * file in errors.
 */
export function parseReport(text: string, source: string): Report {
  const r = new Reader(source);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(
      `${source} is not JSON (${(error as Error).message}); reports must be the JSON files the actions write to report-path`,
    );
  }
  const o = r.object(raw, 'the document');
  if (typeof o.version === 'number' && o.version > REPORT_VERSION) {
    throw new ConfigurationError(
      `${source} is report version ${o.version}, newer than this dr-actions reads (${REPORT_VERSION}); use the same dr-actions version for every action of the drill`,
    );
  }
  if (o.version !== REPORT_VERSION) r.fail('version', `must be ${REPORT_VERSION}`);
  const tool = r.object(o.tool ?? {}, 'tool');
  const startedAt = r.time(o.startedAt, 'startedAt');
  const finishedAt = r.time(o.finishedAt, 'finishedAt');
  return {
    version: REPORT_VERSION,
    kind: r.string(o.kind, 'kind'),
    tool: {
      name: r.optionalString(tool.name, 'tool.name') ?? 'unknown',
      version: r.optionalString(tool.version, 'tool.version') ?? 'unknown',
    },
    run: readRun(o.run),
    startedAt,
    finishedAt,
    durationSeconds:
      r.optionalSeconds(o.durationSeconds, 'durationSeconds') ??
      Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000),
    passed: r.boolean(o.passed, 'passed'),
    reasons: r.array(o.reasons ?? [], 'reasons').map((reason, i) => r.string(reason, `reasons[${i}]`)),
    steps: r.array(o.steps, 'steps').map((step, i) => readStep(r, step, `steps[${i}]`)),
    objectives: r
      .array(o.objectives, 'objectives')
      .map((objective, i) => readObjective(r, objective, `objectives[${i}]`)),
    checklist: readChecklist(r, o.checklist ?? []),
    details: o.details ?? null,
  };
}
