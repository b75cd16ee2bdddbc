/** PostgreSQL keeps NAMEDATALEN - 1 bytes of a name. */
const MAX_NAME_BYTES = 63;
const RESTORED = '_restored_';
const DAMAGED = '_damaged_';
/** The longest suffix either name adds: `_restored_` and a UTC time such as 20260301_020000. */
const SUFFIX_BYTES = RESTORED.length + 15;

/** The longest production database name both derived names still fit after. */
export const MAX_PRODUCTION_NAME_BYTES = MAX_NAME_BYTES - SUFFIX_BYTES;

/** A UTC time as backup keys write it: 20260301_020000. */
export function stamp(time: Date): string {
  return time.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

/**
 * The database the backup is restored into, beside production: named by the production database
 * and the backup's time, so a re-run of the same recovery finds the same name.
 */
export function restoredName(production: string, backupTime: Date): string {
  return `${production}${RESTORED}${stamp(backupTime)}`;
}

/** The name the damaged database is kept under: the production name and the time execute started. */
export function damagedName(production: string, at: Date): string {
  return `${production}${DAMAGED}${stamp(at)}`;
}
