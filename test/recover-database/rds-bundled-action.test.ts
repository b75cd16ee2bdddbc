import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddTagsToResourceCommand, CreateDBSnapshotCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RecoverDatabaseReport } from '../../src/recover-database/recover-report.js';
import {
  createZone,
  describe as describeInstance,
  PRIMARY_REGION,
  rdsIn,
  recordSets,
  upsertRecord,
} from '../../harness/aws-topology.js';
import { runBundledAction, type BundledActionRun } from '../../harness/bundled-action.js';
import { startHealthServer, type HealthServer } from '../../harness/health-server.js';
import type { ArchivingPrimary } from '../../harness/point-in-time.js';
import { serveRestores, type RestoreService } from '../../harness/rds-restores.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';
import { holdingCommandStarted } from '../helpers/holding-command.js';
import { CLAIM_KEY } from '../../src/postgres/target-claim.js';
import { actionsSeen, startRecordingProxy } from './fixtures.js';
import {
  addPayments,
  createSource,
  psql,
  serverNow,
  setLatestRestorableTime,
  startShopPrimary,
} from '../rds-restore/fixtures.js';

/** Each recovery restores a real PostgreSQL by WAL replay, on a machine others share. */
const LONG = 300_000;
const RUN_ENV = { GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '5151', GITHUB_RUN_ATTEMPT: '1' };

const tagsOf = (instance: { TagList?: { Key?: string; Value?: string }[] } | undefined) =>
  Object.fromEntries((instance?.TagList ?? []).map((t) => [t.Key, t.Value]));
const exists = async (id: string) => Boolean(await describeInstance(id, PRIMARY_REGION).catch(() => undefined));
const changes = (actions: string[]) => actions.filter((a) => !/^Describe/.test(a));

describe('the bundled recover-database action from RDS (node24, against moto and a real point-in-time recovery)', () => {
  let primary: ArchivingPrimary;
  let service: RestoreService;
  let health: HealthServer;
  let dir: string;
  const sources: string[] = [];
  /** The moment just before the corruption: 3 payments committed; the 2 after it are lost by the recovery. */
  let beforeCorruption: Date;

  beforeAll(async () => {
    primary = await startShopPrimary();
    service = serveRestores(primary, stackFromEnv().awsEndpoint, { serves: (r) => sources.includes(r.sourceInstance) });
    for (let i = 0; i < 10; i += 1) sources.push(await createSource());
    await addPayments(primary, 3);
    beforeCorruption = await serverNow(primary);
    const snapshotted = sources[4] as string;
    await rdsIn(PRIMARY_REGION).send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: snapshotted, DBSnapshotIdentifier: `${snapshotted}-before` }),
    );
    await addPayments(primary, 2);
    const latest = await serverNow(primary);
    for (const source of sources) await setLatestRestorableTime(PRIMARY_REGION, source, latest);
    health = await startHealthServer(200);
    dir = await mkdtemp(join(tmpdir(), 'dr-recover-rds-'));
    await writeFile(
      join(dir, 'checks.sql'),
      '-- name: the payments before the corruption are back\nSELECT count(*) = 3 FROM payments;\n',
    );
  }, 120_000);

  afterAll(async () => {
    await health?.close();
    await service?.stop();
    await primary?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function recover(
    source: string,
    inputs: Record<string, string>,
    endpoint = stackFromEnv().awsEndpoint,
  ): Promise<BundledActionRun> {
    return runBundledAction(
      'recover-database',
      {
        source: 'rds-point-in-time',
        'instance-id': source,
        'recovery-point': beforeCorruption.toISOString(),
        region: PRIMARY_REGION,
        'endpoint-url': endpoint,
        'database-url': `postgres://${primary.user}:${encodeURIComponent(primary.password)}@db.internal:5432/shop`,
        checks: join(dir, 'checks.sql'),
        'health-url': health.url,
        'health-timeout-seconds': '30',
        'wait-timeout-minutes': '5',
        'report-path': join(dir, `report-${source}-${Math.random().toString(16).slice(2)}.json`),
        ...inputs,
      },
      { env: RUN_ENV },
    );
  }

  const report = async (run: BundledActionRun) =>
    JSON.parse(await readFile(run.outputs['report-path'] ?? '', 'utf8')) as RecoverDatabaseReport;

  /** Where a run that died right after its first rename left things: the damaged instance tagged and renamed to its dated identifier, the restored one not yet renamed. */
  async function diedAfterFirstRename(source: string, restoredId: string): Promise<string> {
    const keptAs = tagsOf(await describeInstance(restoredId, PRIMARY_REGION))['dr-actions:kept-as'] ?? '';
    const rds = rdsIn(PRIMARY_REGION);
    const damaged = await describeInstance(source, PRIMARY_REGION);
    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: damaged.DBInstanceArn,
        Tags: [{ Key: 'dr-actions:replaced-by', Value: restoredId }],
      }),
    );
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: source,
        NewDBInstanceIdentifier: keptAs,
        ApplyImmediately: true,
      }),
    );
    await waitUntil(
      `${keptAs} is available`,
      async () =>
        (await describeInstance(keptAs, PRIMARY_REGION).catch(() => undefined))?.DBInstanceStatus === 'available',
    );
    return keptAs;
  }

  /** A command that says it started (`started`), then waits until the test writes `release`. */
  const heldCommand = (started: string, release: string) =>
    `sh -c 'touch ${started}; while [ ! -e ${release} ]; do sleep 0.1; done'`;

  test(
    'plan changes nothing (only Describe calls), says the recovery point, the data lost and the names, and outputs the binding',
    async () => {
      const source = sources[0] as string;
      const before = await describeInstance(source, PRIMARY_REGION);
      const proxy = await startRecordingProxy();
      const run = await recover(source, {}, proxy.url).finally(() => proxy.close());
      expect(run.exitCode).toBe(0);
      expect(actionsSeen(proxy).length).toBeGreaterThan(0);
      expect(changes(actionsSeen(proxy))).toEqual([]);
      expect(run.outputs).toMatchObject({
        mode: 'plan',
        'recovery-point': beforeCorruption.toISOString(),
        replaces: before.DbiResourceId,
        recovered: 'false',
      });
      expect(run.outputs['kept-as']).toMatch(new RegExp(`^${source}-damaged-\\d{14}$`));
      const d = (await report(run)).details;
      expect(d.restoredAs).toMatch(new RegExp(`^${source}-recovered-\\d{14}$`));
      expect(d.loss?.seconds).toBeGreaterThan(0);
      expect(d.state).toBe('plan only: nothing was changed');
      expect(run.summary).toContain(`Everything written after ${beforeCorruption.toISOString()}`);
      expect(run.summary).toContain('--new-db-instance-identifier');
      expect(await exists(d.restoredAs ?? '')).toBe(false);
      expect((await describeInstance(source, PRIMARY_REGION)).DBInstanceStatus).toBe('available');
    },
    LONG,
  );

  test(
    "execute with a wrong confirm or another recovery point than the plan's is refused before any change",
    async () => {
      const source = sources[1] as string;
      const proxy = await startRecordingProxy();
      try {
        const wrongConfirm = await recover(
          source,
          { mode: 'execute', confirm: 'shop', 'expected-recovery-point': beforeCorruption.toISOString() },
          proxy.url,
        );
        expect(wrongConfirm.exitCode).toBe(1);
        expect(wrongConfirm.stdout).toContain(`confirm 'shop' does not equal instance-id ('${source}')`);
        const other = new Date(beforeCorruption.getTime() - 1000).toISOString();
        const wrongPoint = await recover(
          source,
          { mode: 'execute', confirm: source, 'expected-recovery-point': other },
          proxy.url,
        );
        expect(wrongPoint.exitCode).toBe(1);
        expect(wrongPoint.stdout).toContain(
          `expected-recovery-point is ${other}, but this run would restore ${beforeCorruption.toISOString()}`,
        );
        expect(wrongPoint.stdout).toContain('nothing was changed');
        expect(changes(actionsSeen(proxy))).toEqual([]);
      } finally {
        await proxy.close();
      }
      expect(await exists(source)).toBe(true);
    },
    LONG,
  );

  test(
    'a rename cut-over: the restored data takes the production identifier; the damaged instance is kept under its dated identifier, tagged, protection as it was',
    async () => {
      const source = sources[2] as string;
      const damaged = await describeInstance(source, PRIMARY_REGION);
      const plan = await recover(source, {});
      const run = await recover(source, {
        mode: 'execute',
        confirm: source,
        'expected-recovery-point': plan.outputs['recovery-point'] ?? '',
        'expected-replaces': plan.outputs.replaces ?? '',
      });
      expect(service.errors).toEqual([]);
      expect(
        run.stdout
          .split('\n')
          .filter((line) => !line.startsWith('::add-mask::'))
          .join('\n'),
      ).not.toContain(primary.password);
      expect(run.exitCode).toBe(0);
      expect(run.outputs).toMatchObject({ mode: 'execute', recovered: 'true', replaces: damaged.DbiResourceId });
      const keptAs = run.outputs['kept-as'] ?? '';
      expect(keptAs).toMatch(new RegExp(`^${source}-damaged-\\d{14}$`));
      const kept = await describeInstance(keptAs, PRIMARY_REGION);
      expect(kept.DbiResourceId).toBe(damaged.DbiResourceId);
      expect(kept.DeletionProtection).toBe(true);
      expect(tagsOf(kept)).toMatchObject({
        team: 'payments',
        'dr-actions:kept-as': keptAs,
        'dr-actions:recovery-run': 'acme/shop run 5151 attempt 1',
      });
      const production = await describeInstance(source, PRIMARY_REGION);
      expect(production.DbiResourceId).not.toBe(damaged.DbiResourceId);
      expect(tagsOf(production)).toMatchObject({
        'dr-actions:made-by': 'recover-database',
        'dr-actions:recovery-state': 'complete',
        'dr-actions:recovery-point': beforeCorruption.toISOString(),
      });
      // The production identifier's endpoint is the server restored to just before the corruption.
      const served = service.served.find((s) => s.sourceInstance === source);
      expect(production.Endpoint?.Port).toBe(served?.server.port);
      expect(await psql(served?.server.url('shop') ?? '', 'SELECT count(*) FROM payments')).toBe('3');
      const r = await report(run);
      expect(r.passed).toBe(true);
      expect(r.steps.map((s) => [s.name, s.status])).toEqual([
        ['plan', 'passed'],
        ['restore instance', 'passed'],
        ['wait for instance', 'passed'],
        ['connect', 'passed'],
        ['checks', 'passed'],
        ['smoke', 'skipped'],
        ['stop-command', 'skipped'],
        ['rename damaged instance', 'passed'],
        ['rename restored instance', 'passed'],
        ['migrate-command', 'skipped'],
        ['start-command', 'skipped'],
        ['health', 'passed'],
      ]);
      expect(r.details.rds?.restored.statuses.map((s) => s.status)).toEqual(['creating', 'available']);
      expect(r.details.rto.seconds).toBeGreaterThan(0);
      expect(r.details.rpo.seconds).toBeGreaterThan(0);
      expect(Number(run.outputs['recovery-seconds'])).toBeGreaterThan(0);
      expect(r.details.putBack.join('\n')).toContain(
        `--db-instance-identifier ${keptAs} --new-db-instance-identifier ${source}`,
      );
      expect(run.summary).toContain(`${source}\` recovered`);
    },
    LONG,
  );

  test(
    'a failing proof changes nothing; a re-run after the first rename resumes, never renaming twice; one more finds it done',
    async () => {
      const source = sources[3] as string;
      const point = beforeCorruption.toISOString();
      const execute = (inputs: Record<string, string> = {}, endpoint?: string) =>
        recover(source, { mode: 'execute', confirm: source, 'expected-recovery-point': point, ...inputs }, endpoint);
      const failedProof = await execute({ 'smoke-command': 'false' });
      expect(failedProof.exitCode).toBe(1);
      const restoredId = (await report(failedProof)).details.restoredAs ?? '';
      expect((await report(failedProof)).details.state).toContain(`${source} was not changed`);
      expect(tagsOf(await describeInstance(source, PRIMARY_REGION))['dr-actions:replaced-by']).toBeUndefined();
      const damaged = await describeInstance(source, PRIMARY_REGION);
      const keptAs = await diedAfterFirstRename(source, restoredId);

      const proxy = await startRecordingProxy();
      const resumed = await execute({}, proxy.url).finally(() => proxy.close());
      expect(resumed.exitCode).toBe(0);
      expect((await report(resumed)).details.phase).toBe('half-renamed');
      expect(changes(actionsSeen(proxy)).filter((a) => a === 'ModifyDBInstance')).toHaveLength(1);
      expect(changes(actionsSeen(proxy))).not.toContain('RestoreDBInstanceToPointInTime');
      expect((await describeInstance(keptAs, PRIMARY_REGION)).DbiResourceId).toBe(damaged.DbiResourceId);
      expect(tagsOf(await describeInstance(source, PRIMARY_REGION))['dr-actions:made-by']).toBe('recover-database');
      expect(await exists(restoredId)).toBe(false);

      const again = await startRecordingProxy();
      const done = await execute({}, again.url).finally(() => again.close());
      expect(done.exitCode).toBe(0);
      expect(done.outputs).toMatchObject({ recovered: 'true', 'kept-as': keptAs });
      expect((await report(done)).details.phase).toBe('done');
      expect(changes(actionsSeen(again))).toEqual([]);
    },
    LONG,
  );

  test(
    'from the newest snapshot: plan binds the snapshot, execute restores it and renames it into place',
    async () => {
      const source = sources[4] as string;
      const fromSnapshot = { source: 'rds-snapshot', 'recovery-point': '' };
      const plan = await recover(source, fromSnapshot);
      expect(plan.exitCode).toBe(0);
      expect(plan.outputs['recovery-point']).toBe(`${source}-before`);
      const run = await recover(source, {
        ...fromSnapshot,
        mode: 'execute',
        confirm: source,
        'expected-recovery-point': plan.outputs['recovery-point'] ?? '',
      });
      expect(service.errors).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.outputs.recovered).toBe('true');
      expect(service.served.find((s) => s.sourceInstance === source)).toMatchObject({
        kind: 'snapshot',
        snapshot: `${source}-before`,
      });
      expect(tagsOf(await describeInstance(source, PRIMARY_REGION))).toMatchObject({
        'dr-actions:recovery-point': `${source}-before`,
        'dr-actions:recovery-state': 'complete',
      });
      expect(await exists(run.outputs['kept-as'] ?? '')).toBe(true);
    },
    LONG,
  );
  test(
    'a dns cut-over: plan outputs the record; a wrong expected-record-value is refused before any change; execute moves the record to the restored instance, the damaged one keeps its identifier',
    async () => {
      const source = sources[5] as string;
      const damaged = await describeInstance(source, PRIMARY_REGION);
      const damagedAddress = damaged.Endpoint?.Address as string;
      const { zoneId, zoneName } = await createZone();
      const recordName = `db.${zoneName}`;
      await upsertRecord(zoneId, {
        Name: recordName,
        Type: 'CNAME',
        TTL: 60,
        ResourceRecords: [{ Value: damagedAddress }],
      });
      const record = async () =>
        (await recordSets(zoneId, recordName)).map((set) => [set.Type, set.ResourceRecords?.map((r) => r.Value)]);
      const dns = { cutover: 'dns', 'hosted-zone-id': zoneId, 'record-name': recordName };
      const plan = await recover(source, dns);
      expect(plan.exitCode).toBe(0);
      expect(plan.outputs).toMatchObject({ 'record-value': damagedAddress.toLowerCase(), 'kept-as': source });
      expect(plan.summary).toContain(
        `move ${recordName} CNAME from ${damagedAddress.toLowerCase()} to the endpoint of`,
      );
      const restoredId = (await report(plan)).details.restoredAs ?? '';
      const execute = (value: string) =>
        recover(source, {
          ...dns,
          mode: 'execute',
          confirm: source,
          'expected-recovery-point': plan.outputs['recovery-point'] ?? '',
          'expected-record-value': value,
        });

      const wrong = await execute('elsewhere.example.com');
      expect(wrong.exitCode).toBe(1);
      expect(wrong.stdout).toContain(
        `CNAME holds ${damagedAddress.toLowerCase()}, but the approved plan saw elsewhere.example.com (expected-record-value)`,
      );
      expect(await exists(restoredId)).toBe(false);
      expect(await record()).toEqual([['CNAME', [damagedAddress]]]);

      const run = await execute(plan.outputs['record-value'] ?? '');
      expect(service.errors).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.outputs).toMatchObject({ mode: 'execute', recovered: 'true', 'kept-as': source });
      const restored = await describeInstance(restoredId, PRIMARY_REGION);
      expect(restored.Endpoint?.Address).not.toBe(damagedAddress);
      expect(await record()).toEqual([['CNAME', [restored.Endpoint?.Address]]]);
      const still = await describeInstance(source, PRIMARY_REGION);
      expect(still.DbiResourceId).toBe(damaged.DbiResourceId);
      expect(tagsOf(still)).toMatchObject({
        'dr-actions:replaced-by': restoredId,
        'dr-actions:kept-as': source,
        'dr-actions:recovery-run': 'acme/shop run 5151 attempt 1',
      });
      expect(tagsOf(restored)).toMatchObject({ 'dr-actions:recovery-state': 'complete' });
      const served = service.served.find((s) => s.sourceInstance === source);
      expect(await psql(served?.server.url('shop') ?? '', 'SELECT count(*) FROM payments')).toBe('3');
      const r = await report(run);
      expect(r.steps.map((s) => s.name)).toContain('move record');
      expect(r.steps.map((s) => s.name)).not.toContain('rename damaged instance');
      expect(r.details.putBack.join('\n')).toContain(`change-resource-record-sets --hosted-zone-id ${zoneId}`);

      const again = await execute(plan.outputs['record-value'] ?? '');
      expect(again.exitCode).toBe(0);
      expect((await report(again)).details.phase).toBe('done');
      expect(await record()).toEqual([['CNAME', [restored.Endpoint?.Address]]]);
    },
    LONG,
  );

  test(
    'the claim on the restored instance ends during stop-command (as a restart, a failover or a terminated session ends it): the run stops before the renames, production keeps its identifier',
    async () => {
      const source = sources[9] as string;
      const before = await describeInstance(source, PRIMARY_REGION);
      const held = join(dir, `${source}.stop`);
      const release = join(dir, `${source}.release`);
      const proxy = await startRecordingProxy();
      let run: BundledActionRun;
      try {
        const running = recover(
          source,
          {
            mode: 'execute',
            confirm: source,
            'expected-recovery-point': beforeCorruption.toISOString(),
            'stop-command': heldCommand(held, release),
          },
          proxy.url,
        );
        await waitUntil('the run in its stop-command', () => holdingCommandStarted(held), { timeoutMs: LONG });
        const restored = service.served.find((s) => s.sourceInstance === source)?.server;
        expect(
          await psql(
            restored?.url('postgres') ?? '',
            `SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ${CLAIM_KEY}`,
          ),
        ).toBe('1');
        await writeFile(release, '');
        run = await running;
      } finally {
        await proxy.close();
      }
      expect([run.exitCode, run.outputs.recovered]).toEqual([1, 'false']);
      expect(run.stdout).toMatch(
        new RegExp(
          `this run's claim on ${source}-recovered-\\d{14}/shop was lost before renaming ${source} to ${source}-damaged-\\d{14}: its session has ended`,
        ),
      );
      expect(run.stdout).toContain(
        'Done so far: plan, restore instance, wait for instance, connect, checks, stop-command.',
      );
      const written = changes(actionsSeen(proxy));
      expect(written).not.toContain('ModifyDBInstance');
      expect(written).not.toContain('AddTagsToResource');
      expect((await describeInstance(source, PRIMARY_REGION)).DbiResourceId).toBe(before.DbiResourceId);
    },
    LONG,
  );

  test(
    'two executes that go on from one restored instance: one runs the stop command and the cut-over, the other is refused at the connection, having changed nothing',
    async () => {
      const source = sources[6] as string;
      const held = join(dir, `${source}.first-stop`);
      const release = join(dir, `${source}.release`);
      const secondStop = join(dir, `${source}.second-stop`);
      const execute = { mode: 'execute', confirm: source, 'expected-recovery-point': beforeCorruption.toISOString() };
      const first = recover(source, {
        ...execute,
        'stop-command': heldCommand(held, release),
      });
      await waitUntil('the first run in its stop command', () => holdingCommandStarted(held), { timeoutMs: LONG });
      // Planned now, the second run finds the first's restored instance and goes on from it.
      const second = await recover(source, { ...execute, 'stop-command': `touch ${secondStop}` });
      await writeFile(release, '');
      const done = await first;
      expect(second.exitCode).toBe(1);
      expect(second.stdout).toContain(`another run is recovering ${source} onto ${source}-recovered-`);
      expect(second.stdout).toContain('this run changed nothing');
      expect(await holdingCommandStarted(secondStop)).toBe(false);
      expect(done.stdout).not.toContain('::error::');
      expect([done.exitCode, done.outputs.recovered]).toEqual([0, 'true']);
    },
    LONG,
  );

  test(
    'an execute that resumes after the renames while the first run is in its migrate-command is refused at the connection, having changed nothing: the migration runs once',
    async () => {
      const source = sources[7] as string;
      const held = join(dir, `${source}.first-migrate`);
      const release = join(dir, `${source}.release`);
      const secondCommands = join(dir, `${source}.second-commands`);
      const execute = { mode: 'execute', confirm: source, 'expected-recovery-point': beforeCorruption.toISOString() };
      const first = recover(source, { ...execute, 'migrate-command': heldCommand(held, release) });
      let second: BundledActionRun;
      let plan: BundledActionRun;
      const proxy = await startRecordingProxy();
      try {
        await waitUntil('the first run in its migrate-command', () => holdingCommandStarted(held), { timeoutMs: LONG });
        plan = await recover(source, {}, proxy.url);
        second = await recover(
          source,
          { ...execute, 'migrate-command': `touch ${secondCommands}`, 'start-command': `touch ${secondCommands}` },
          proxy.url,
        );
      } finally {
        await writeFile(release, '');
        await proxy.close();
      }
      const done = await first;
      expect(plan.exitCode).toBe(0);
      expect((await report(plan)).details).toMatchObject({ phase: 'renamed' });
      expect((await report(plan)).details.state).toMatch(
        new RegExp(
          `^plan only: nothing was changed; a run is at work on this recovery now \\(it holds ${source}-recovered-\\d{14}: server process \\d+, connected since `,
        ),
      );
      expect((await report(second)).details.phase).toBe('renamed');
      expect(second.exitCode).toBe(1);
      expect(second.stdout).toContain(`another run is recovering ${source} onto ${source}-recovered-`);
      expect(second.stdout).toContain('this run changed nothing');
      expect(await holdingCommandStarted(secondCommands)).toBe(false);
      expect(changes(actionsSeen(proxy))).toEqual([]);
      expect(done.stdout).not.toContain('::error::');
      expect([done.exitCode, done.outputs.recovered]).toEqual([0, 'true']);
      expect(tagsOf(await describeInstance(source, PRIMARY_REGION))['dr-actions:recovery-state']).toBe('complete');
    },
    LONG,
  );

  test(
    'two executes that resume after the first rename: one runs the stop command and the last rename, the other is refused at the connection, having changed nothing',
    async () => {
      const source = sources[8] as string;
      const execute = { mode: 'execute', confirm: source, 'expected-recovery-point': beforeCorruption.toISOString() };
      const failedProof = await recover(source, { ...execute, 'smoke-command': 'false' });
      expect(failedProof.exitCode).toBe(1);
      const restoredId = (await report(failedProof)).details.restoredAs ?? '';
      await diedAfterFirstRename(source, restoredId);
      const held = join(dir, `${source}.first-stop`);
      const release = join(dir, `${source}.release`);
      const secondCommands = join(dir, `${source}.second-commands`);
      const first = recover(source, { ...execute, 'stop-command': heldCommand(held, release) });
      let second: BundledActionRun;
      const proxy = await startRecordingProxy();
      try {
        await waitUntil('the first resumed run in its stop-command', () => holdingCommandStarted(held), {
          timeoutMs: LONG,
        });
        second = await recover(
          source,
          { ...execute, 'stop-command': `touch ${secondCommands}`, 'migrate-command': `touch ${secondCommands}` },
          proxy.url,
        );
      } finally {
        await writeFile(release, '');
        await proxy.close();
      }
      const done = await first;
      expect((await report(second)).details.phase).toBe('half-renamed');
      expect(second.exitCode).toBe(1);
      expect(second.stdout).toContain(`another run is recovering ${source} onto ${restoredId}`);
      expect(second.stdout).toContain('this run changed nothing');
      expect(await holdingCommandStarted(secondCommands)).toBe(false);
      expect(changes(actionsSeen(proxy))).toEqual([]);
      expect(done.stdout).not.toContain('::error::');
      expect([done.exitCode, done.outputs.recovered]).toEqual([0, 'true']);
      expect(tagsOf(await describeInstance(source, PRIMARY_REGION))['dr-actions:made-by']).toBe('recover-database');
    },
    LONG,
  );
});
