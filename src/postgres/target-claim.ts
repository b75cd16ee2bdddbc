import { ConfigurationError } from '../errors.js';
import type { DatabaseTarget } from './connection.js';
import { quoteLiteral } from './identifiers.js';
import type { Row } from './psql-protocol.js';
import { runPsqlScript, type PsqlScriptOptions } from './psql-script.js';
import type { PsqlSession } from './psql-session.js';
import { openMaintenance } from './scratch-database.js';
import { CLAIM_KEEPALIVE, setServerKeepalive, type ServerKeepalive } from './server-keepalive.js';

/**
 * The first key of the advisory lock a run holds on the name of a database it creates: two
 * restore-verify runs that name one scratch database on one server would otherwise restore into it
 * together, and the first to finish would drop it under the other; two recoveries of one database
 * would rename it under each other.
 */
const CLAIM_KEY = 0x64726176; // 'drav'

/** The target's name claimed on its server for as long as the run lasts; release() ends the claim. */
export interface TargetClaim {
  release(): Promise<void>;
  /** The keepalive of the claim's session as the server reports it: how soon it ends the claim of a lost runner. */
  keepalive: ServerKeepalive;
}

/** The lock's second key: the claimed name (the target database's, unless given), hashed by the server. */
function nameKey(name: string): string {
  return `hashtext(${quoteLiteral(name)})`;
}

/**
 * Claims the target database's name (or `name`) on its server (a session-level advisory lock in the
 * maintenance database, so it holds before the database exists and ends with the session, also
 * when the run is killed, and within about a minute when the runner is lost: see `keepalive`).
 * Refuses when another session holds it, with `refusal`'s message (given who holds it).
 */
export async function claimTarget(
  target: DatabaseTarget,
  psqlPath: string,
  refusal: (holder: string) => string = restoreVerifyRefusal(target),
  name = target.database,
  keepalive = CLAIM_KEEPALIVE,
): Promise<TargetClaim> {
  const session = await openMaintenance(target, psqlPath);
  let applied: ServerKeepalive;
  try {
    applied = await setServerKeepalive(session, keepalive);
    if ((await session.value(`SELECT pg_try_advisory_lock(${CLAIM_KEY}, ${nameKey(name)})`)) !== 't') {
      throw new ConfigurationError(refusal(await describeHolder(session, name)));
    }
  } catch (error) {
    await session.close();
    throw error;
  }
  // A claim that cannot be closed cleanly still ends with the connection, when the process exits.
  return { release: () => session.close().catch(() => undefined), keepalive: applied };
}

function restoreVerifyRefusal(target: DatabaseTarget): (holder: string) => string {
  return (holder) =>
    `another restore-verify run is using the target database ${target.display} (${holder}); ` +
    'runs that name one database on one server must not overlap: give each its own target database, or put them in one concurrency group';
}

/** The session holding the claim on `name`: its server process and when it connected (pg_locks and pg_stat_activity cover the whole server). */
function holderQuery(name: string): string {
  return `SELECT a.pid, to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM pg_locks l JOIN pg_stat_activity a USING (pid)
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${CLAIM_KEY} AND l.objid = ${nameKey(name)}::oid AND l.objsubid = 2`;
}

const holderText = (holder: Row) => `server process ${holder[0]}, connected since ${holder[1]}`;

async function describeHolder(session: PsqlSession, name: string): Promise<string> {
  const [holder] = await session.query(holderQuery(name));
  return holder ? holderText(holder) : 'its session has just ended';
}

/**
 * Who holds the claim on `name` on the target's server, read without taking it (one connection,
 * one query): undefined when no one does. Throws when the server cannot be asked.
 */
export async function findClaimHolder(
  target: DatabaseTarget,
  name: string,
  options: PsqlScriptOptions,
): Promise<string | undefined> {
  const result = await runPsqlScript(target, `${holderQuery(name)};\n`, options);
  if (!result.ok) throw new Error(result.error);
  const [holder] = result.rows;
  return holder ? holderText(holder) : undefined;
}
