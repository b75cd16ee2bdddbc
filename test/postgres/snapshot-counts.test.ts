import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { PsqlSession } from '../../src/postgres/psql-session.js';
import { measureInSnapshot, sequencesInSnapshot } from '../../src/postgres/snapshot-counts.js';
import { exportSnapshot } from '../../src/postgres/snapshot.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';

/**
 * The backup's counts, batch by batch in the exported snapshot: exact as of the snapshot, each
 * batch within max_locks_per_transaction (the stack's is PostgreSQL's default, 64).
 */
const TABLES = 120;
let db: { name: string; url: string };

beforeAll(async () => {
  db = await createDatabase('counts');
  // Three indexes each: a count holds four locks to its transaction's end.
  await sql(
    db.url,
    `DO $$ BEGIN FOR i IN 1..${TABLES} LOOP
       EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, a int UNIQUE, b int); CREATE INDEX ON t%1$s (b)', i);
       EXECUTE format('INSERT INTO t%s SELECT g, g, g FROM generate_series(1, %1$s) g', i);
     END LOOP; END $$;`,
  );
}, 120_000);

afterAll(() => dropDatabase(db.name));

const tables = Array.from({ length: TABLES }, (_, i) => ({ schema: 'public', name: `t${i + 1}` }));

/** A session that reports how many relation locks each batch holds once its counts ran (the last branch of its statement). */
function lockCounting(session: PsqlSession, held: number[]): PsqlSession {
  const probe = "SELECT -2, count(*), 0 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'";
  return new Proxy(session, {
    get(target, property) {
      if (property !== 'query') return Reflect.get(target, property) as unknown;
      return async (text: string) => {
        const rows = await target.query(text.replace(/; COMMIT$/, ` UNION ALL ${probe}; COMMIT`));
        for (const [i, n] of rows) if (i === '-2') held.push(Number(n));
        return rows.filter(([i]) => i !== '-2');
      };
    },
  });
}

test('every table counted as the exported snapshot sees it, in batches of at most max_locks_per_transaction locks', async () => {
  const target = parseDatabaseUrl(db.url, 'url');
  const [exporter, counter] = await Promise.all([PsqlSession.open(target), PsqlSession.open(target)]);
  try {
    const snapshot = await exportSnapshot(exporter);
    await sql(db.url, 'INSERT INTO t1 SELECT g, g, g FROM generate_series(1000, 1099) g; DELETE FROM t3');
    const held: number[] = [];
    const facts = await measureInSnapshot(lockCounting(counter, held), snapshot.id, tables, { count: true });

    expect(facts.map((f) => [f.name, f.rows])).toEqual(tables.map((t, i) => [t.name, i + 1]));
    for (const f of facts) expect(f.sizeBytes).toBeGreaterThanOrEqual(4 * 8192);
    const limit = Number(await counter.value("SELECT current_setting('max_locks_per_transaction')"));
    // 4 locks a table, 56 to a batch: 14 tables, so 9 batches after the catalog read.
    expect(held).toHaveLength(1 + Math.ceil(TABLES / 14));
    expect(Math.max(...held)).toBeLessThanOrEqual(limit);
    expect(Math.max(...held)).toBeGreaterThanOrEqual(56);
  } finally {
    await Promise.all([exporter.close(), counter.close()]);
  }
});

test('with row counts off, the sizes alone', async () => {
  const target = parseDatabaseUrl(db.url, 'url');
  const [exporter, counter] = await Promise.all([PsqlSession.open(target), PsqlSession.open(target)]);
  try {
    const snapshot = await exportSnapshot(exporter);
    const facts = await measureInSnapshot(counter, snapshot.id, tables.slice(0, 3), { count: false });
    expect(facts.map((f) => [f.name, f.rows])).toEqual([
      ['t1', null],
      ['t2', null],
      ['t3', null],
    ]);
    for (const f of facts) expect(f.sizeBytes).toBeGreaterThanOrEqual(4 * 8192);
  } finally {
    await Promise.all([exporter.close(), counter.close()]);
  }
});

test("sequences' values read in batches of their own, sorted as PostgreSQL sorts their names", async () => {
  await sql(
    db.url,
    `DO $$ BEGIN FOR i IN 1..100 LOOP
       EXECUTE format('CREATE SEQUENCE "seq %s" START %1$s; SELECT nextval(''"seq %1$s"'')', i);
     END LOOP; END $$;`,
  );
  const oids = (await sql(db.url, "SELECT oid FROM pg_class WHERE relkind = 'S' AND relname LIKE 'seq %'"))
    .split('\n')
    .map(Number);
  const target = parseDatabaseUrl(db.url, 'url');
  const [exporter, reader] = await Promise.all([PsqlSession.open(target), PsqlSession.open(target)]);
  try {
    const snapshot = await exportSnapshot(exporter);
    const statements: string[] = [];
    const counted = new Proxy(reader, {
      get: (session, property) =>
        property === 'query'
          ? (text: string) => (statements.push(text), session.query(text))
          : (Reflect.get(session, property) as unknown),
    });
    const values = await sequencesInSnapshot(counted as PsqlSession, snapshot.id, oids);
    const names = Array.from({ length: 100 }, (_, i) => `seq ${i + 1}`).sort();
    expect(values.map((v) => [v.name, v.lastValue])).toEqual(names.map((n) => [n, n.slice(4)]));
    // 56 sequences to a transaction (max_locks_per_transaction 64 less 8): two, after reading the setting.
    expect(statements.filter((text) => text.startsWith('BEGIN'))).toHaveLength(2);
  } finally {
    await Promise.all([exporter.close(), reader.close()]);
  }
});
