import { access, readdir, realpath } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { execaProgram } from '../util/child-process.js';
import { ConfigurationError } from '../errors.js';
import { childEnv } from '../util/child-env.js';

export type ClientTool = 'pg_dump' | 'pg_restore' | 'psql';

export interface ClientBinary {
  tool: ClientTool;
  path: string;
  /** As printed by --version, e.g. 15.18 */
  version: string;
  major: number;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(tool: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && (await isExecutable(join(dir, tool)))) return join(dir, tool);
  }
  return undefined;
}

/** Each major version where Debian/Ubuntu (so GitHub's Ubuntu runners) and the RPM packages put it. */
async function versionedInstalls(tool: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for (const entry of await readdir('/usr/lib/postgresql')) {
      const path = join('/usr/lib/postgresql', entry, 'bin', tool);
      if (await isExecutable(path)) found.push(path);
    }
  } catch {
    // not a Debian layout
  }
  try {
    for (const entry of await readdir('/usr')) {
      if (!entry.startsWith('pgsql-')) continue;
      const path = join('/usr', entry, 'bin', tool);
      if (await isExecutable(path)) found.push(path);
    }
  } catch {
    // no RPM layout
  }
  return found;
}

/**
 * Debian's /usr/bin/pg_dump (and psql, pg_restore) is pg_wrapper, a Perl script that picks a
 * version on every call; the binary it picks runs the same without the Perl start-up.
 */
async function withoutWrapper(binary: ClientBinary): Promise<ClientBinary> {
  const real = await realpath(binary.path).catch(() => binary.path);
  if (basename(real) !== 'pg_wrapper') return binary;
  const direct = join('/usr/lib/postgresql', String(binary.major), 'bin', binary.tool);
  return (await isExecutable(direct)) ? { ...binary, path: direct } : binary;
}

export async function describeBinary(tool: ClientTool, path: string): Promise<ClientBinary> {
  const { stdout } = await execaProgram(path, ['--version'], { env: childEnv(), extendEnv: false });
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
  if (!match) throw new Error(`could not read the version of ${path} from: ${stdout}`);
  return { tool, path, version: `${match[1]}${match[2] ? `.${match[2]}` : ''}`, major: Number(match[1]) };
}

/**
 * The client to use against a server of `serverMajor`: the one on PATH when it is new enough,
 * else the oldest installed major that is (the closest match restores most reliably).
 * Without `serverMajor`, the one on PATH.
 */
export async function findClient(
  tool: ClientTool,
  serverMajor?: number,
  serverVersion?: string,
): Promise<ClientBinary> {
  const fromPath = await onPath(tool);
  const candidates: ClientBinary[] = [];
  if (fromPath) candidates.push(await withoutWrapper(await describeBinary(tool, fromPath)));
  if (serverMajor === undefined) {
    if (candidates[0]) return candidates[0];
    throw new ConfigurationError(
      `${tool} was not found on PATH. Install the PostgreSQL client (on Ubuntu: sudo apt-get install postgresql-client).`,
    );
  }
  if (candidates[0] && candidates[0].major >= serverMajor) return candidates[0];
  for (const path of await versionedInstalls(tool)) candidates.push(await describeBinary(tool, path));
  const suitable = candidates.filter((c) => c.major >= serverMajor).sort((a, b) => a.major - b.major);
  if (suitable[0]) return suitable[0];
  const newest = candidates.sort((a, b) => b.major - a.major)[0];
  const have = newest ? `${tool} ${newest.version} (${newest.path})` : `no ${tool}`;
  throw new ConfigurationError(
    `${have} cannot work with the PostgreSQL ${serverVersion ?? serverMajor} server: ${tool}'s major version must be at least the server's (${serverMajor}). ` +
      `Install the PostgreSQL ${serverMajor} client (on Ubuntu runners: sudo apt-get install postgresql-client-${serverMajor} from apt.postgresql.org) ` +
      `or put a ${serverMajor}+ client's bin folder first on PATH.`,
  );
}
