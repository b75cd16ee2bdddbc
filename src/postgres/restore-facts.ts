import { qualifiedName, quoteLiteral, type TableName } from './identifiers.js';
import type { PsqlSession, Row } from './psql-session.js';

/**
 * What a restore must bring back besides the tables' rows, read in one session: the number of
 * large objects, each sequence's last value and each materialized view's row count. The backup
 * reads them in the dump's snapshot; restore-verify reads them in the restored database.
 */

export interface UserTable extends TableName {
  oid: number;
  unlogged: boolean;
}

const USER_SCHEMAS =
  "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";
const NOT_FROM_EXTENSION =
  "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')";

/** The database's own tables (those that hold rows: not partitioned parents, views or foreign tables; none of an extension). */
export async function userTables(session: PsqlSession): Promise<UserTable[]> {
  const rows = await session.query(
    `SELECT c.oid, n.nspname, c.relname, c.relpersistence = 'u' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION} ORDER BY 2, 3`,
  );
  return rows.map(([oid, schema, name, unlogged]) => ({
    oid: Number(oid),
    schema: String(schema),
    name: String(name),
    unlogged: unlogged === 't',
  }));
}

/** The oids of the sequences in the database's own schemas. */
export async function userSequenceOids(session: PsqlSession): Promise<number[]> {
  const rows = await session.query(
    `SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND ${USER_SCHEMAS}`,
  );
  return rows.map(([oid]) => Number(oid));
}

export async function countLargeObjects(session: PsqlSession): Promise<number> {
  const [row] = await session.query('SELECT count(*) FROM pg_largeobject_metadata');
  return Number(row?.[0]);
}

export interface SequenceValue extends TableName {
  /** bigint as text; null when the sequence was never used (nextval not yet called). */
  lastValue: string | null;
  /** Whether the sequence counts up (positive increment). */
  ascending: boolean;
  /** Whether it starts over past its limit (CYCLE): then a later value can be a lower one. */
  cycles: boolean;
}

const oidArray = (oids: readonly number[]) => `${quoteLiteral(`{${oids.join(',')}}`)}::oid[]`;

/** Sequences' last values: of the given oids, or every sequence when oids is undefined. */
export async function sequenceValues(session: PsqlSession, oids?: readonly number[]): Promise<SequenceValue[]> {
  if (oids?.length === 0) return [];
  return sequenceValuesOf(await session.query(sequenceValuesQuery(oids)));
}

/**
 * The statement sequenceValues runs. pg_sequences reads each sequence under a lock that its
 * transaction keeps to its end.
 */
export function sequenceValuesQuery(oids?: readonly number[]): string {
  return `SELECT s.schemaname, s.sequencename, s.last_value::text, s.increment_by > 0, s.cycle FROM pg_sequences s
     JOIN pg_namespace n ON n.nspname = s.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
     WHERE ${oids ? `c.oid = ANY(${oidArray(oids)})` : USER_SCHEMAS} ORDER BY 1, 2`;
}

export function sequenceValuesOf(rows: Row[]): SequenceValue[] {
  return rows.map(([schema, name, lastValue, ascending, cycles]) => ({
    schema: String(schema),
    name: String(name),
    lastValue: lastValue === null ? null : String(lastValue),
    ascending: ascending === 't',
    cycles: cycles === 't',
  }));
}

/** The names of the relations with these oids, as the session's catalog has them. */
export async function relationsByOid(session: PsqlSession, oids: readonly number[]): Promise<TableName[]> {
  if (oids.length === 0) return [];
  const rows = await session.query(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(${oidArray(oids)}) ORDER BY 1, 2`,
  );
  return rows.map(([schema, name]) => ({ schema: String(schema), name: String(name) }));
}

/** The database's materialized views. */
export async function materializedViews(session: PsqlSession): Promise<TableName[]> {
  const rows = await session.query(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND ${USER_SCHEMAS} ORDER BY 1, 2`,
  );
  return rows.map(([schema, name]) => ({ schema: String(schema), name: String(name) }));
}

/** Refreshes materialized views, as a restore does, so their rows come from the restored tables. */
export async function refreshMaterializedViews(session: PsqlSession, views: readonly TableName[]): Promise<void> {
  for (const view of views) await session.query(`REFRESH MATERIALIZED VIEW ${qualifiedName(view)}`);
}
