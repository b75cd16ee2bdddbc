import { ConfigurationError } from '../errors.js';
import type { ConnectionTokens, DatabaseTarget } from './connection.js';

/** How the action signs in to its databases: the URL's password, or an IAM token per connection (RDS). */
export type DatabaseAuth = 'password' | 'iam';

export const DATABASE_AUTH_INPUT = 'database-auth';

export function parseDatabaseAuth(text: string, inputName = DATABASE_AUTH_INPUT): DatabaseAuth {
  const value = text.trim() || 'password';
  if (value === 'password' || value === 'iam') return value;
  throw new ConfigurationError(
    `${inputName} must be password (the database URL's own) or iam (an RDS IAM token per connection), got '${value}'`,
  );
}

/**
 * The target as `auth` says to connect to it. With iam the URL must name the database user the
 * token is signed for and hold no password (a stored password is what IAM authentication replaces);
 * RDS takes IAM tokens only over TLS, so without an sslmode in the URL or PGSSLMODE the connection
 * requires TLS, and verifies the server against the URL's sslrootcert when it names one.
 */
export function withDatabaseAuth(
  target: DatabaseTarget,
  auth: DatabaseAuth,
  tokens: () => ConnectionTokens,
  inputName: string,
  env: NodeJS.ProcessEnv = process.env,
): DatabaseTarget {
  if (auth === 'password') return target;
  if (target.password !== undefined) {
    throw new ConfigurationError(
      `${inputName} holds a password, but ${DATABASE_AUTH_INPUT} is iam: remove the password from the URL (each connection signs in with an IAM token), or set ${DATABASE_AUTH_INPUT}: password`,
    );
  }
  if (!target.user) {
    throw new ConfigurationError(
      `${inputName} names no user, which ${DATABASE_AUTH_INPUT}: iam needs (an IAM token is signed for one database user): e.g. postgres://dr_backup@host:5432/${target.database}`,
    );
  }
  return { ...target, url: withTlsForIam(target.url, env), auth: tokens() };
}

function withTlsForIam(text: string, env: NodeJS.ProcessEnv): string {
  const url = new URL(text);
  if (url.searchParams.has('sslmode') || env.PGSSLMODE) return text;
  url.searchParams.set('sslmode', url.searchParams.has('sslrootcert') ? 'verify-full' : 'require');
  return url.toString();
}
