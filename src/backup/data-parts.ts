import { qualifiedName } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import { sequenceOwners, tableSizes } from '../postgres/relation-sizes.js';
import { formatBytes } from '../util/format.js';
import type { DumpContents } from './dump-contents.js';
import { withoutSelection } from './pg-dump-args.js';
import { shareTables } from './table-shares.js';

/** One data part of a parallel backup: what its pg_dump selects, besides format, compression and snapshot. */
export interface DataPart {
  tables: number;
  /** The tables' pg_total_relation_size. */
  bytes: number;
  args: string[];
}

/**
 * Bytes of arguments one pg_dump may be given. Linux holds argv and the environment together to
 * a quarter of the stack limit (2 MiB by default); a part names each of its tables on the command
 * line (pg_dump before 17 reads no list of tables from a file), so this leaves room to spare.
 */
const ARGV_BUDGET_BYTES = 1024 * 1024;

/**
 * Shares the dump's tables among `jobs` data parts by size, in the dump's snapshot. Each part
 * names its tables exactly (`--table="schema"."name"`: quoted, so no name is read as a pattern),
 * and only those, so every table's rows land in exactly one part. pg_dump dumps a sequence's
 * value with the table that owns it; the other sequences the dump sets, and the large objects,
 * go to part 1 (an owned sequence whose table's rows are not dumped is selected with its table's
 * definition but not its rows: pg_dump leaves out an identity sequence whose table it does not select).
 */
export async function planDataParts(
  session: PsqlSession,
  contents: DumpContents,
  jobs: number,
  userArgs: readonly string[],
): Promise<DataPart[]> {
  const sizes = await tableSizes(session);
  const owners = await sequenceOwners(session);
  const shares = shareTables(
    contents.tables.map((table) => ({ ...table, sizeBytes: sizes.get(qualifiedName(table)) ?? 0 })),
    jobs,
  );
  const dumped = new Set(contents.tables.map(qualifiedName));
  const firstPartExtras: string[] = [];
  for (const sequence of contents.sequences) {
    const owner = owners.get(qualifiedName(sequence));
    if (owner && dumped.has(qualifiedName(owner))) continue;
    firstPartExtras.push(`--table=${qualifiedName(sequence)}`);
    if (owner) firstPartExtras.push(`--table=${qualifiedName(owner)}`, `--exclude-table-data=${qualifiedName(owner)}`);
  }
  // -b: --large-objects is only pg_dump 16's spelling.
  if (contents.largeObjects !== undefined) firstPartExtras.push('-b');
  const shaping = withoutSelection(userArgs);
  const parts = shares.map((share, index) => ({
    tables: share.tables.length,
    bytes: share.bytes,
    args: [
      '--section=data',
      ...shaping,
      ...share.tables.map((table) => `--table=${qualifiedName(table)}`),
      ...(index === 0 ? firstPartExtras : []),
    ],
  }));
  for (const [index, part] of parts.entries()) {
    const bytes = part.args.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0);
    if (bytes > ARGV_BUDGET_BYTES)
      throw new Error(
        `part ${index + 1} would name its ${part.tables} tables in ${formatBytes(bytes)} of pg_dump arguments, more than the ${formatBytes(ARGV_BUDGET_BYTES)} a command line safely holds; raise jobs so that each part names fewer tables`,
      );
  }
  return parts;
}
