import { clientEnv, type DatabaseTarget } from './connection.js';

/**
 * How psql is made to print results that parse without ambiguity: unaligned, tuples only, with
 * control characters that no text value holds as field and record separators and NULL marker.
 * The long-lived session (psql-session.ts) and one-shot scripts (psql-script.ts) both speak it.
 */
const FIELD_SEPARATOR = '\u001f';
const RECORD_SEPARATOR = '\u001e';
const NULL_MARKER = '\u0001';

export type Row = (string | null)[];

/** psql's argv for the protocol; ON_ERROR_STOP so the first SQL error ends the script. */
export function psqlArgs(target: DatabaseTarget): string[] {
  return [
    '-X',
    '-q',
    '-A',
    '-t',
    '-v',
    'ON_ERROR_STOP=1',
    '-P',
    `null=${NULL_MARKER}`,
    '-F',
    FIELD_SEPARATOR,
    '-R',
    RECORD_SEPARATOR,
    `--dbname=${target.url}`,
  ];
}

/** psql's environment: who is connecting (pg_stat_activity's application_name) and the password, never in argv. */
export function psqlEnv(
  target: DatabaseTarget,
  applicationName: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return clientEnv(target, { PGAPPNAME: applicationName, ...extra });
}

/** The rows of one statement's output. No output means no rows; "\n" alone is one row holding an empty string. */
export function parseRows(output: string): Row[] {
  if (output === '') return [];
  const text = output.endsWith('\n') ? output.slice(0, -1) : output;
  return text
    .split(RECORD_SEPARATOR)
    .map((record) => record.split(FIELD_SEPARATOR).map((field) => (field === NULL_MARKER ? null : field)));
}
