import { randomBytes } from 'node:crypto';
import { sql } from '../helpers/postgres.js';

/**
 * Roles with memberships, settings and grants on tables, schemas and sequences, and a database
 * owned by one of them, on a shared server: roles are cluster-wide and other test files run at the
 * same time, so every name has a random suffix and drop() removes them.
 */
export interface RoleFixture {
  owner: string;
  readers: string;
  app: string;
  /** A login role whose name needs quotes, member of readers. */
  ops: string;
  /** The app role's password on the source server: must never be stored or printed. */
  sourcePassword: string;
  all: string[];
}

export function roleFixture(): RoleFixture {
  const suffix = randomBytes(4).toString('hex');
  const owner = `own_${suffix}`;
  const readers = `rd_${suffix}`;
  const app = `app_${suffix}`;
  const ops = `Ops ${suffix}`;
  return {
    owner,
    readers,
    app,
    ops,
    sourcePassword: `src-pw-${randomBytes(8).toString('hex')}`,
    all: [app, `"${ops}"`, readers, owner],
  };
}

/** Creates the roles on the server of serverUrl and the schema in the database of databaseUrl. */
export async function createRolesAndSchema(
  r: RoleFixture,
  serverUrl: string,
  database: string,
  databaseUrl: string,
): Promise<void> {
  await sql(
    serverUrl,
    `CREATE ROLE ${r.owner} NOLOGIN;
     CREATE ROLE ${r.readers} NOLOGIN;
     CREATE ROLE ${r.app} LOGIN PASSWORD '${r.sourcePassword}' CONNECTION LIMIT 20;
     CREATE ROLE "${r.ops}" LOGIN;
     GRANT ${r.readers} TO ${r.app};
     GRANT ${r.readers} TO "${r.ops}";
     ALTER ROLE ${r.app} SET statement_timeout = '5s';
     ALTER DATABASE ${database} OWNER TO ${r.owner};
     ALTER DATABASE ${database} SET work_mem = '8MB';
     ALTER DATABASE ${database} SET search_path = "$user", app, public;
     ALTER ROLE ${r.readers} IN DATABASE ${database} SET lock_timeout = '7s';
     REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC;
     GRANT CONNECT ON DATABASE ${database} TO ${r.readers};`,
  );
  await sql(
    databaseUrl,
    `CREATE SCHEMA app AUTHORIZATION ${r.owner};
     CREATE TABLE app.items (id serial PRIMARY KEY, name text NOT NULL);
     ALTER TABLE app.items OWNER TO ${r.owner};
     INSERT INTO app.items (name) SELECT 'item ' || g FROM generate_series(1, 25) g;
     GRANT USAGE ON SCHEMA app TO ${r.readers};
     GRANT SELECT ON app.items TO ${r.readers};
     GRANT USAGE, SELECT ON SEQUENCE app.items_id_seq TO ${r.readers};
     ALTER DEFAULT PRIVILEGES FOR ROLE ${r.owner} IN SCHEMA app GRANT SELECT ON TABLES TO ${r.readers};`,
  );
}

/** Drops the fixture's roles from a server (after the databases that use them are gone). */
export async function dropRoles(r: RoleFixture, serverUrl: string): Promise<void> {
  await sql(serverUrl, r.all.map((name) => `DROP ROLE IF EXISTS ${name};`).join('\n'));
}
