import { ConfigurationError } from '../errors.js';
import { ISO_TIME_FORM, parseIsoTime, startsWithDate } from '../util/time.js';

/** The recovery-point input, understood: where the restored data is to come from. */
export type RecoveryPointSelector =
  | { kind: 'latest' }
  | { kind: 'time'; time: Date }
  | { kind: 'newest-snapshot' }
  | { kind: 'snapshot'; id: string };

const SNAPSHOT_ID = /^(rds:)?[a-zA-Z][a-zA-Z0-9-]{0,254}$/;
const INPUT = 'recovery-point';

export function parseRecoveryPoint(input: string): RecoveryPointSelector {
  const text = input.trim();
  if (text === '' || text === 'latest') return { kind: 'latest' };
  if (text === 'snapshot') return { kind: 'newest-snapshot' };
  if (text.startsWith('snapshot:')) {
    const id = text.slice('snapshot:'.length).trim();
    if (!SNAPSHOT_ID.test(id) || id.endsWith('-') || id.includes('--')) {
      throw new ConfigurationError(
        `${INPUT} '${text}': '${id}' is not a DB snapshot identifier (letters, digits and hyphens, starting with a letter; automated ones start with rds:)`,
      );
    }
    return { kind: 'snapshot', id };
  }
  if (startsWithDate(text)) return { kind: 'time', time: parseIsoTime(text, INPUT) };
  throw new ConfigurationError(
    `${INPUT} '${text}' is not understood: use latest, ${ISO_TIME_FORM}, snapshot (the newest), or snapshot:<id>`,
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
