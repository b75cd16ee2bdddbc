/**
 * A wide database, as a schema-per-tenant SaaS has: `tables` tables of `rowsEach` rows, each with
 * a primary key and a text column (so a TOAST table too), spread over schemas of 100 tables.
 * Built in transactions of 250 tables, so building it fits the lock table of a server with
 * PostgreSQL's default max_locks_per_transaction.
 */
import { execa } from 'execa';

export const TABLES_PER_SCHEMA = 100;
const TABLES_PER_TRANSACTION = 250;

/** The schema and name of the i-th table (from 0). */
export function manyTablesName(i: number): { schema: string; name: string } {
  const schema = `tenant_${String(Math.floor(i / TABLES_PER_SCHEMA)).padStart(4, '0')}`;
  return { schema, name: `items_${String(i % TABLES_PER_SCHEMA).padStart(2, '0')}` };
}

export async function createManyTables(url: string, tables: number, rowsEach: number): Promise<void> {
  const statements: string[] = [];
  for (let s = 0; s * TABLES_PER_SCHEMA < tables; s += 1)
    statements.push(`CREATE SCHEMA ${manyTablesName(s * TABLES_PER_SCHEMA).schema};`);
  for (let from = 0; from < tables; from += TABLES_PER_TRANSACTION) {
    const to = Math.min(from + TABLES_PER_TRANSACTION, tables) - 1;
    statements.push(`DO $$ BEGIN FOR i IN ${from}..${to} LOOP
      EXECUTE format('CREATE TABLE tenant_%s.items_%s (id int PRIMARY KEY, note text)', lpad((i / ${TABLES_PER_SCHEMA})::text, 4, '0'), lpad((i % ${TABLES_PER_SCHEMA})::text, 2, '0'));
      EXECUTE format('INSERT INTO tenant_%s.items_%s SELECT g, ''note '' || g FROM generate_series(1, ${rowsEach}) g', lpad((i / ${TABLES_PER_SCHEMA})::text, 4, '0'), lpad((i % ${TABLES_PER_SCHEMA})::text, 2, '0'));
    END LOOP; END $$;`);
  }
  statements.push('VACUUM ANALYZE;');
  await execa('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url], { input: statements.join('\n') });
}
