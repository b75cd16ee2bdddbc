import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { stackFromEnv } from '../../harness/stack.js';

/** A fresh, unique database on the stack's server; returns its URL. */
export async function createDatabase(prefix = 'db'): Promise<{ name: string; url: string }> {
  const stack = stackFromEnv();
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await sql(stack.postgresUrl('postgres'), `CREATE DATABASE ${name}`);
  return { name, url: stack.postgresUrl(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await sql(stackFromEnv().postgresUrl('postgres'), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** Runs SQL with psql (ON_ERROR_STOP) and returns unaligned, tuples-only output. */
export async function sql(url: string, text: string): Promise<string> {
  const { stdout } = await execa('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url], { input: text });
  return stdout.trim();
}

export async function databaseExists(name: string): Promise<boolean> {
  const found = await sql(
    stackFromEnv().postgresUrl('postgres'),
    `SELECT 1 FROM pg_database WHERE datname = '${name.replace(/'/g, "''")}'`,
  );
  return found === '1';
}
