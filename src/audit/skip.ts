import { ConfigurationError } from '../errors.js';
import { AREAS, type AuditArea, type CheckDefinition } from './check.js';

/** Checks (by id) or whole areas the team does not want checked, each with the reason the report shows. */
export type SkipList = ReadonlyMap<string, string>;

/**
 * The `skip` input: one `id-or-area: reason` per line, e.g. `cache: no Redis in this stack`.
 * A reason is required, so the report always says why something the plan assumes was not checked.
 */
export function parseSkip(input: string, known: readonly CheckDefinition[]): SkipList {
  const ids = new Set<string>([...AREAS, ...known.map((c) => c.id)]);
  const skip = new Map<string, string>();
  for (const raw of input.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-z0-9.-]+)\s*:\s*(.*)$/.exec(line);
    if (!match)
      throw new ConfigurationError(
        `skip line '${line}' must be 'check-id: reason' or 'area: reason', e.g. 'cache: no Redis in this stack'`,
      );
    const [, id, reason] = match as unknown as [string, string, string];
    if (!ids.has(id))
      throw new ConfigurationError(
        `skip names '${id}', which is neither an area (${AREAS.join(', ')}) nor a check id; the README lists the ids`,
      );
    if (!reason.trim())
      throw new ConfigurationError(
        `skip '${id}' has no reason: write '${id}: why it does not apply', the report shows it`,
      );
    skip.set(id, reason.trim());
  }
  return skip;
}

/** Why a check is skipped, when it is: its own line first, then its area's. */
export function skipReason(skip: SkipList, check: CheckDefinition): string | undefined {
  return skip.get(check.id) ?? skip.get(check.area);
}

export function areaSkipped(skip: SkipList, area: AuditArea, checks: readonly CheckDefinition[]): boolean {
  return checks.filter((c) => c.area === area).every((c) => skipReason(skip, c) !== undefined);
}
