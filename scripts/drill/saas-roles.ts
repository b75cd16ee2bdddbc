/**
 * The roles a SaaS database lives with, which a dump of it does not hold: an owner role that owns
 * the database, its tables and a sequence (migrations run as it), a read-only group, and the
 * application's login role, a member of the group with writes on the tables it writes and its own
 * settings. The plan's Infrastructure Rebuild must bring all of it back on an empty server, or the
 * application cannot log in.
 */
import { quoteIdent } from '../../src/postgres/identifiers.js';
import { scramVerifier } from '../../src/postgres/role-sql.js';
import { PsqlSession } from '../../src/postgres/psql-session.js';
import type { DatabaseTarget } from '../../src/postgres/connection.js';

export const SAAS_ROLES = { owner: 'saas_owner', readers: 'saas_readonly', app: 'saas_app' } as const;

/** What the application's role sees once it logged in: its role setting and its database's. */
export const APP_SETTINGS = { statement_timeout: '30s', work_mem: '8MB' } as const;

/**
 * Creates the roles on the server of `database` and hands them the sample database's objects.
 * The app role's password is stored as a SCRAM verifier, so the password never reaches the server.
 */
export async function createSaasRoles(database: DatabaseTarget, appPassword: string): Promise<string[]> {
  const { owner, readers, app } = SAAS_ROLES;
  const name = quoteIdent(database.database);
  const session = await PsqlSession.open(database, { secrets: [appPassword] });
  try {
    const tables = (
      await session.query(
        "SELECT quote_ident(relname) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY relname",
      )
    ).map((row) => row[0] as string);
    const statements = [
      `CREATE ROLE ${owner} NOLOGIN`,
      `CREATE ROLE ${readers} NOLOGIN`,
      `CREATE ROLE ${app} LOGIN CONNECTION LIMIT 50 PASSWORD '${scramVerifier(appPassword)}'`,
      `GRANT ${readers} TO ${app}`,
      `ALTER ROLE ${app} SET statement_timeout = '${APP_SETTINGS.statement_timeout}'`,
      `ALTER DATABASE ${name} OWNER TO ${owner}`,
      `ALTER DATABASE ${name} SET work_mem = '${APP_SETTINGS.work_mem}'`,
      `REVOKE CONNECT ON DATABASE ${name} FROM PUBLIC`,
      `GRANT CONNECT ON DATABASE ${name} TO ${readers}`,
      ...tables.map((table) => `ALTER TABLE ${table} OWNER TO ${owner}`),
      `CREATE SEQUENCE invoice_numbers START 1000`,
      `ALTER SEQUENCE invoice_numbers OWNER TO ${owner}`,
      `GRANT USAGE ON SCHEMA public TO ${readers}`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${readers}`,
      `GRANT INSERT, UPDATE ON payments, events TO ${app}`,
      `GRANT USAGE, SELECT ON SEQUENCE invoice_numbers TO ${app}`,
    ];
    for (const sql of statements) await session.query(sql);
    return [owner, readers, app];
  } finally {
    await session.close();
  }
}
