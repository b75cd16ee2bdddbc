import type { PsqlSession } from './psql-session.js';

/**
 * How soon the server ends the session of a client that vanished without a word (the runner's
 * machine lost power, its network was cut): the server sees no FIN or RST, so by default it keeps
 * the session, and every session-level advisory lock it holds, until the operating system's TCP
 * keepalive gives up (on Linux 2 h of silence, then 9 probes 75 s apart: 2 h 11 min), and every
 * re-run during the outage is refused. These are the session's own settings of the server's socket
 * (user-settable, RDS included); they apply to TCP connections only (over a Unix socket, where the
 * client is on the server's machine, they read 0).
 */
export interface ServerKeepalive {
  /** Seconds of silence from the client before the server's first probe (tcp_keepalives_idle). */
  idleSeconds: number;
  /** Seconds between unanswered probes (tcp_keepalives_interval). */
  intervalSeconds: number;
  /** Unanswered probes after which the server drops the connection (tcp_keepalives_count). */
  count: number;
  /**
   * How long what the server sent may stay unacknowledged before it drops the connection
   * (tcp_user_timeout, ms). On Linux it also replaces the count: a silent client is dropped at the
   * first probe once this long has passed since it was last heard, so it matches idle + interval x count.
   */
  userTimeoutMs: number;
}

/**
 * A claim's session: a lost runner's claim ends within a minute of its last packet (30 s of
 * silence, then 3 probes 10 s apart), so a re-run during an outage is refused for a minute, not
 * two hours. Shorter would end the claim of a runner whose network merely stalled, while the run
 * goes on believing it holds it; a minute is also as long as an RDS Multi-AZ failover (60-120 s),
 * which ends the session anyway. The probes cost one empty packet every 10 s.
 */
export const CLAIM_KEEPALIVE: ServerKeepalive = {
  idleSeconds: 30,
  intervalSeconds: 10,
  count: 3,
  userTimeoutMs: 60_000,
};

const SETTINGS: Record<keyof ServerKeepalive, string> = {
  idleSeconds: 'tcp_keepalives_idle',
  intervalSeconds: 'tcp_keepalives_interval',
  count: 'tcp_keepalives_count',
  userTimeoutMs: 'tcp_user_timeout',
};

/**
 * Sets the session's keepalive on the server's socket, and returns what the server then reports
 * (pg_settings, in each setting's own unit; all 0 over a Unix socket).
 */
export async function setServerKeepalive(session: PsqlSession, keepalive: ServerKeepalive): Promise<ServerKeepalive> {
  const fields = Object.keys(SETTINGS) as (keyof ServerKeepalive)[];
  const set = fields.map((field) => `SET ${SETTINGS[field]} = ${String(Math.trunc(keepalive[field]))}`).join('; ');
  const shown = fields.map((field) => `(SELECT setting FROM pg_settings WHERE name = '${SETTINGS[field]}')`);
  const [row] = await session.query(`${set}; SELECT ${shown.join(', ')}`);
  return Object.fromEntries(fields.map((field, i) => [field, Number(row?.[i])])) as unknown as ServerKeepalive;
}
