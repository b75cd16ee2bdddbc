import { parseDatabaseUrl } from '../../../src/postgres/connection.js';
import { PsqlSession } from '../../../src/postgres/psql-session.js';
import { DATABASE, EVENTS_BEFORE_CORRUPTION } from '../settings.js';
import type { DrillStep } from '../step.js';
import { backUp } from './backup.js';

const SERVER_NOW = `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
/**
 * The server's clock rounded up to the next millisecond (a recovery point takes milliseconds): after
 * every commit so far. A 2 ms sleep after reading it puts the bad migration's commit after it.
 */
const JUST_BEFORE = `SELECT to_char(date_trunc('milliseconds', clock_timestamp() AT TIME ZONE 'UTC') + interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The plan's database failure: production keeps working after the night's backup (events here, and
 * the payments of the RDS step), then a bad migration deletes rows at a known time. A recovery from
 * the backup brings the deleted rows back and loses what was written since the backup; RDS's
 * point-in-time recovery to the moment just before it (recorded here) keeps those writes.
 *
 * It runs after the failover: the RDS restore and the failover were proven on production before it
 * was damaged (their recovery points and the replica's copy predate it), and the recovery that
 * follows renames production's database, which nothing after it depends on.
 */
export const corruptProduction: DrillStep = {
  name: 'corrupt production: a bad migration deletes the refunded payments',
  needs: [backUp],
  async run(drill) {
    const session = await PsqlSession.open(parseDatabaseUrl(drill.production.url(DATABASE), 'url'));
    try {
      await session.query(
        `INSERT INTO events (id, org_id, user_id, occurred_at, kind, payload)
         SELECT (SELECT max(id) FROM events) + g, (SELECT min(id) FROM organizations), NULL, clock_timestamp(), 'user.login', jsonb_build_object('after_backup', g)
         FROM generate_series(1, ${EVENTS_BEFORE_CORRUPTION}) g`,
      );
      const paymentsBefore = Number(await session.value('SELECT count(*) FROM payments'));
      const justBefore = String(await session.value(JUST_BEFORE));
      await session.query('SELECT pg_sleep(0.002)');
      // The migration meant to archive refunds, run without its archive table: the rows are gone.
      const deleted = Number(
        await session.value(
          `WITH gone AS (DELETE FROM payments WHERE status = 'refunded' RETURNING 1) SELECT count(*) FROM gone`,
        ),
      );
      const at = String(await session.value(SERVER_NOW));
      if (deleted === 0) throw new Error('the bad migration found no refunded payment to delete');
      drill.corruption = { at, justBefore, paymentsBefore, deleted, eventsAfterBackup: EVENTS_BEFORE_CORRUPTION };
      return `${EVENTS_BEFORE_CORRUPTION} events written after the backup, then (recovery point ${justBefore}) at ${at} DELETE FROM payments WHERE status = 'refunded' removed ${deleted} of ${paymentsBefore} payments`;
    } finally {
      await session.close();
    }
  },
};
