import { ConfigurationError } from '../errors.js';
import { splitWords } from '../util/words.js';

/** pg_dump's long options that take a value, as of PostgreSQL 17 (LONG_FLAGS likewise: 18's --no-data, --no-schema, ... are not refused yet). */
const LONG_WITH_VALUE = new Set([
  'dbname', 'encoding', 'file', 'format', 'host', 'jobs', 'schema', 'exclude-schema', 'port', 'superuser', 'table',
  'exclude-table', 'username', 'compress', 'extension', 'exclude-extension', 'section', 'exclude-table-data',
  'lock-wait-timeout', 'extra-float-digits', 'rows-per-insert', 'snapshot', 'role', 'table-and-children',
  'exclude-table-and-children', 'exclude-table-data-and-children', 'filter', 'include-foreign-data', 'sync-method',
]);

/** pg_dump's long options that take no value. */
const LONG_FLAGS = new Set([
  'data-only', 'large-objects', 'no-large-objects', 'blobs', 'no-blobs', 'clean', 'create', 'no-owner', 'schema-only',
  'verbose', 'version', 'no-privileges', 'no-acl', 'binary-upgrade', 'column-inserts', 'attribute-inserts',
  'disable-dollar-quoting', 'disable-triggers', 'enable-row-security', 'if-exists', 'inserts', 'load-via-partition-root',
  'no-comments', 'no-publications', 'no-security-labels', 'no-subscriptions', 'no-table-access-method', 'no-tablespaces',
  'no-toast-compression', 'no-unlogged-table-data', 'on-conflict-do-nothing', 'quote-all-identifiers',
  'serializable-deferrable', 'strict-names', 'use-set-session-authorization', 'no-sync', 'no-password', 'password', 'help',
]);

const SHORT_WITH_VALUE = new Set(['d', 'E', 'f', 'F', 'h', 'j', 'n', 'N', 'p', 'S', 't', 'T', 'U', 'Z', 'e']);

/** Why an option cannot be passed: the action owns the output, the connection and the snapshot. */
const REFUSED: Record<string, string> = {
  file: 'the dump streams to S3, not to a file',
  format: 'use the format input (custom or plain)',
  compress: 'use the compression input',
  jobs: 'parallel dumps need the directory format, which cannot stream',
  snapshot: 'the action exports its own snapshot so that row counts match the dump',
  dbname: 'the database comes from database-url',
  host: 'the host comes from database-url',
  port: 'the port comes from database-url',
  username: 'the user comes from database-url',
  password: 'it prompts for a password; put it in database-url (it is masked)',
  'schema-only': 'a dump without data is not a backup',
  'data-only': 'a dump without the schema cannot restore the database on its own',
  section: 'a dump of some sections cannot restore the database on its own',
  'binary-upgrade': 'it is for pg_upgrade only',
  version: 'pg_dump would print its version instead of a dump',
  help: 'pg_dump would print its help instead of a dump',
};

const SHORT_TO_LONG: Record<string, string> = {
  f: 'file', F: 'format', Z: 'compress', j: 'jobs', d: 'dbname', h: 'host', p: 'port', U: 'username',
  W: 'password', s: 'schema-only', a: 'data-only', V: 'version', '?': 'help',
};

const INPUT = 'pg-dump-args';

function refuse(option: string, long: string): never {
  throw new ConfigurationError(`${INPUT}: ${option} is not allowed: ${REFUSED[long]}`);
}

/** getopt_long, like pg_dump, accepts any unambiguous prefix of a long option (--fo means --format). */
function resolveLong(name: string): string | undefined {
  const all = [...LONG_WITH_VALUE, ...LONG_FLAGS];
  if (all.includes(name)) return name;
  const matches = all.filter((option) => option.startsWith(name));
  if (matches.length > 1) throw new ConfigurationError(`${INPUT}: --${name} is ambiguous (${matches.map((m) => `--${m}`).join(', ')}); spell the option out`);
  return matches[0];
}

/**
 * Splits pg-dump-args into words without a shell and refuses what would change the output
 * file, format, compression, connection or snapshot, or make a partial dump.
 */
export function parsePgDumpArgs(input: string): string[] {
  const words = splitWords(input, INPUT);
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    if (word === '--') throw new ConfigurationError(`${INPUT}: '--' is not allowed: the database comes from database-url`);
    if (word.startsWith('--')) {
      const [rawName = '', inlineValue] = word.slice(2).split(/=(.*)/s, 2);
      const name = resolveLong(rawName);
      if (name && REFUSED[name]) refuse(`--${rawName}`, name);
      if (name && LONG_WITH_VALUE.has(name) && inlineValue === undefined) i += 1;
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      for (let j = 1; j < word.length; j += 1) {
        const letter = word[j] as string;
        const long = SHORT_TO_LONG[letter];
        if (long && REFUSED[long]) refuse(`-${letter}`, long);
        if (SHORT_WITH_VALUE.has(letter)) {
          if (j === word.length - 1) i += 1;
          break;
        }
      }
      continue;
    }
    throw new ConfigurationError(`${INPUT}: '${word}' is not an option; pg_dump's database comes from database-url`);
  }
  return words;
}
