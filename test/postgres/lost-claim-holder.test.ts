import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { findClient } from '../../src/postgres/binaries.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../../src/postgres/connection.js';
import { PsqlSession } from '../../src/postgres/psql-session.js';
import { CLAIM_KEEPALIVE, type ServerKeepalive } from '../../src/postgres/server-keepalive.js';
import { CLAIM_CHECK_MS, claimTarget, type TargetClaim } from '../../src/postgres/target-claim.js';
import { ConfigurationError } from '../../src/errors.js';
import { startPostgres, type PostgresServer } from '../../harness/postgres.js';
import { stackFromEnv } from '../../harness/stack.js';
import { startVanishingNetwork, type VanishingNetwork } from '../../harness/vanishing-network.js';
import { waitUntil } from '../../harness/wait.js';

jest.setTimeout(120_000);

test("a claim's session asks the server to drop a silent runner within a minute (30 s, then 3 probes 10 s apart)", async () => {
  const psql = (await findClient('psql')).path;
  const claim = await claimTarget(
    parseDatabaseUrl(stackFromEnv().postgresUrl('postgres'), 'url'),
    psql,
    undefined,
    'keepalive-shown',
  );
  try {
    expect(CLAIM_KEEPALIVE).toEqual({ idleSeconds: 30, intervalSeconds: 10, count: 3, userTimeoutMs: 60_000 });
    // Read back from the claim's own session over TCP: the server applied them to its socket.
    expect(claim.keepalive).toEqual(CLAIM_KEEPALIVE);
    const { idleSeconds, intervalSeconds, count, userTimeoutMs } = claim.keepalive;
    expect((idleSeconds + intervalSeconds * count) * 1000).toBe(userTimeoutMs);
  } finally {
    await claim.release();
  }
});

describe('a runner that vanishes while it holds a claim (its packets dropped: no FIN, no RST)', () => {
  let network: VanishingNetwork;
  let server: PostgresServer;
  let observer: PsqlSession;
  let local: DatabaseTarget;

  beforeAll(async () => {
    network = await startVanishingNetwork();
    server = await startPostgres({
      network: { enter: network.inServerNetwork, address: network.serverAddress, client: network.clientAddress },
      settings: { max_connections: '20', shared_buffers: "'16MB'" },
    });
    // The observer and a second run reach the server over its Unix socket, which the cut does not touch.
    local = parseDatabaseUrl(
      `postgres:///postgres?host=${server.baseDir}&port=${String(server.port)}&user=postgres`,
      'url',
    );
    observer = await PsqlSession.open(local);
  });

  afterAll(async () => {
    await observer?.close();
    await server?.stop();
    await network?.stop();
  });

  /** What a runner that vanishes the second after it claimed may keep: the product's values made short. */
  const SHORT: ServerKeepalive = { idleSeconds: 1, intervalSeconds: 1, count: 2, userTimeoutMs: 3_000 };

  const heldBy = async (pid: string): Promise<number> =>
    Number(
      await observer.value(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = ${pid}`),
    );

  test('the server ends its session, and so its claim, within its keepalive, and the next run claims the name', async () => {
    const psql = (await findClient('psql')).path;
    const remote = parseDatabaseUrl(server.url('postgres'), 'url');
    const lost: TargetClaim = await claimTarget(remote, await network.clientCommand(psql), undefined, 'scratch', SHORT);
    expect(lost.keepalive).toEqual(SHORT);
    const pid = String(
      await observer.value(`SELECT pid FROM pg_stat_activity WHERE client_addr = '${network.clientAddress}'`),
    );
    expect(await heldBy(pid)).toBe(1);
    await expect(claimTarget(local, psql, undefined, 'scratch')).rejects.toThrow(ConfigurationError);

    const cutAt = Date.now();
    await network.cut();
    // The runner's psql still runs and its socket stays open: the server hears nothing at all.
    await waitUntil(
      `the server dropped the vanished runner's session ${pid} and its claim`,
      async () => (await heldBy(pid)) === 0,
      {
        timeoutMs: 15_000,
        intervalMs: 100,
      },
    );
    const releasedAfterMs = Date.now() - cutAt;
    // The bound: the user timeout from the runner's last packet (the claim, just before the cut), plus a probe.
    expect(releasedAfterMs).toBeLessThan(SHORT.userTimeoutMs + SHORT.intervalSeconds * 1000 + 2_000);
    expect(await observer.value(`SELECT count(*) FROM pg_stat_activity WHERE pid = ${pid}`)).toBe('0');

    const next = await claimTarget(local, psql, undefined, 'scratch');
    // The runner, cut off, checks its claim before its next irreversible step: no answer comes, and it stops.
    const askedAt = Date.now();
    await expect(lost.assertHeld({ before: 'dropping it', done: 'nothing', next: 'Run again.' })).rejects.toThrow(
      "this run's claim on scratch was lost before dropping it: its session ",
    );
    expect(Date.now() - askedAt).toBeLessThan(CLAIM_CHECK_MS + 2_000);
    await next.release();
    // Abandoned by the check: releasing it does not wait on the unanswered statement.
    await lost.release();
  });
});
