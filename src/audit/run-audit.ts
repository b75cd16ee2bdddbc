import type { RunContext } from '../github/run-context.js';
import { StepRecorder, writeReport } from '../report/report.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { buildAuditReport, type AuditReport } from './audit-report.js';
import { auditArea, type AreaResult } from './areas.js';
import { ALL_CHECKS } from './catalog.js';
import { AREAS, failsStep, skipped, verdict, type AuditArea, type AuditCheck } from './check.js';
import type { AuditContext } from './context.js';
import type { AuditSettings } from './settings.js';
import { skipReason } from './skip.js';

export interface RunAuditOptions extends AuditSettings {
  run: RunContext;
  log: Logger;
  now?: () => Date;
}

export interface AuditResult {
  report: AuditReport;
  reportPath: string;
  passed: boolean;
  /** Checks that found a problem, whatever their severity. */
  findingsCount: number;
  /** Findings at or above fail-on: the ones that fail the step. */
  failedCount: number;
}

/** An area AWS would not answer for (denied, down): each of its checks fails, saying why, rather than the run dying unreported. */
function unreadable(area: AuditArea, error: unknown): AreaResult {
  const why = `could not be read: ${errorMessage(error)}`;
  const fix = 'allow the audit role the read-only calls in docs/iam/dr-audit-role-policy.json, then re-run';
  return { checks: ALL_CHECKS.filter((c) => c.area === area).map((c) => verdict(c, false, why, fix)) };
}

/** Skips apply last: a skipped check still shows the fix it would give, and the reason the team gave. */
function applySkips(settings: AuditSettings, found: AuditCheck[]): AuditCheck[] {
  return ALL_CHECKS.map((definition) => {
    const reason = skipReason(settings.skip, definition);
    const check = found.find((c) => c.id === definition.id);
    if (reason !== undefined) return skipped(definition, `skipped: ${reason}`, check?.fix ?? '');
    return check ?? skipped(definition, 'not checked');
  });
}

/** Reads every area in both regions (read-only calls), judges each prerequisite, and writes the report. */
export async function runAudit(options: RunAuditOptions): Promise<AuditResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const ctx: AuditContext = {
    settings: options,
    primary: { region: options.primaryRegion, endpointUrl: options.endpointUrl },
    secondary: { region: options.secondaryRegion, endpointUrl: options.endpointUrl },
    now: startedAt,
  };
  const recorder = new StepRecorder(now);
  const results = await Promise.all(
    AREAS.map(async (area) => {
      if (!options[area]) {
        recorder.skip(`read ${area} settings`, 'every check of the area is skipped by the skip input');
        return { checks: [] } as AreaResult;
      }
      const failures = (r: AreaResult) =>
        `${r.checks.filter((c) => c.status === 'failed').length} of ${r.checks.length} checks failed`;
      const result = await recorder
        .run(`read ${area} settings`, () => auditArea(area, ctx), failures)
        .catch((error: unknown) => unreadable(area, error));
      options.log.info(`${area}: ${failures(result)}`);
      return result;
    }),
  );
  const checks = applySkips(
    options,
    results.flatMap((r) => r.checks),
  );
  const report = buildAuditReport({
    run: options.run,
    startedAt,
    finishedAt: now(),
    steps: recorder.steps,
    checks,
    failOn: options.failOn,
    primaryRegion: options.primaryRegion,
    secondaryRegion: options.secondaryRegion,
    rpoSeconds: options.rpoSeconds,
    database: results.find((r) => r.database)?.database,
  });
  await writeReport(options.reportPath, report);
  const findings = checks.filter((c) => c.status === 'failed');
  return {
    report,
    reportPath: options.reportPath,
    passed: report.passed,
    findingsCount: findings.length,
    failedCount: findings.filter((c) => failsStep(c, options.failOn)).length,
  };
}
