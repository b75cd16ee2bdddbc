import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { readDumpRoles } from '../../src/postgres/dump-roles.js';
import { readDumpContents } from '../../src/postgres/dumped-tables.js';
import { pathClient } from '../helpers/clients.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';

/**
 * The backup reads its table of contents and the roles its dump depends on in one pass over the
 * catalogs: the roles must be exactly those a schema-only plain dump with --create names.
 */

let source: { name: string; url: string };
const suffix = String(process.pid);
const owner = `preview_owner_${suffix}`;
const reader = `preview_reader_${suffix}`;

beforeAll(async () => {
  source = await createDatabase('preview');
  await sql(
    source.url,
    `CREATE ROLE ${owner}; CREATE ROLE ${reader};
     CREATE SCHEMA billing AUTHORIZATION ${owner};
     CREATE TABLE billing.invoices (id int PRIMARY KEY); ALTER TABLE billing.invoices OWNER TO ${owner};
     GRANT SELECT ON billing.invoices TO ${reader};
     CREATE TABLE public.notes (body text); INSERT INTO public.notes VALUES ('a');
     GRANT CONNECT ON DATABASE ${source.name} TO ${reader};
     ALTER DATABASE ${source.name} SET work_mem = '8MB';`,
  );
}, 60_000);

afterAll(async () => {
  await dropDatabase(source.name);
  await sql(
    source.url.replace(/\/[^/]*$/, '/postgres'),
    `DROP ROLE IF EXISTS ${owner}; DROP ROLE IF EXISTS ${reader};`,
  );
});

test('one pass gives the table of contents and the same roles and database statements as a plain schema dump', async () => {
  const pgDump = await pathClient('pg_dump');
  const target = parseDatabaseUrl(source.url, 'database-url');
  const preview = await readDumpContents(pgDump, target, [], { roles: true });
  const separately = await readDumpRoles(pgDump, target, [], true);
  expect(preview.roles).toEqual(separately);
  expect(separately.roles.map((r) => r.name)).toEqual(expect.arrayContaining([owner, reader]));
  expect(separately.databaseSql.join('\n')).toContain('work_mem');
  expect(preview.toc.tableData).toHaveLength(2);
  expect((await readDumpContents(pgDump, target, [])).roles).toBeUndefined();
});
