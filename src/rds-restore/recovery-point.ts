import { ConfigurationError } from '../errors.js';

/** The recovery-point input, understood: where the restored data is to come from. */
export type RecoveryPointSelector =
  | { kind: 'latest' }
  | { kind: 'time'; time: Date }
  | { kind: 'newest-snapshot' }
  | { kind: 'snapshot'; id: string };

const SNAPSHOT_ID = /^(rds:)?[a-zA-Z][a-zA-Z0-9-]{0,254}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseRecoveryPoint(input: string): RecoveryPointSelector {
  const text = input.trim();
  if (text === '' || text === 'latest') return { kind: 'latest' };
  if (text === 'snapshot') return { kind: 'newest-snapshot' };
  if (text.startsWith('snapshot:')) {
    const id = text.slice('snapshot:'.length).trim();
    if (!SNAPSHOT_ID.test(id) || id.endsWith('-') || id.includes('--')) {
      throw new ConfigurationError(`recovery-point '${text}': '${id}' is not a DB snapshot identifier (letters, digits and hyphens, starting with a letter; automated ones start with rds:)`);
    }
    return { kind: 'snapshot', id };
  }
  if (ISO_TIME.test(text) && !Number.isNaN(Date.parse(text))) return { kind: 'time', time: new Date(text) };
  throw new ConfigurationError(
    `recovery-point '${text}' is not understood: use latest, an ISO time with its zone (e.g. 2026-11-29T08:00:00Z), snapshot (the newest), or snapshot:<id>`,
  );
}

export function describeSelector(selector: RecoveryPointSelector): string {
  switch (selector.kind) {
    case 'latest':
      return 'latest';
    case 'time':
      return selector.time.toISOString();
    case 'newest-snapshot':
      return 'snapshot (the newest)';
    case 'snapshot':
      return `snapshot:${selector.id}`;
  }
}
