import type { RunContext } from '../github/run-context.js';
import { checklistItem } from '../report/checklist.js';
import { newReport, objective, type ObjectiveResult, type Report, type ReportStep } from '../report/report.js';
import { failsStep, type AuditCheck, type FailOn } from './check.js';
import { secondsSince } from './context.js';
import type { DatabaseFacts } from './database.js';

export const AUDIT_KIND = 'dr-audit';

export interface AuditDetails {
  primaryRegion: string;
  secondaryRegion: string;
  failOn: FailOn;
  /** Every check, in the catalog's order: passed, failed, or skipped with the reason. */
  checks: AuditCheck[];
  counts: { passed: number; failed: number; skipped: number; failingStep: number };
}

export type AuditReport = Report<typeof AUDIT_KIND, AuditDetails>;

export interface AuditReportInput {
  run: RunContext;
  startedAt: Date;
  finishedAt: Date;
  steps: ReportStep[];
  checks: AuditCheck[];
  failOn: FailOn;
  primaryRegion: string;
  secondaryRegion: string;
  rpoSeconds: number;
  database?: DatabaseFacts;
}

/** The RPO as the prerequisites stand right now: how old the newest restorable point is, how far the replica trails. */
function objectivesOf(input: AuditReportInput): ObjectiveResult[] {
  const { database, rpoSeconds, startedAt } = input;
  if (!database) return [];
  const restorable = database.primary?.LatestRestorableTime;
  return [
    objective(
      'RPO',
      'database failure',
      'age of the latest restorable time (PITR)',
      rpoSeconds,
      restorable ? secondsSince(restorable, startedAt) : null,
    ),
    objective(
      'RPO',
      'regional outage',
      'highest replica lag of the last 15 minutes',
      rpoSeconds,
      database.maxLagSeconds ?? null,
    ),
  ];
}

export function buildAuditReport(input: AuditReportInput): AuditReport {
  const failing = input.checks.filter((c) => failsStep(c, input.failOn));
  const count = (status: AuditCheck['status']) => input.checks.filter((c) => c.status === status).length;
  const counts = {
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    failingStep: failing.length,
  };
  const failedIds = input.checks.filter((c) => c.status === 'failed').map((c) => `${c.id} (${c.severity}): ${c.found}`);
  const detail = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${failedIds.length ? `; ${failedIds.join('; ')}` : ''}`;
  return newReport<typeof AUDIT_KIND, AuditDetails>({
    kind: AUDIT_KIND,
    run: input.run,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    passed: failing.length === 0,
    reasons: failing.map((c) => `${c.id} (${c.severity}): ${c.found}`),
    steps: input.steps,
    objectives: objectivesOf(input),
    checklist: [checklistItem('prerequisites', failing.length === 0 ? 'passed' : 'failed', detail)],
    details: {
      primaryRegion: input.primaryRegion,
      secondaryRegion: input.secondaryRegion,
      failOn: input.failOn,
      checks: input.checks,
      counts,
    },
  });
}
