import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe as suite, expect, test } from '@jest/globals';
import { ConfigurationError } from '../../src/errors.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { NotWritableError } from '../../src/failover/replica-database.js';
import { runFailover } from '../../src/failover/run-failover.js';
import { sleep } from '../../src/util/backoff.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { stackFromEnv } from '../../harness/stack.js';
import { startStreamingReplica, type StreamingReplica } from '../../harness/streaming-replica.js';
import {
  createTopology,
  describe,
  recordSets,
  runOptions,
  SECONDARY_REGION,
  settingsFor,
  snapshot,
} from '../../harness/aws-topology.js';
import { waitUntil } from '../../harness/wait.js';
import { IAM_PROXY_REGION, startStackIamProxy } from '../../harness/iam-auth-proxy.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { databaseAuthFor } from '../../src/aws/rds-auth-tokens.js';

let replica: StreamingReplica;
let database: { name: string; url: string };

const onReplica = (text: string) => sql(replica.url(database.name), text);

beforeAll(async () => {
  database = await createDatabase('failover');
  await sql(database.url, 'CREATE TABLE orders (id serial PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now())');
  replica = await startStreamingReplica(stackFromEnv().postgres);
  await waitUntil(
    'the replica has the database',
    async () => (await onReplica("SELECT to_regclass('orders') IS NOT NULL").catch(() => 'f')) === 't',
  );
});

afterAll(async () => {
  await replica?.stop();
  await dropDatabase(database.name);
});

suite('failover against a real streaming replica', () => {
  test('plan measures a real lag and pg_is_in_recovery() true; more lag than max-lag-seconds refuses unless accept-data-loss', async () => {
    // A commit the replica has replayed, then replay paused and more commits received but not replayed.
    await sql(database.url, 'INSERT INTO orders DEFAULT VALUES');
    await waitUntil(
      'the replica replayed the first order',
      async () => (await onReplica('SELECT count(*) FROM orders')) === '1',
    );
    await onReplica('SELECT pg_wal_replay_pause()');
    try {
      await sql(database.url, 'INSERT INTO orders DEFAULT VALUES');
      await waitUntil(
        'WAL is received but not replayed',
        async () => (await onReplica('SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()')) === 't',
      );
      await sleep(1_500);

      const topology = await createTopology();
      const settings = settingsFor(topology, {
        replicaDatabase: parseDatabaseUrl(replica.url(database.name), 'replica-database-url'),
      });
      const plan = await runFailover(runOptions(settings));
      expect(plan.error).toBeUndefined();
      const lag = plan.report.details.replicationLag;
      expect(plan.report.details.inRecoveryAtPreflight).toBe(true);
      expect(lag?.state).toBe('measured');
      const seconds = lag?.state === 'measured' ? lag.seconds : -1;
      expect(seconds).toBeGreaterThanOrEqual(1.5);
      expect(lag?.state === 'measured' && lag.basis).toContain('pg_last_xact_replay_timestamp()');
      expect(plan.report.objectives.find((o) => o.name === 'RPO')).toMatchObject({
        measuredSeconds: seconds,
        targetSeconds: 3600,
        passed: true,
      });
      expect(plan.report.checklist.find((c) => c.key === 'rpo')?.status).toBe('passed');
      expect(JSON.stringify(plan.report)).not.toContain(stackFromEnv().postgres.password);

      const strict = await runFailover(runOptions({ ...settings, maxLagSeconds: 1 }));
      expect(strict.error).toBeInstanceOf(ConfigurationError);
      expect(strict.error?.message).toContain("more than max-lag-seconds (1 s, the plan's RPO)");
      expect(strict.report.checklist.find((c) => c.key === 'rpo')?.status).toBe('failed');

      const accepted = await runFailover(runOptions({ ...settings, maxLagSeconds: 1, acceptDataLoss: true }));
      expect(accepted.error).toBeUndefined();
      expect(accepted.report.details.findings.find((f) => f.check === 'Replication lag')).toMatchObject({
        level: 'warning',
      });
      await rm(settings.reportPath, { force: true });
    } finally {
      await onReplica('SELECT pg_wal_replay_resume()');
    }
  });

  test('a replica URL still in recovery after RDS reports the promotion complete blocks the DNS switch', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, {
      mode: 'execute',
      confirm: topology.replicaId,
      waitTimeoutSeconds: 5,
      replicaDatabase: parseDatabaseUrl(replica.url(database.name), 'replica-database-url'),
    });
    const result = await runFailover(runOptions(settings));
    expect(result.error).toBeInstanceOf(NotWritableError);
    expect(result.error?.message).toContain('still in recovery (pg_is_in_recovery() is true)');
    expect(result.promoted).toBe(true);
    expect(result.report.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'preflight:passed',
      'promote replica:passed',
      'prove writable:failed',
    ]);
    expect((await snapshot(topology)).record).toEqual([
      {
        Name: `${topology.recordName}.`,
        Type: 'CNAME',
        TTL: 60,
        ResourceRecords: [{ Value: topology.primaryAddress }],
      },
    ]);
    expect(await onReplica('SELECT pg_is_in_recovery()')).toBe('t');
    await rm(settings.reportPath, { force: true });
  });

  test('once the database leaves recovery, a canary write commits and only then the record moves; with database-auth iam every check signs in with a token', async () => {
    const topology = await createTopology();
    // The replica behind the stack's stand-in for RDS IAM authentication (tokens verified, over TLS).
    const proxy = await startStackIamProxy(replica, {
      accessKeyId: MOTO_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: MOTO_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    });
    const masked: string[] = [];
    const iam = databaseAuthFor('iam', IAM_PROXY_REGION, (token) => masked.push(token));
    const settings = settingsFor(topology, {
      mode: 'execute',
      confirm: topology.replicaId,
      waitTimeoutSeconds: 60,
      replicaDatabase: iam.apply(
        parseDatabaseUrl(`postgres://${replica.user}@127.0.0.1:${proxy.port}/${database.name}`, 'replica-database-url'),
        'replica-database-url',
        {},
      ),
    });
    const running = runFailover(runOptions(settings));
    // RDS promotes the database as part of the instance's promotion; here the test plays that part.
    await waitUntil(
      'RDS reports the promotion complete',
      async () => !(await describe(topology.replicaId, SECONDARY_REGION)).ReadReplicaSourceDBInstanceIdentifier,
    );
    expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
      { Value: topology.primaryAddress },
    ]);
    await replica.promote();
    const result = await running.finally(() => proxy.stop());

    expect(result.error).toBeUndefined();
    // Preflight and the proof of writability each signed in with a token of their own, all verified.
    expect(masked.length).toBeGreaterThanOrEqual(2);
    expect(proxy.outcomes).toEqual(masked.map(() => 'accepted'));
    expect(result.report.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'preflight:passed',
      'promote replica:passed',
      'prove writable:passed',
      'switch DNS record:passed',
      'wait for DNS INSYNC:passed',
      'health check:skipped',
    ]);
    expect(result.report.details.writable?.canaryTable).toMatch(/^dr_actions_failover_canary_[0-9a-f]{8}$/);
    expect(result.report.steps[2]?.detail).toContain('canary row committed');
    expect(await onReplica('SELECT pg_is_in_recovery()')).toBe('f');
    expect(await onReplica("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'dr_actions_failover_canary_%'")).toBe(
      '0',
    );
    expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
      { Value: topology.replicaAddress },
    ]);
    await rm(settings.reportPath, { force: true });
  });
});
