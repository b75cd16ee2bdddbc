import type { DatabaseTarget } from './connection.js';
import { qualifiedName, quoteLiteral, type TableName } from './identifiers.js';
import { PsqlSession, type Row } from './psql-session.js';
import { sequenceValuesOf, sequenceValuesQuery, type SequenceValue } from './restore-facts.js';
import { withSession } from './with-session.js';

export interface TableFacts extends TableName {
  /** Exact count in the snapshot; null when rows are not counted. */
  rows: number | null;
  /** pg_total_relation_size while the backup runs: heap, indexes and TOAST, in bytes. */
  sizeBytes: number;
}

/**
 * Locks a batch's transaction may take besides its tables' and indexes': the catalogs the planner
 * reads when they are not cached yet.
 */
const RESERVED_LOCKS = 8;
/** Tables to a statement when only sizes are read: those hold no lock past their statement. */
const SIZES_PER_STATEMENT = 1000;

/**
 * The tables' exact rows and sizes in an exported snapshot, on a session of their own, in
 * batches: each batch is a transaction that imports the snapshot, counts its tables and commits,
 * which releases its locks before the next. A count holds until its transaction ends a lock on
 * its table and on each of the table's indexes (the planner opens them), so a batch takes at most
 * max_locks_per_transaction locks: what the lock table keeps for every transaction, beside
 * pg_dump's lock on every table it dumps. The batches go to psql one after another without
 * waiting for each result, so the server never waits for the client in between.
 *
 * Sizes take no lock past their statement. `count: false` measures the sizes only.
 */
export async function measureInSnapshot(
  session: PsqlSession,
  snapshotId: string,
  tables: readonly TableName[],
  options: { count: boolean },
): Promise<TableFacts[]> {
  if (tables.length === 0) return [];
  const inSnapshot = (sql: string) => inSnapshotTransaction(session, snapshotId, sql);
  const { budget, relations } = lockCosts(await inSnapshot(lockCostsQuery(tables)), tables);
  const batches = options.count
    ? packBatches(relations, budget)
    : packBatches(
        relations.map((r) => ({ ...r, locks: 1 })),
        SIZES_PER_STATEMENT,
      );
  const results = await Promise.all(
    batches.map((batch) => inSnapshot(batchQuery(batch, options.count)).then((rows) => factsOf(batch, rows))),
  );
  return results.flat();
}

/**
 * The sequences' last values, read in batches as the tables are counted: reading a sequence locks
 * it to its transaction's end, and the transaction that exported the snapshot stays open for the
 * whole dump. Sorted by schema and name, as PostgreSQL sorts names (bytewise).
 */
export async function sequencesInSnapshot(
  session: PsqlSession,
  snapshotId: string,
  oids: readonly number[],
): Promise<SequenceValue[]> {
  if (oids.length === 0) return [];
  const maxLocks = Number(await session.value("SELECT current_setting('max_locks_per_transaction')"));
  const batches = packBatches(
    oids.map((oid) => ({ oid, locks: 1 })),
    lockBudget(maxLocks),
  );
  const read = await Promise.all(
    batches.map((batch) =>
      inSnapshotTransaction(session, snapshotId, sequenceValuesQuery(batch.map((s) => s.oid))).then(sequenceValuesOf),
    ),
  );
  const bytes = (s: SequenceValue) => Buffer.from(`${s.schema}\u0000${s.name}`);
  return read.flat().sort((a, b) => Buffer.compare(bytes(a), bytes(b)));
}

/** A statement in a transaction of its own that sees the exported snapshot; the commit releases its locks. */
function inSnapshotTransaction(session: PsqlSession, snapshotId: string, sql: string): Promise<Row[]> {
  return session.query(
    `BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotId)}; ${sql}; COMMIT`,
  );
}

const lockBudget = (maxLocks: number) => Math.max(1, (Number.isSafeInteger(maxLocks) ? maxLocks : 64) - RESERVED_LOCKS);

interface Relation {
  index: number;
  table: TableName;
  oid: number;
  /** Locks its count holds to the end of its transaction: the table's and its indexes'. */
  locks: number;
}

/** max_locks_per_transaction, then each table's oid and number of indexes, in the snapshot's catalog. */
function lockCostsQuery(tables: readonly TableName[]): string {
  const array = (values: string[]) => `ARRAY[${values.map(quoteLiteral).join(',')}]::text[]`;
  return `SELECT -1, current_setting('max_locks_per_transaction')::bigint, NULL UNION ALL
    SELECT (t.i - 1)::int, c.oid::bigint, (SELECT count(*) FROM pg_index x WHERE x.indrelid = c.oid)
    FROM unnest(${array(tables.map((t) => t.schema))}, ${array(tables.map((t) => t.name))}) WITH ORDINALITY AS t(s, n, i)
    JOIN pg_namespace ns ON ns.nspname = t.s JOIN pg_class c ON c.relnamespace = ns.oid AND c.relname = t.n`;
}

function lockCosts(rows: Row[], tables: readonly TableName[]): { budget: number; relations: Relation[] } {
  const byIndex = new Map(rows.map(([i, oid, indexes]) => [Number(i), { oid: Number(oid), indexes: Number(indexes) }]));
  const maxLocks = byIndex.get(-1)?.oid ?? Number.NaN;
  const relations = tables.map((table, index) => {
    const found = byIndex.get(index);
    if (!found) throw new Error(`${qualifiedName(table)} is not in the snapshot's catalog`);
    return { index, table, oid: found.oid, locks: 1 + found.indexes };
  });
  return { budget: lockBudget(maxLocks), relations };
}

/** Consecutive tables, as many to a batch as the budget of locks holds (always at least one). */
export function packBatches<T extends { locks: number }>(relations: readonly T[], budget: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let locks = 0;
  for (const relation of relations) {
    if (current.length > 0 && locks + relation.locks > budget) {
      batches.push(current);
      current = [];
      locks = 0;
    }
    current.push(relation);
    locks += relation.locks;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * One statement for the batch. ONLY: a parent's TABLE DATA holds its own rows, its inheritance
 * children are dumped (and counted) separately.
 */
function batchQuery(batch: readonly Relation[], count: boolean): string {
  return batch
    .map(
      ({ index, table, oid }) =>
        `SELECT ${index}, ${count ? 'count(*)' : 'NULL::bigint'}, pg_total_relation_size(${oid}::oid)${count ? ` FROM ONLY ${qualifiedName(table)}` : ''}`,
    )
    .join(' UNION ALL ');
}

function factsOf(batch: readonly Relation[], rows: Row[]): TableFacts[] {
  const byIndex = new Map(rows.map(([i, n, size]) => [Number(i), { n, size }]));
  return batch.map(({ index, table }) => {
    const got = byIndex.get(index);
    const rows = got?.n === null ? null : Number(got?.n);
    const sizeBytes = Number(got?.size);
    if (!got || (rows !== null && !Number.isSafeInteger(rows)) || !Number.isSafeInteger(sizeBytes))
      throw new Error(`no row count or size came back for ${qualifiedName(table)}`);
    return { ...table, rows, sizeBytes };
  });
}

/** sequencesInSnapshot on a session opened for it, when there are sequences, and closed after. */
export async function readSequencesInSnapshot(
  target: DatabaseTarget,
  psqlPath: string,
  snapshotId: string,
  oids: readonly number[],
): Promise<SequenceValue[]> {
  if (oids.length === 0) return [];
  return withSession(PsqlSession.open(target, { psqlPath }), (session) =>
    sequencesInSnapshot(session, snapshotId, oids),
  );
}

/** measureInSnapshot on a session opened for it and closed after. */
export function measureTablesInSnapshot(
  target: DatabaseTarget,
  psqlPath: string,
  snapshotId: string,
  tables: readonly TableName[],
  options: { count: boolean },
): Promise<TableFacts[]> {
  return withSession(PsqlSession.open(target, { psqlPath }), (session) =>
    measureInSnapshot(session, snapshotId, tables, options),
  );
}
