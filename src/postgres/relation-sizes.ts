import { qualifiedName, type TableName } from './identifiers.js';
import type { PsqlSession } from './psql-session.js';

/**
 * Each table's pg_total_relation_size (heap, TOAST, indexes), keyed by its qualified name. Each
 * size releases its table's lock as soon as it is read, so the snapshot's transaction does not
 * hold a lock on every table while pg_dump runs.
 */
export async function tableSizes(session: PsqlSession): Promise<Map<string, number>> {
  const rows = await session.query(
    `SELECT n.nspname, c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'm')`,
  );
  return new Map(
    rows.map(([schema, name, size]) => [qualifiedName({ schema: String(schema), name: String(name) }), Number(size)]),
  );
}

/**
 * The table that owns each owned sequence (a serial's, an identity column's), keyed by the
 * sequence's qualified name: pg_dump dumps such a sequence's value with its table.
 */
export async function sequenceOwners(session: PsqlSession): Promise<Map<string, TableName>> {
  const rows = await session.query(
    `SELECT sn.nspname, s.relname, tn.nspname, t.relname FROM pg_depend d
     JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
     JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')`,
  );
  return new Map(
    rows.map(([schema, name, tableSchema, table]) => [
      qualifiedName({ schema: String(schema), name: String(name) }),
      { schema: String(tableSchema), name: String(table) },
    ]),
  );
}
