/** One prerequisite of the plan, as the audit found it: plain data, the same in the report and the summary. */

export const SEVERITIES = ['high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const AREAS = ['database', 'media', 'backup', 'dns', 'cache'] as const;
export type AuditArea = (typeof AREAS)[number];

export type CheckStatus = 'passed' | 'failed' | 'skipped';

/** What a check protects, independent of any run. */
export interface CheckDefinition {
  id: string;
  area: AuditArea;
  /** The plan's own sentence this prerequisite keeps true. */
  plan: string;
  severity: Severity;
}

export interface AuditCheck extends CheckDefinition {
  status: CheckStatus;
  /** What the audit found (for a skipped check: why it was skipped). */
  found: string;
  /** The command that puts it right; shown for every check, so a reader can see the intended setting. */
  fix: string;
}

/** One area's checks by key, each written as [id, the plan's sentence it keeps true, severity]. */
export function defineChecks<K extends string>(
  area: AuditArea,
  checks: Record<K, readonly [id: string, plan: string, severity: Severity]>,
): Readonly<Record<K, CheckDefinition>> {
  const entries = (Object.entries(checks) as [K, readonly [string, string, Severity]][]).map(
    ([key, [id, plan, severity]]) => [key, { id, area, plan, severity }] as const,
  );
  return Object.fromEntries(entries) as Record<K, CheckDefinition>;
}

export function verdict(definition: CheckDefinition, ok: boolean, found: string, fix: string): AuditCheck {
  return { ...definition, status: ok ? 'passed' : 'failed', found, fix };
}

export function skipped(definition: CheckDefinition, reason: string, fix = ''): AuditCheck {
  return { ...definition, status: 'skipped', found: reason, fix };
}

const RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1 };

/** `fail-on`: the lowest severity whose failures fail the step, or none. */
export type FailOn = Severity | 'none';

export function failsStep(check: AuditCheck, failOn: FailOn): boolean {
  return check.status === 'failed' && failOn !== 'none' && RANK[check.severity] >= RANK[failOn];
}

/** Failures first (most severe first), then passes, then skips; areas keep the plan's order. */
export function byUrgency(a: AuditCheck, b: AuditCheck): number {
  const status = (c: AuditCheck) => (c.status === 'failed' ? 0 : c.status === 'passed' ? 1 : 2);
  return (
    status(a) - status(b) ||
    (a.status === 'failed' ? RANK[b.severity] - RANK[a.severity] : 0) ||
    AREAS.indexOf(a.area) - AREAS.indexOf(b.area)
  );
}
