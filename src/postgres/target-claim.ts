import { ConfigurationError, errorMessage } from '../errors.js';
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
export const CLAIM_KEY = 0x64726176; // 'drav'

/** The target's name claimed on its server for as long as the run lasts; release() ends the claim. */
export interface TargetClaim {
  release(): Promise<void>;
  /** The keepalive of the claim's session as the server reports it: how soon it ends the claim of a lost runner. */
  keepalive: ServerKeepalive;
  /**
   * Proves that this run's session still holds the claim, or throws ClaimLostError (and ends the
   * session): called right before each step that cannot be undone, since the claim can end while
   * the run goes on (see ClaimLostError).
   */
  assertHeld(step: ClaimedStep): Promise<void>;
  /** Whether this run's session still holds the claim (proven as assertHeld proves it); a lost claim's session is ended. */
  isHeld(): Promise<boolean>;
}

/** What the message of a lost claim says: the step it stopped before, what the run had done, how to go on. */
export interface ClaimedStep {
  /** The step not taken, as in "before renaming the databases". */
  before: string;
  /** What this run had done until then. */
  done: string;
  /** How to go on: what a re-run does. */
  next: string;
}

/**
 * The claim ended while the run went on: its session is gone or no longer holds the lock. Another
 * run may hold it now, so the run stops before the step it was about to take.
 */
export class ClaimLostError extends Error {
  override name = 'ClaimLostError';
}

/** How long the claim's session gets to answer before the claim counts as lost: the server answers such a query in milliseconds. */
export const CLAIM_CHECK_MS = 10_000;

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
  const display = name === target.database ? target.display : name;
  return {
    // A claim that cannot be closed cleanly still ends with the connection, when the process exits.
    release: () => session.close().catch(() => undefined),
    keepalive: applied,
    assertHeld: (step) => assertHeld(session, name, display, step),
    isHeld: async () => (await lostBecause(session, name)) === undefined,
  };
}

/**
 * Why the session no longer proves the claim, or undefined when it does: it answers within
 * CLAIM_CHECK_MS that it holds the lock (pg_locks of its own backend).
 */
async function whyNotHeld(session: PsqlSession, name: string): Promise<string | undefined> {
  const held = `SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
      AND classid = ${CLAIM_KEY} AND objid = ${nameKey(name)}::oid AND objsubid = 2)`;
  const answer = session.value(held).then(
    (value) => (value === 't' ? undefined : 'its session is connected but no longer holds the lock'),
    (error: unknown) => `its session has ended (${errorMessage(error).split('\n')[0] ?? ''})`,
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`its session did not answer within ${CLAIM_CHECK_MS / 1000} s`), CLAIM_CHECK_MS);
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Why the claim is lost, its session ended then; undefined while it is held. */
async function lostBecause(session: PsqlSession, name: string): Promise<string | undefined> {
  const why = await whyNotHeld(session, name);
  if (why !== undefined) session.abandon();
  return why;
}

async function assertHeld(session: PsqlSession, name: string, display: string, step: ClaimedStep): Promise<void> {
  const why = await lostBecause(session, name);
  if (why === undefined) return;
  throw new ClaimLostError(
    `this run's claim on ${display} was lost before ${step.before}: ${why}. ` +
      "A claim ends when the runner's network stalls for over a minute, when the server restarts or fails over, " +
      'or when its session is terminated (pg_terminate_backend); another run may hold it now, so this run stopped here ' +
      `and changed nothing further. Done so far: ${step.done}. ${step.next}`,
  );
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
