import { ConfigurationError } from '../errors.js';
import { splitWords } from '../util/words.js';

/**
 * pg-dump-args is an allowlist: options that choose what is dumped (tables, schemas, extensions,
 * exclusions) and hints for the restore (owners, privileges, comments...). Anything else, an
 * option of a newer pg_dump included, is refused by name: an option that drops data (PostgreSQL
 * 18's --no-data, --no-schema, --statistics-only) must never pass through unnoticed.
 */

/** Allowed long options that take a value. */
const ALLOWED_WITH_VALUE = new Set([
  'schema',
  'exclude-schema',
  'table',
  'exclude-table',
  'table-and-children',
  'exclude-table-and-children',
  'exclude-table-data',
  'exclude-table-data-and-children',
  'extension',
  'exclude-extension',
  'filter',
  'encoding',
  'lock-wait-timeout',
  'extra-float-digits',
  'rows-per-insert',
  'role',
]);

/** Allowed long options that take no value. */
const ALLOWED_FLAGS = new Set([
  'large-objects',
  'blobs',
  'no-owner',
  'no-privileges',
  'no-acl',
  'no-comments',
  'no-publications',
  'no-subscriptions',
  'no-security-labels',
  'no-tablespaces',
  'no-table-access-method',
  'no-toast-compression',
  'no-unlogged-table-data',
  'use-set-session-authorization',
  'quote-all-identifiers',
  'disable-dollar-quoting',
  'disable-triggers',
  'load-via-partition-root',
  'inserts',
  'column-inserts',
  'attribute-inserts',
  'serializable-deferrable',
  'strict-names',
  'verbose',
  'no-sync',
]);

/** Allowed short options, and those of them that take a value. */
const SHORT_TO_LONG: Record<string, string> = {
  t: 'table',
  T: 'table',
  n: 'schema',
  N: 'exclude-schema',
  e: 'extension',
  E: 'encoding',
  b: 'large-objects',
  O: 'no-owner',
  x: 'no-privileges',
  v: 'verbose',
};
const SHORT_WITH_VALUE = new Set(['t', 'T', 'n', 'N', 'e', 'E']);

/** Why a known option cannot be passed: the action owns the output, the connection and the snapshot, and a backup holds all the data. */
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
  'no-data': 'a dump without data is not a backup',
  'statistics-only': 'a dump of statistics alone is not a backup',
  'data-only': 'a dump without the schema cannot restore the database on its own',
  'no-schema': 'a dump without the schema cannot restore the database on its own',
  section: 'a dump of some sections cannot restore the database on its own',
  'no-large-objects': 'large objects are data: the manifest counts them and restore-verify checks them',
  'no-blobs': 'large objects are data: the manifest counts them and restore-verify checks them',
  'enable-row-security': 'it dumps only the rows that row-level security lets the role see',
  'include-foreign-data': 'restoring it would write into the foreign servers',
  clean: 'restores go into an empty database; the restore, not the dump, decides what is dropped',
  'if-exists': 'it only applies with --clean, which is not allowed',
  create: 'the restore goes into the database it is given, not one the dump creates',
  'on-conflict-do-nothing': 'a restore would skip conflicting rows without a word',
  'binary-upgrade': 'it is for pg_upgrade only',
  version: 'pg_dump would print its version instead of a dump',
  help: 'pg_dump would print its help instead of a dump',
};

const SHORT_REFUSED: Record<string, string> = {
  f: 'file',
  F: 'format',
  Z: 'compress',
  j: 'jobs',
  d: 'dbname',
  h: 'host',
  p: 'port',
  U: 'username',
  W: 'password',
  s: 'schema-only',
  a: 'data-only',
  V: 'version',
  '?': 'help',
  B: 'no-large-objects',
  c: 'clean',
  C: 'create',
};

const INPUT = 'pg-dump-args';
const ALLOWED_HINT =
  'pg-dump-args takes only options that choose what is dumped (--table, --schema, --exclude-table, --exclude-table-data, --extension, ...) ' +
  'and restore hints (--no-owner, --no-privileges, --no-comments, ...)';

function refuse(option: string, reason: string | undefined): never {
  throw new ConfigurationError(`${INPUT}: ${option} is not allowed: ${reason ?? ALLOWED_HINT}`);
}

/**
 * The option a long name means. Allowed options must be spelled out: pg_dump, like getopt_long,
 * takes any unambiguous prefix, and a newer pg_dump may have options that make a prefix mean
 * something else. A prefix of a refused option is refused with that option's reason.
 */
function checkLong(rawName: string): 'value' | 'flag' {
  if (ALLOWED_WITH_VALUE.has(rawName)) return 'value';
  if (ALLOWED_FLAGS.has(rawName)) return 'flag';
  if (REFUSED[rawName]) refuse(`--${rawName}`, REFUSED[rawName]);
  const known = [...ALLOWED_WITH_VALUE, ...ALLOWED_FLAGS, ...Object.keys(REFUSED)];
  const matches = rawName ? known.filter((option) => option.startsWith(rawName)) : [];
  if (matches.length > 1)
    throw new ConfigurationError(
      `${INPUT}: --${rawName} is ambiguous (${matches.map((m) => `--${m}`).join(', ')}); spell the option out`,
    );
  const [match] = matches;
  if (match && REFUSED[match]) refuse(`--${rawName}`, REFUSED[match]);
  if (match) throw new ConfigurationError(`${INPUT}: --${rawName} is not allowed: spell the option out (--${match})`);
  return refuse(`--${rawName}`, undefined);
}

/**
 * Splits pg-dump-args into words without a shell and keeps only allowed options, refusing
 * anything else with the option named.
 */
export function parsePgDumpArgs(input: string): string[] {
  const words = splitWords(input, INPUT);
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    if (word === '--')
      throw new ConfigurationError(`${INPUT}: '--' is not allowed: the database comes from database-url`);
    if (word.startsWith('--')) {
      const [rawName = '', inlineValue] = word.slice(2).split(/=(.*)/s, 2);
      const kind = checkLong(rawName);
      if (kind === 'value' && inlineValue === undefined) i += 1;
      if (kind === 'flag' && inlineValue !== undefined)
        throw new ConfigurationError(`${INPUT}: --${rawName} takes no value`);
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      for (let j = 1; j < word.length; j += 1) {
        const letter = word[j] as string;
        if (SHORT_REFUSED[letter]) refuse(`-${letter}`, REFUSED[SHORT_REFUSED[letter] as string]);
        if (!SHORT_TO_LONG[letter]) refuse(`-${letter}`, undefined);
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

/** Options that choose what is dumped: a parallel backup's data parts name their tables themselves. */
const SELECTION = new Set([
  'table',
  'exclude-table',
  'schema',
  'exclude-schema',
  'table-and-children',
  'exclude-table-and-children',
  'exclude-table-data',
  'exclude-table-data-and-children',
  'extension',
  'exclude-extension',
  'filter',
  'strict-names',
  'large-objects',
  'blobs',
  'no-unlogged-table-data',
]);

/**
 * Parsed pg-dump-args without the options that choose what is dumped (a data part's tables are
 * named one by one, from what the whole dump holds), keeping those that shape the data (--inserts,
 * --rows-per-insert, --disable-triggers, --load-via-partition-root, ...).
 */
export function withoutSelection(words: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] as string;
    let name: string;
    let takesNext: boolean;
    if (word.startsWith('--')) {
      const [rawName = '', inlineValue] = word.slice(2).split(/=(.*)/s, 2);
      name = rawName;
      takesNext = ALLOWED_WITH_VALUE.has(rawName) && inlineValue === undefined;
    } else {
      // One short option per word here is enough: a cluster with a selection letter is dropped whole.
      const letters = word.slice(1);
      const valueAt = [...letters].findIndex((letter) => SHORT_WITH_VALUE.has(letter));
      const options = valueAt < 0 ? letters : letters.slice(0, valueAt + 1);
      name = [...options].some((letter) => SELECTION.has(SHORT_TO_LONG[letter] ?? '')) ? 'table' : '';
      takesNext = valueAt === letters.length - 1;
    }
    const value = takesNext ? [words[i + 1] as string] : [];
    if (takesNext) i += 1;
    if (!SELECTION.has(name)) kept.push(word, ...value);
  }
  return kept;
}
