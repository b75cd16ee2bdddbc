import { afterAll, beforeAll } from '@jest/globals';
import { createDatabase, dropDatabase, sql } from './postgres.js';

/**
 * A small SaaS-like schema with the column types backups must carry intact: text, jsonb, bytea,
 * numeric, timestamptz, uuid; a foreign key, a partitioned table, and a table large enough
 * (`largeRows`) to span several pg_dump data blocks.
 */
export async function loadSampleData(url: string, largeRows = 20_000): Promise<void> {
  await sql(
    url,
    `
    CREATE TABLE organizations (id bigserial PRIMARY KEY, name text NOT NULL, settings jsonb NOT NULL DEFAULT '{}');
    CREATE TABLE users (id bigserial PRIMARY KEY, org_id bigint NOT NULL REFERENCES organizations(id), email text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL, avatar bytea);
    CREATE TABLE payments (id uuid PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), amount numeric(12,2) NOT NULL, paid_at timestamptz)
      ;
    CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, payload jsonb) PARTITION BY RANGE (at);
    CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE SCHEMA "Billing Archive";
    CREATE TABLE "Billing Archive"."Old ""Invoices""" (id int PRIMARY KEY, note text);

    INSERT INTO organizations (name, settings)
      SELECT 'org ' || g, jsonb_build_object('plan', CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'free' END, 'seats', g) FROM generate_series(1, 50) g;
    INSERT INTO users (org_id, email, created_at, avatar)
      SELECT 1 + g % 50, 'user' || g || '@example.com', timestamptz '2026-01-01' + g * interval '1 minute',
             CASE WHEN g % 10 = 0 THEN decode(md5(g::text), 'hex') END
      FROM generate_series(1, ${largeRows}) g;
    INSERT INTO payments (id, user_id, amount, paid_at)
      SELECT md5('p' || g)::uuid, 1 + g % ${largeRows}, (g % 1000) / 7.0, timestamptz '2026-02-01' + g * interval '1 hour'
      FROM generate_series(1, 2000) g;
    INSERT INTO events (id, at, payload)
      SELECT g, timestamptz '2026-03-01' + g * interval '1 second', jsonb_build_object('kind', 'login', 'n', g, 'text', repeat('x', g % 40))
      FROM generate_series(1, 5000) g;
    INSERT INTO "Billing Archive"."Old ""Invoices""" VALUES (1, 'a|b'), (2, E'line\\nbreak'), (3, NULL);
    `,
  );
}

/** Per-table exact row counts, as schema.name -> rows, for comparing with a manifest. */
export async function rowCounts(url: string): Promise<Record<string, number>> {
  const tables = await sql(
    url,
    `SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const table of tables.split('\n').filter(Boolean)) {
    const [schema, ...rest] = table.split('.');
    const quoted = `"${(schema as string).replace(/"/g, '""')}"."${rest.join('.').replace(/"/g, '""')}"`;
    counts[table] = Number(await sql(url, `SELECT count(*) FROM ONLY ${quoted}`));
  }
  return counts;
}

/** A digest of every table's full contents, to prove a restored copy equals its source. */
export async function contentDigest(url: string): Promise<Record<string, string>> {
  const tables = Object.keys(await rowCounts(url));
  const digests: Record<string, string> = {};
  for (const table of tables) {
    const [schema, ...rest] = table.split('.');
    const quoted = `"${(schema as string).replace(/"/g, '""')}"."${rest.join('.').replace(/"/g, '""')}"`;
    digests[table] = await sql(
      url,
      `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM ONLY ${quoted} t`,
    );
  }
  return digests;
}

/**
 * A database holding the sample data (`largeRows` rows in the large table), created before the tests
 * of the file or describe block that calls this and dropped after them. Read its name and url inside tests.
 */
export function sampleDatabase(prefix: string, largeRows?: number): { readonly name: string; readonly url: string } {
  let database: { name: string; url: string } | undefined;
  beforeAll(async () => {
    database = await createDatabase(prefix);
    await loadSampleData(database.url, largeRows);
  });
  afterAll(async () => {
    if (database) await dropDatabase(database.name);
  });
  const created = () => {
    if (!database) throw new Error(`the ${prefix} sample database is read before its beforeAll ran`);
    return database;
  };
  return {
    get name() {
      return created().name;
    },
    get url() {
      return created().url;
    },
  };
}
