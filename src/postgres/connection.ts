import { ConfigurationError } from '../errors.js';
import { childEnv } from '../util/child-env.js';

/** A database to connect to, split so that the password never travels in argv or logs. */
export interface DatabaseTarget {
  /** What libpq gets as --dbname: the user's URL with the password removed. */
  url: string;
  password?: string;
  database: string;
  host: string;
  port: number;
  user?: string;
  /** user@host:port/database, safe to print. */
  display: string;
  /** Set for IAM database authentication: each client gets a fresh token as its password (database-auth.ts). */
  auth?: ConnectionTokens;
}

/** Mints the password of one connection (an IAM token) for the server and user it names. */
export interface ConnectionTokens {
  token(endpoint: { host: string; port: number; user: string }): Promise<string>;
}

const EXAMPLE = 'postgres://user:password@host:5432/database';

function decode(part: string, what: string, inputName: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConfigurationError(
      `${inputName} has a badly percent-encoded ${what}; encode special characters, e.g. @ as %40`,
    );
  }
}

/**
 * Parses postgres:// and postgresql:// URLs. The error messages never include the URL itself,
 * because a URL that fails to parse may still hold a password.
 */
export function parseDatabaseUrl(raw: string, inputName: string): DatabaseTarget {
  const text = raw.trim();
  if (!text) throw new ConfigurationError(`${inputName} is required, e.g. ${EXAMPLE}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError(
      `${inputName} is not a valid URL; expected ${EXAMPLE} (percent-encode special characters in the password)`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigurationError(`${inputName} must start with postgres:// or postgresql://, e.g. ${EXAMPLE}`);
  }
  const database = decode(url.pathname.replace(/^\//, ''), 'database name', inputName);
  if (!database) throw new ConfigurationError(`${inputName} names no database; add it after the host, e.g. ${EXAMPLE}`);
  if (database.includes('/'))
    throw new ConfigurationError(`${inputName} has a '/' in its database name; expected ${EXAMPLE}`);
  const port = url.port ? Number(url.port) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigurationError(`${inputName} has an invalid port; use a number from 1 to 65535`);
  }
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  const user = url.username ? decode(url.username, 'user name', inputName) : undefined;
  const password = takePassword(url, inputName);
  return {
    url: url.toString(),
    password,
    database,
    host,
    port,
    user,
    display: `${user ? `${user}@` : ''}${host}:${port}/${database}`,
  };
}

/**
 * libpq takes a password from the userinfo or from a `password` query parameter; either way it
 * leaves the URL here (so never reaches argv, where any process can read it) for PGPASSWORD.
 */
function takePassword(url: URL, inputName: string): string | undefined {
  const fromUserinfo = url.password ? decode(url.password, 'password', inputName) : undefined;
  const fromQuery = url.searchParams.get('password') ?? undefined;
  if (fromUserinfo !== undefined && fromQuery !== undefined && fromUserinfo !== fromQuery) {
    throw new ConfigurationError(
      `${inputName} gives two different passwords (after the user name and as ?password=); keep one`,
    );
  }
  url.password = '';
  url.searchParams.delete('password');
  return fromUserinfo ?? fromQuery;
}

/**
 * Every form in which a database URL input can carry a secret, raw and decoded, for masking
 * before the input is parsed (a URL that fails to parse may still hold one).
 */
export function secretsInDatabaseUrl(raw: string): string[] {
  const secrets = new Set<string>();
  const add = (value: string | undefined) => {
    if (!value) return;
    secrets.add(value);
    try {
      secrets.add(decodeURIComponent(value.replace(/\+/g, ' ')));
      secrets.add(decodeURIComponent(value));
    } catch {
      // not validly percent-encoded: the raw form is enough
    }
  };
  const text = raw.trim();
  add(/^[a-z]+:\/\/[^:/@]*:([^@]*)@/i.exec(text)?.[1]);
  for (const match of text.matchAll(/[?&](?:ssl)?password=([^&#]*)/gi)) add(match[1]);
  return [...secrets];
}

/** The same server and credentials, another database (for CREATE/DROP DATABASE from a maintenance database). */
export function withDatabase(target: DatabaseTarget, database: string): DatabaseTarget {
  const url = new URL(target.url);
  url.pathname = `/${encodeURIComponent(database)}`;
  return { ...target, url: url.toString(), database, display: target.display.replace(/\/[^/]*$/, `/${database}`) };
}

/** Environment for libpq clients: the password travels here, never in argv. */
export function libpqEnv(target: DatabaseTarget, password = target.password): Record<string, string> {
  const env: Record<string, string> = {};
  if (password !== undefined) env.PGPASSWORD = password;
  // A dead host should fail in seconds, not hang a job; a connect_timeout in the URL wins.
  if (!process.env.PGCONNECT_TIMEOUT) env.PGCONNECT_TIMEOUT = '15';
  return env;
}

/**
 * The password one new client connects with: a fresh IAM token when the target uses IAM
 * authentication (a token per process, so none outlives its 15 minutes before it is used), else
 * the URL's password.
 */
export async function connectionPassword(target: DatabaseTarget): Promise<string | undefined> {
  if (!target.auth) return target.password;
  if (!target.user) throw new Error(`IAM authentication needs a user name in the URL of ${target.display}`);
  return target.auth.token({ host: target.host, port: target.port, user: target.user });
}

/**
 * The whole environment of a PostgreSQL client connecting to `target` (util/child-env.ts says what
 * passes of the action's): `own` (PGAPPNAME, PGOPTIONS) and its connection's password (or IAM
 * token) as PGPASSWORD. Without a password in the URL nor IAM authentication, a PGPASSWORD the
 * step was given is the one it connects with, as libpq would use it.
 */
export async function clientEnv(
  target: DatabaseTarget,
  own: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const password = await connectionPassword(target);
  const inheritedPassword: Record<string, string> =
    password === undefined && env.PGPASSWORD !== undefined ? { PGPASSWORD: env.PGPASSWORD } : {};
  return childEnv({ ...inheritedPassword, ...own, ...libpqEnv(target, password) }, env);
}
