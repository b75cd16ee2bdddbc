import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunContext } from '../github/run-context.js';
import type { ChecklistItem } from './checklist.js';
import type { StepStatus } from './step-status.js';
import { errorMessage } from '../errors.js';
import { secondsBetween } from '../util/format.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

export const REPORT_VERSION = 1;

/** Part of the report contract, so it is importable from here like the rest of it. */
export type { StepStatus };

export interface ReportStep {
  name: string;
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  durationSeconds?: number;
  /** What happened, or why it failed or was skipped. */
  detail?: string;
}

/** One objective of the plan (RTO or RPO for a scenario) against what this run measured. */
export interface ObjectiveResult {
  name: 'RTO' | 'RPO';
  /** The plan's scenario, e.g. "database failure", "regional outage". */
  scenario: string;
  /** What was measured, e.g. "download to end of verification". */
  measure: string;
  targetSeconds: number;
  /** null when it could not be measured. */
  measuredSeconds: number | null;
  /** null when not measured. */
  passed: boolean | null;
}

/**
 * The evidence every checking action leaves (restore-verify, failover); drill-report reads these
 * and the job summaries are rendered from them. `details` is specific to the kind.
 */
export interface Report<Kind extends string = string, Details = unknown> {
  version: typeof REPORT_VERSION;
  kind: Kind;
  tool: { name: string; version: string };
  run: RunContext;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  passed: boolean;
  /** Why it failed: one sentence each; empty when passed. */
  reasons: string[];
  steps: ReportStep[];
  objectives: ObjectiveResult[];
  /** The plan's Test Checklist rows this run can speak to (others are absent, not skipped). */
  checklist: ChecklistItem[];
  details: Details;
}

/** Times each named step of a run and records how it ended; a failing step rethrows after recording. */
export class StepRecorder {
  private readonly recorded: ReportStep[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  async run<T>(name: string, fn: () => Promise<T>, describe?: (result: T) => string | undefined): Promise<T> {
    const started = this.now();
    try {
      const result = await fn();
      this.record(name, 'passed', started, describe?.(result));
      return result;
    } catch (error) {
      this.record(name, 'failed', started, errorMessage(error));
      throw error;
    }
  }

  skip(name: string, detail: string): void {
    this.recorded.push({ name, status: 'skipped', detail });
  }

  get steps(): ReportStep[] {
    return [...this.recorded];
  }

  private record(name: string, status: StepStatus, started: Date, detail?: string): void {
    const finished = this.now();
    this.recorded.push({
      name,
      status,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationSeconds: secondsBetween(started, finished),
      ...(detail ? { detail } : {}),
    });
  }
}

export function objective(
  name: ObjectiveResult['name'],
  scenario: string,
  measure: string,
  targetSeconds: number,
  measuredSeconds: number | null,
): ObjectiveResult {
  return {
    name,
    scenario,
    measure,
    targetSeconds,
    measuredSeconds,
    passed: measuredSeconds === null ? null : measuredSeconds <= targetSeconds,
  };
}

export function newReport<Kind extends string, Details>(
  fields: Omit<Report<Kind, Details>, 'version' | 'tool' | 'durationSeconds'>,
): Report<Kind, Details> {
  return {
    version: REPORT_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    ...fields,
    durationSeconds: secondsBetween(new Date(fields.startedAt), new Date(fields.finishedAt)),
  };
}

export async function writeReport(path: string, report: Report): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
