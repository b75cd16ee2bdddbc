import { randomBytes } from 'node:crypto';
import { errorMessage } from '../errors.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import { quoteIdent } from '../postgres/identifiers.js';
import { PsqlSession } from '../postgres/psql-session.js';
import { withSession } from '../postgres/with-session.js';
import { pollUntil, type Backoff } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';

/**
 * How far the replica is behind its source, as far as the replica can tell.
 * - measured: seconds, with the basis of the figure;
 * - unknown: the replica cannot say (never reported as zero);
 * - not-applicable: the server is not in recovery (already a primary).
 */
export type ReplicationLag =
  | { state: 'measured'; seconds: number; basis: string }
  | { state: 'unknown'; reason: string }
  | { state: 'not-applicable'; reason: string };

export interface ReplicaDatabaseState {
  serverVersion: string;
  inRecovery: boolean;
  lag: ReplicationLag;
  /** pg_stat_wal_receiver.status ('streaming', ...), null when no receiver runs or it is not visible to this user. */
  receiverStatus: string | null;
  replayPaused: boolean | null;
}

const FACTS = `SELECT
  current_setting('server_version'),
  pg_is_in_recovery(),
  CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()::text END,
  CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END,
  CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() END,
  CASE WHEN pg_is_in_recovery() THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END,
  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END,
  (SELECT status FROM pg_stat_wal_receiver LIMIT 1)`;

export interface LagFacts {
  inRecovery: boolean;
  receiveLsn: string | null;
  replayLsn: string | null;
  caughtUp: boolean | null;
  /** now() - pg_last_xact_replay_timestamp(), in seconds; null before the first replayed commit. */
  replayAgeSeconds: number | null;
  receiverStatus: string | null;
}

/**
 * Replication lag from what a standby knows about itself.
 *
 * When everything received has been replayed, the replica holds all it was sent: the lag is 0 by
 * definition, even when the last replayed commit is old (an idle source sends no commits, and
 * now() - pg_last_xact_replay_timestamp() would grow forever on a replica that is fully current).
 * What the source committed and never sent is invisible from here; when the WAL receiver is not
 * streaming that gap can be large, which the basis says.
 *
 * Otherwise the lag is the age of the last replayed commit; with no commit replayed since the
 * server started there is no figure, and the lag is unknown, never zero.
 */
export function lagFromFacts(facts: LagFacts): ReplicationLag {
  if (!facts.inRecovery)
    return { state: 'not-applicable', reason: 'the server is not in recovery: it is a primary already' };
  const receiver = facts.receiverStatus ? `WAL receiver ${facts.receiverStatus}` : 'no WAL receiver visible';
  if (facts.caughtUp === true) {
    const caveat =
      facts.receiverStatus === 'streaming' ? '' : '; the source may have committed more that never arrived';
    return {
      state: 'measured',
      seconds: 0,
      basis: `replay has caught up with all WAL received (${facts.receiveLsn}, ${receiver})${caveat}`,
    };
  }
  if (facts.replayAgeSeconds !== null) {
    return {
      state: 'measured',
      seconds: Math.max(0, Math.round(facts.replayAgeSeconds * 1000) / 1000),
      basis: `age of the last replayed transaction, now() - pg_last_xact_replay_timestamp() (replayed ${facts.replayLsn ?? '?'} of ${facts.receiveLsn ?? 'no streamed WAL'}, ${receiver})`,
    };
  }
  return {
    state: 'unknown',
    reason: `no transaction has been replayed since the replica started (pg_last_xact_replay_timestamp() is NULL) and replay is behind (${facts.replayLsn ?? '?'} of ${facts.receiveLsn ?? 'no streamed WAL'}, ${receiver})`,
  };
}

export async function readReplicaDatabase(target: DatabaseTarget, psqlPath: string): Promise<ReplicaDatabaseState> {
  return withSession(PsqlSession.open(target, { psqlPath }), async (session) => {
    const [row] = await session.query(FACTS);
    const [version, inRecovery, receiveLsn, replayLsn, caughtUp, replayAge, paused, receiverStatus] = row ?? [];
    const facts: LagFacts = {
      inRecovery: inRecovery === 't',
      receiveLsn: receiveLsn ?? null,
      replayLsn: replayLsn ?? null,
      caughtUp: caughtUp === null || caughtUp === undefined ? null : caughtUp === 't',
      replayAgeSeconds: replayAge === null || replayAge === undefined ? null : Number(replayAge),
      receiverStatus: receiverStatus ?? null,
    };
    return {
      serverVersion: version ?? 'unknown',
      inRecovery: facts.inRecovery,
      lag: lagFromFacts(facts),
      receiverStatus: facts.receiverStatus,
      replayPaused: paused === null || paused === undefined ? null : paused === 't',
    };
  });
}

export interface WritableProof {
  /** Checks made until the server left recovery. */
  attempts: number;
  canaryTable: string;
  committedAt: string;
  /** Set when the scratch table could not be dropped: it is left behind and must be dropped by hand. */
  cleanupError?: string;
}

/** The server is still in recovery (or unreachable) when the time ran out: it must not receive traffic. */
export class NotWritableError extends Error {
  override name = 'NotWritableError';
}

/**
 * Waits until the server answers and is out of recovery, then proves it takes writes: a scratch
 * table is created, a row committed and read back, and the table dropped.
 */
export async function proveWritable(
  target: DatabaseTarget,
  psqlPath: string,
  options: { deadline: number; backoff: Backoff; clock?: Clock },
): Promise<WritableProof> {
  const outcome = await pollUntil(
    () =>
      withSession(PsqlSession.open(target, { psqlPath }), async (session) =>
        (await session.value('SELECT pg_is_in_recovery()')) === 'f'
          ? 'primary'
          : 'still in recovery (pg_is_in_recovery() is true)',
      ).catch((error: unknown) => `unreachable: ${errorMessage(error)}`),
    (state) => state === 'primary',
    options,
  );
  if (!outcome.done) {
    throw new NotWritableError(
      `${target.display} is ${outcome.value} after ${outcome.attempts} checks: it is not a writable primary`,
    );
  }
  const canaryTable = `dr_actions_failover_canary_${randomBytes(4).toString('hex')}`;
  const table = quoteIdent(canaryTable);
  return withSession(PsqlSession.open(target, { psqlPath }), async (session) => {
    try {
      await session.query('BEGIN');
      await session.query(
        `CREATE TABLE ${table} (id int PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
      );
      await session.query(`INSERT INTO ${table} (id) VALUES (1)`);
      await session.query('COMMIT');
    } catch (error) {
      throw new NotWritableError(
        `${target.display} left recovery but a canary write did not commit: ${errorMessage(error)}`,
      );
    }
    const committedAt = (await session.value(`SELECT written_at FROM ${table} WHERE id = 1`)) ?? '';
    const cleanupError = await session.query(`DROP TABLE ${table}`).then(
      () => undefined,
      (error: unknown) => errorMessage(error),
    );
    return { attempts: outcome.attempts, canaryTable, committedAt, ...(cleanupError ? { cleanupError } : {}) };
  });
}
