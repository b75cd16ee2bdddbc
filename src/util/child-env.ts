/**
 * What a child process gets of the action's environment: an allow-list, never the whole of it.
 * The action's environment holds its inputs (INPUT_DATABASE-URL, INPUT_ROLE-PASSWORDS, ...), the
 * runner's tokens (ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_TOKEN) and AWS credentials;
 * pg_dump, pg_dumpall, pg_restore, psql and the smoke command need none of them. This file is the
 * one place that says what passes.
 */

/** What any program needs to run as the runner's user: where programs are, home, temp, locale and time zone. */
const SYSTEM_VARIABLES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TMP',
  'TEMP',
  'TZ',
  'LANG',
  'LANGUAGE',
]);
const LOCALE_VARIABLE = /^LC_[A-Z_]+$/;

/**
 * libpq's settings for how to reach and trust a server (TLS, Kerberos/GSS, pass and service files,
 * timeouts, session defaults), read by every client. PGPASSWORD is not among them: a client gets
 * its own connection's password.
 */
const LIBPQ_SETTINGS = new Set([
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGPASSFILE',
  'PGSERVICE',
  'PGSERVICEFILE',
  'PGSYSCONFDIR',
  'PGLOCALEDIR',
  'PGOPTIONS',
  'PGAPPNAME',
  'PGCONNECT_TIMEOUT',
  'PGCLIENTENCODING',
  'PGDATESTYLE',
  'PGTZ',
  'PGGEQO',
  'PGTARGETSESSIONATTRS',
  'PGLOADBALANCEHOSTS',
  'PGSSLMODE',
  'PGREQUIRESSL',
  'PGSSLCOMPRESSION',
  'PGSSLCERT',
  'PGSSLKEY',
  'PGSSLCERTMODE',
  'PGSSLROOTCERT',
  'PGSSLCRL',
  'PGSSLCRLDIR',
  'PGSSLSNI',
  'PGSSLMINPROTOCOLVERSION',
  'PGSSLMAXPROTOCOLVERSION',
  'PGSSLNEGOTIATION',
  'PGREQUIREPEER',
  'PGREQUIREAUTH',
  'PGCHANNELBINDING',
  'PGMINPROTOCOLVERSION',
  'PGMAXPROTOCOLVERSION',
  'PGGSSENCMODE',
  'PGKRBSRVNAME',
  'PGGSSLIB',
  'PGGSSDELEGATION',
  // What libpq's TLS (sslrootcert=system) and Kerberos read beneath it: paths, never secrets.
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'KRB5_CONFIG',
  'KRB5CCNAME',
]);

/** libpq variables that say which server, database, user and password: the smoke command gets the restored database's instead. */
export const CONNECTION_VARIABLES = [
  'PGHOST',
  'PGHOSTADDR',
  'PGPORT',
  'PGDATABASE',
  'PGUSER',
  'PGPASSWORD',
  'PGPASSFILE',
  'PGSERVICE',
  'PGSERVICEFILE',
  'PGOPTIONS',
  'DATABASE_URL',
];

function pick(env: NodeJS.ProcessEnv, passes: (name: string) => boolean): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && passes(name)) picked[name] = value;
  return picked;
}

const isSystemVariable = (name: string) => SYSTEM_VARIABLES.has(name) || LOCALE_VARIABLE.test(name);

/** The runner's own variables a program needs to run (PATH, HOME, temp, locale, time zone) and libpq's settings. */
export function baseEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return pick(env, (name) => isSystemVariable(name) || LIBPQ_SETTINGS.has(name));
}

/** The environment of a child process: the base and `own`, the variables the caller gives it. */
export function childEnv(
  own: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  return { ...baseEnv(env), ...own };
}

/** The runner's own variables and libpq's settings, without those that say where to connect: what the smoke command starts from. */
export function commandEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return pick(
    env,
    (name) => isSystemVariable(name) || (LIBPQ_SETTINGS.has(name) && !CONNECTION_VARIABLES.includes(name)),
  );
}
