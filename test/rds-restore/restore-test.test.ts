import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { CreateDBInstanceCommand } from '@aws-sdk/client-rds';
import { readFile } from 'node:fs/promises';
import { runRdsRestoreTest } from '../../src/rds-restore/run-rds-restore-test.js';
import { MADE_BY_TAG, RUN_TAG } from '../../src/rds-restore/tags.js';
import { systemClock } from '../../src/util/clock.js';
import { PRIMARY_REGION, rdsIn, SECONDARY_REGION } from '../../harness/aws-topology.js';
import { stackFromEnv } from '../../harness/stack.js';
import type { ArchivingPrimary } from '../../harness/point-in-time.js';
import { serveRestores, type RestoreRequest, type RestoreService } from '../../harness/rds-restores.js';
import {
  addPayments,
  createSource,
  options,
  replicateBackups,
  serverNow,
  setLatestRestorableTime,
  settings,
  startShopPrimary,
} from './fixtures.js';
import { describe as describeInstance } from '../../harness/aws-topology.js';
import { waitUntil } from '../../harness/wait.js';

/** Each test restores a real PostgreSQL by WAL replay, on a machine others share. */
const LONG = 300_000;

let primary: ArchivingPrimary;
let service: RestoreService;
let sourceId: string;
const held = new Set<string>();
/** Payments committed at each recovery point the tests restore to. */
let t1: Date;
let t2: Date;

const exists = async (id: string, region: string) => Boolean(await describeInstance(id, region).catch(() => undefined));
const servedFor = (instance: string) => service.served.find((s) => s.instance === instance);

beforeAll(async () => {
  primary = await startShopPrimary('CREATE TABLE users (id serial PRIMARY KEY)');
  service = serveRestores(primary, stackFromEnv().awsEndpoint, {
    serves: (r) => r.sourceInstance === sourceId,
    hold: (r: RestoreRequest) => held.has(r.instance),
  });
  sourceId = await createSource();
  await addPayments(primary, 3);
  t1 = await serverNow(primary);
  await addPayments(primary, 2);
  t2 = await serverNow(primary);
  await addPayments(primary, 4);
  // RDS's log backup reached t2: the last 4 payments are after every recovery point.
  await setLatestRestorableTime(PRIMARY_REGION, sourceId, t2);
}, 120_000);

afterEach(() => {
  // A restore the stack could not serve would leave an instance `creating` forever: say why at once.
  expect(service.errors).toEqual([]);
});

afterAll(async () => {
  await service?.stop();
  await primary?.stop();
});

describe('rds-restore-test against moto and a real point-in-time recovery', () => {
  test(
    'latest in the primary region: restores the data as of the latest restorable time, proves it, deletes the instance',
    async () => {
      const s = settings(primary, sourceId);
      const result = await runRdsRestoreTest(options(s));
      expect(service.errors).toEqual([]);
      expect(result.report.reasons).toEqual([]);
      expect(result.passed).toBe(true);
      const id = result.restoredInstanceId;
      expect(id).toMatch(new RegExp(`^${sourceId}-rt-[0-9a-f]{6}-1$`));
      // RDS was asked for the latest restorable time, and the server holds exactly the 5 payments committed by then.
      expect(servedFor(id)).toMatchObject({ kind: 'point-in-time', sourceInstance: sourceId });
      expect(Date.parse(servedFor(id)?.targetTime ?? '')).toBe(t2.getTime());
      expect(result.recoveryPointTime).toBe(t2.toISOString());
      const d = result.report.details;
      expect(d.proof?.tables.find((t) => t.name === 'payments')?.exactRows).toBe(5);
      expect(d.proof?.namedByChecks).toEqual([{ name: 'payments', exists: true }]);
      expect(new Date(d.proof?.newestRows[0]?.newest ?? 0).getTime()).toBeLessThanOrEqual(t2.getTime());
      expect(d.proof?.newestRows[0]?.beforeRecoveryPointSeconds).toBeGreaterThanOrEqual(0);
      expect(d.instance).toMatchObject({ created: true, deleted: true, kept: false });
      expect(d.instance.statuses.map((x) => x.status)).toEqual(['creating', 'available']);
      expect(await exists(id, PRIMARY_REGION)).toBe(false);
      expect(result.report.objectives.map((o) => [o.name, o.passed])).toEqual([
        ['RTO', true],
        ['RPO', true],
        ['RPO', true],
      ]);
      expect(result.report.objectives[1]?.measure).toContain('point-in-time restore');
      expect(result.report.checklist.find((c) => c.key === 'rpo')?.detail).toContain('point-in-time restore');
      expect(result.report.checklist.find((c) => c.key === 'payments')?.status).toBe('passed');
      expect(result.recoverySeconds).toBeGreaterThan(0);
      expect(JSON.parse(await readFile(s.reportPath, 'utf8'))).toMatchObject({
        kind: 'rds-restore-test',
        passed: true,
      });
    },
    LONG,
  );

  test(
    'the temporary instance is made as asked, whatever the source has: not public, no deletion protection, its own tags',
    async () => {
      const id = `${sourceId}-rt-shape-1`;
      held.add(id);
      const cancel = new AbortController();
      const running = runRdsRestoreTest(
        options(settings(primary, sourceId), { run: { runId: 'shape', runAttempt: '1' }, signal: cancel.signal }),
      );
      await waitUntil(
        `${id} is creating`,
        async () =>
          (await describeInstance(id, PRIMARY_REGION).catch(() => undefined))?.DBInstanceStatus === 'creating',
      );
      const made = await describeInstance(id, PRIMARY_REGION);
      expect(made).toMatchObject({
        PubliclyAccessible: false,
        DeletionProtection: false,
        DBInstanceClass: 'db.t4g.small',
        MultiAZ: false,
      });
      const tags = Object.fromEntries((made.TagList ?? []).map((t) => [t.Key, t.Value]));
      expect(tags).toMatchObject({ [MADE_BY_TAG]: 'rds-restore-test' });
      expect(tags[RUN_TAG]).toContain('run shape attempt 1');
      expect(tags.team).toBeUndefined();
      cancel.abort();
      const result = await running;
      held.delete(id);
      expect(result.report.details.cancelled).toBe(true);
    },
    LONG,
  );

  test(
    'a cancelled run still deletes the instance, and says so',
    async () => {
      const id = `${sourceId}-rt-cancel-1`;
      held.add(id);
      const cancel = new AbortController();
      const running = runRdsRestoreTest(
        options(settings(primary, sourceId), {
          run: { runId: 'cancel', runAttempt: '1' },
          signal: cancel.signal,
          pacing: { ...PACING_SLOW },
        }),
      );
      await waitUntil(
        `${id} is creating`,
        async () =>
          (await describeInstance(id, PRIMARY_REGION).catch(() => undefined))?.DBInstanceStatus === 'creating',
      );
      cancel.abort();
      const result = await running;
      held.delete(id);
      expect(result.passed).toBe(false);
      expect(result.report.reasons).toEqual([`wait for instance: cancelled while ${id} was creating`]);
      const steps = Object.fromEntries(result.report.steps.map((s) => [s.name, s]));
      expect(steps['wait for instance']).toMatchObject({ status: 'failed' });
      expect(steps['wait for instance']?.detail).toContain('cancelled while');
      expect(steps.connect).toMatchObject({ status: 'skipped', detail: "not run: 'wait for instance' failed" });
      expect(steps['delete instance']).toMatchObject({ status: 'passed' });
      expect(steps['delete instance']?.detail).toContain('after the cancellation');
      expect(await exists(id, PRIMARY_REGION)).toBe(false);
    },
    LONG,
  );

  test(
    'a name taken by an instance this run did not create is refused, and that instance is never deleted',
    async () => {
      const id = `${sourceId}-rt-collide-1`;
      await rdsIn(PRIMARY_REGION).send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: id,
          Engine: 'postgres',
          DBInstanceClass: 'db.t3.micro',
          MasterUsername: 'x',
          MasterUserPassword: 'not-a-real-secret',
          AllocatedStorage: 20,
        }),
      );
      const before = service.served.length;
      const result = await runRdsRestoreTest(
        options(settings(primary, sourceId), { run: { runId: 'collide', runAttempt: '1' } }),
      );
      expect(result.passed).toBe(false);
      expect(result.restoredInstanceId).toBe('');
      expect(result.report.reasons.join(' ')).toContain(
        `an instance named ${id} already exists in ${PRIMARY_REGION} and was not created by this run`,
      );
      expect(result.report.steps.find((s) => s.name === 'restore')?.detail).toContain('not run');
      expect(result.report.steps.find((s) => s.name === 'delete instance')).toMatchObject({
        status: 'skipped',
        detail: 'nothing to delete: this run created no instance',
      });
      expect(await describeInstance(id, PRIMARY_REGION)).toMatchObject({ DBInstanceStatus: 'available' });
      expect(service.served.length).toBe(before);
    },
    LONG,
  );

  test(
    'a recovery point older than the RPO fails the RPO check (the test runs 2 h after the last log backup)',
    async () => {
      const later = { now: () => systemClock.now() + 2 * 3_600_000, sleep: systemClock.sleep };
      const result = await runRdsRestoreTest(options(settings(primary, sourceId), { clock: later }));
      expect(result.passed).toBe(false);
      const [, age] = result.report.objectives;
      expect(age).toMatchObject({ name: 'RPO', passed: false });
      expect(age?.measuredSeconds).toBeGreaterThan(7_000);
      expect(result.report.reasons.join(' ')).toMatch(
        /^RPO \(age of the recovery point at the test \(RDS point-in-time restore/,
      );
      expect(result.report.checklist.find((c) => c.key === 'rpo')?.status).toBe('failed');
      // The data itself restored and proved; the instance is gone.
      expect(result.report.steps.filter((s) => s.status === 'failed')).toEqual([]);
      expect(result.report.details.instance.deleted).toBe(true);
    },
    LONG,
  );

  test(
    'a time outside the restore window is an input error naming the window, and nothing is restored',
    async () => {
      const before = service.served.length;
      const result = await runRdsRestoreTest(
        options(
          settings(primary, sourceId, { recoveryPoint: { kind: 'time', time: new Date('2020-01-01T00:00:00Z') } }),
        ),
      );
      expect(result.configurationError?.message).toMatch(
        new RegExp(
          `^recovery-point 2020-01-01T00:00:00.000Z is outside the restore window of ${sourceId} in us-east-1: choose a time from .* to ${t2.toISOString().replace(/\./g, '\\.')} \\(backup retention 7 days\\), or latest$`,
        ),
      );
      expect(result.restoredInstanceId).toBe('');
      expect(result.report.steps.map((s) => s.name)).toEqual(['resolve recovery point']);
      expect(service.served.length).toBe(before);
    },
    LONG,
  );

  test(
    'a time in the secondary region, from replicated automated backups: the data as of that time, instance deleted there',
    async () => {
      await replicateBackups(sourceId, SECONDARY_REGION);
      const s = settings(primary, sourceId, {
        region: SECONDARY_REGION,
        recoveryPoint: { kind: 'time', time: t1 },
        rtoSeconds: 28_800,
      });
      const result = await runRdsRestoreTest(options(s));
      expect(result.report.reasons).toEqual([]);
      expect(result.passed).toBe(true);
      const id = result.restoredInstanceId;
      expect(servedFor(id)).toMatchObject({
        region: SECONDARY_REGION,
        kind: 'point-in-time',
        sourceRegion: PRIMARY_REGION,
      });
      expect(Date.parse(servedFor(id)?.targetTime ?? '')).toBe(t1.getTime());
      expect(result.report.details.scenario).toBe('regional outage');
      expect(result.report.details.proof?.tables.find((t) => t.name === 'payments')?.exactRows).toBe(3);
      expect(result.report.objectives[0]).toMatchObject({ scenario: 'regional outage', targetSeconds: 28_800 });
      expect(await exists(id, SECONDARY_REGION)).toBe(false);
    },
    LONG,
  );
});

const PACING_SLOW = { poll: { initialMs: 30_000, maxMs: 30_000, factor: 1 } };
