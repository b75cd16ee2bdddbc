import { findClient } from '../../src/postgres/binaries.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { PsqlError, PsqlSession } from '../../src/postgres/psql-session.js';
import { ConfigurationError } from '../../src/errors.js';
import { newestClientMajor } from '../helpers/clients.js';
import { stackFromEnv } from '../../harness/stack.js';

test('one psql process answers statement after statement, keeping its session', async () => {
  const session = await PsqlSession.open(parseDatabaseUrl(stackFromEnv().postgresUrl('postgres'), 'url'));
  try {
    expect(await session.query("SELECT 1, NULL, '', E'a\\nb', 'x|y'")).toEqual([['1', null, '', 'a\nb', 'x|y']]);
    expect(await session.query('SELECT 1 WHERE false')).toEqual([]);
    expect(await session.query("SELECT ''")).toEqual([['']]);
    expect(await session.query('SELECT g FROM generate_series(1, 3) g')).toEqual([['1'], ['2'], ['3']]);
    await session.query('CREATE TEMP TABLE kept (x int); INSERT INTO kept VALUES (7)');
    expect(await session.value('SELECT x FROM kept')).toBe('7');
  } finally {
    await session.close();
  }
});

test("an SQL error rejects with PostgreSQL's message, and the session is then closed", async () => {
  const session = await PsqlSession.open(parseDatabaseUrl(stackFromEnv().postgresUrl('postgres'), 'url'));
  await expect(session.query('SELECT 1/0')).rejects.toThrow(new PsqlError('ERROR:  division by zero'));
  await expect(session.query('SELECT 1')).rejects.toThrow('division by zero');
  await session.close();
});

test("a wrong password fails with libpq's message, without the password", async () => {
  const url = new URL(stackFromEnv().postgresUrl('postgres'));
  url.password = 'wrong-secret-xyz';
  await expect(PsqlSession.open(parseDatabaseUrl(url.toString(), 'url'))).rejects.toThrow(
    /password authentication failed for user "postgres"/,
  );
  await PsqlSession.open(parseDatabaseUrl(url.toString(), 'url')).catch((error: Error) =>
    expect(error.message).not.toContain('wrong-secret-xyz'),
  );
});

test('a client older than the server is refused with both versions and the fix', async () => {
  const newest = await newestClientMajor('pg_dump');
  const promise = findClient('pg_dump', 99, '99.1');
  await expect(promise).rejects.toBeInstanceOf(ConfigurationError);
  await expect(findClient('pg_dump', 99, '99.1')).rejects.toThrow(
    new RegExp(
      `^pg_dump ${newest}\\.\\d+ \\(.*\\) cannot work with the PostgreSQL 99\\.1 server: pg_dump's major version must be at least the server's \\(99\\)\\. Install the PostgreSQL 99 client`,
    ),
  );
  expect((await findClient('pg_dump', newest, `${newest}.0`)).major).toBe(newest);
});
