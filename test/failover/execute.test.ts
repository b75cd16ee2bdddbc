import { readFile, rm } from 'node:fs/promises';
import { describe as suite, expect, test } from '@jest/globals';
import { GetChangeCommand } from '@aws-sdk/client-route-53';
import { createRdsClient, createRoute53Client } from '../../src/aws/clients.js';
import { ConfigurationError } from '../../src/errors.js';
import { createClients, DEFAULT_PACING, type FailoverContext } from '../../src/failover/context.js';
import { executeFailover, HealthCheckError, type ExecutionOutcome } from '../../src/failover/execute.js';
import { PromotionUnknownStateError } from '../../src/failover/promote.js';
import { buildFailoverReport, type FailoverReport } from '../../src/failover/failover-report.js';
import { nextSteps } from '../../src/failover/guidance.js';
import { runPreflight } from '../../src/failover/preflight.js';
import { RecordChangedError } from '../../src/aws/route53-record.js';
import { runFailover } from '../../src/failover/run-failover.js';
import { failoverMarkdown } from '../../src/failover/summary.js';
import { prose } from '../../src/report/markdown.js';
import { StepRecorder } from '../../src/report/report.js';
import { silentLogger } from '../../src/util/logger.js';
import { clockStartingAt } from '../../src/util/clock.js';
import { freePort } from '../../harness/free-port.js';
import { startHealthServer } from '../../harness/health-server.js';
import {
  createTopology,
  describe,
  holdPromotion,
  PRIMARY_REGION,
  recordSets,
  runOptions,
  SECONDARY_REGION,
  settingsFor,
  snapshot,
  TEST_PACING,
  upsertRecord,
  createZone,
} from '../../harness/aws-topology.js';

const stepNames = (report: FailoverReport) => report.steps.map((step) => `${step.name}:${step.status}`);
/** A re-run that finds the promotion and the record done: only the health check is left to run. */
const ONLY_HEALTH_LEFT = [
  'preflight:passed',
  'promote replica:skipped',
  'prove writable:skipped',
  'switch DNS record:skipped',
  'wait for DNS INSYNC:skipped',
  'health check:passed',
];

function contextFor(settings: Parameters<typeof createClients>[0]): FailoverContext {
  return { clients: createClients(settings), pacing: { ...DEFAULT_PACING, ...TEST_PACING }, log: silentLogger };
}

suite('failover execute', () => {
  test.each([
    ['without confirm', '', 'confirm is empty'],
    ['with a confirm that is not the replica-id', 'saas-production', 'does not equal replica-id'],
  ])('execute %s changes nothing', async (_label, confirm, message) => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { mode: 'execute', confirm });
    const before = await snapshot(topology);
    const result = await runFailover(runOptions(settings));
    expect(await snapshot(topology)).toEqual(before);
    expect(result.error).toBeInstanceOf(ConfigurationError);
    expect(result.error?.message).toContain(message);
    expect(result.promoted).toBe(false);
    expect(stepNames(result.report)).toEqual(['preflight:passed']);
    expect(result.report.passed).toBe(false);
    await rm(settings.reportPath, { force: true });
  });

  test('execute with confirm promotes, switches the record, waits for INSYNC and health; a second run changes nothing', async () => {
    const topology = await createTopology();
    const health = await startHealthServer(200);
    const settings = settingsFor(topology, {
      mode: 'execute',
      confirm: topology.replicaId,
      health: { url: health.url, display: health.url, expectStatus: 200, timeoutSeconds: 10 },
    });
    try {
      const result = await runFailover(runOptions(settings));
      expect(result.error).toBeUndefined();
      expect(result.promoted).toBe(true);
      expect(result.endpoint).toBe(`${topology.replicaAddress}:5432`);
      expect(result.previousRecordValue).toBe(topology.primaryAddress);
      expect(result.changeId).toMatch(/^C[A-Z0-9]+$/);

      const replica = await describe(topology.replicaId, SECONDARY_REGION);
      expect(replica.DBInstanceStatus).toBe('available');
      expect(replica.ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
      expect(replica.TagList).toEqual(
        expect.arrayContaining([{ Key: 'dr-actions:promoted-from', Value: topology.primaryArn }]),
      );
      expect((await describe(topology.primaryId, PRIMARY_REGION)).ReadReplicaDBInstanceIdentifiers).toEqual([]);
      expect(await recordSets(topology.zoneId, topology.recordName)).toEqual([
        {
          Name: `${topology.recordName}.`,
          Type: 'CNAME',
          TTL: 60,
          ResourceRecords: [{ Value: topology.replicaAddress }],
        },
      ]);

      const report = JSON.parse(await readFile(settings.reportPath, 'utf8')) as FailoverReport;
      expect(report.passed).toBe(true);
      expect(stepNames(report)).toEqual([
        'preflight:passed',
        'promote replica:passed',
        'prove writable:skipped',
        'switch DNS record:passed',
        'wait for DNS INSYNC:passed',
        'health check:passed',
      ]);
      for (const step of report.steps.filter((s) => s.status === 'passed')) {
        expect(step.durationSeconds).toBeGreaterThanOrEqual(0);
        expect(Date.parse(step.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(step.startedAt as string));
      }
      expect(report.steps[1]?.detail).toMatch(
        /PromoteReadReplica called; .* available with no replication source after \d+ status checks/,
      );
      const rto = report.objectives.find((o) => o.name === 'RTO');
      expect(rto?.measuredSeconds).toBeGreaterThan(1); // moto takes 2 s to promote
      expect(rto?.passed).toBe(true);
      expect(report.checklist.map((c) => [c.key, c.status])).toEqual([
        ['rto', 'passed'],
        ['applicationStarts', 'passed'],
      ]);
      expect(report.details.health).toMatchObject({ healthy: true, lastStatus: 200, attempts: 1 });
      expect(failoverMarkdown(result)).toContain('Failover to');
      expect(failoverMarkdown(result)).toContain(
        `| ${topology.primaryAddress} (TTL 60) | ${topology.replicaAddress} (TTL 60) | ✅ done |`,
      );

      // Re-run after success: everything is detected as done; nothing is called that changes anything.
      const before = await snapshot(topology);
      const again = await runFailover(runOptions({ ...settings, reportPath: `${settings.reportPath}.2` }));
      expect(again.error).toBeUndefined();
      expect(await snapshot(topology)).toEqual(before);
      expect(again.promoted).toBe(true);
      expect(again.changeId).toBe('');
      expect(again.previousRecordValue).toBe('');
      expect(stepNames(again.report)).toEqual(ONLY_HEALTH_LEFT);
      expect(again.report.steps[3]?.detail).toContain('already points at the new primary');
    } finally {
      await health.close();
      await rm(settings.reportPath, { force: true });
      await rm(`${settings.reportPath}.2`, { force: true });
    }
  });

  test('a record changed by someone else between preflight and the switch: the compare-and-swap refuses, the record keeps their value', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { mode: 'execute', confirm: topology.replicaId });
    const ctx = contextFor(settings);
    const preflight = await runPreflight(settings, ctx);
    expect(preflight.blockers).toEqual([]);
    const theirs = {
      Name: `${topology.recordName}.`,
      Type: 'CNAME' as const,
      TTL: 300,
      ResourceRecords: [{ Value: 'maintenance.example.net' }],
    };
    await upsertRecord(topology.zoneId, theirs);

    const steps = new StepRecorder();
    const outcome: ExecutionOutcome = { promoted: false, recordSwitched: false };
    const failure = await executeFailover(settings, preflight, ctx, steps, outcome).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(RecordChangedError);
    const message = (failure as Error).message;
    expect(message).toContain('changed after preflight');
    expect(message).toContain(
      `preflight read ${topology.primaryAddress} (TTL 60), it now holds maintenance.example.net (TTL 300)`,
    );
    expect(message).toContain('nothing was changed');
    expect(await recordSets(topology.zoneId, topology.recordName)).toEqual([theirs]);
    expect(outcome.recordSwitched).toBe(false);
    expect(steps.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'promote replica:passed',
      'prove writable:skipped',
      'switch DNS record:failed',
    ]);
  });

  test('two executes at once, both past preflight before either changed anything: RDS takes one PromoteReadReplica and Route 53 one change; the other run waits for them and passes, changing nothing', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { mode: 'execute', confirm: topology.replicaId });
    const ctx = contextFor(settings);
    const preflights = await Promise.all([runPreflight(settings, ctx), runPreflight(settings, ctx)]);
    for (const preflight of preflights) {
      expect(preflight.blockers).toEqual([]);
      expect(preflight.role).toBe('replica');
      expect(preflight.record?.alreadyPointing).toBe(false);
    }

    const runs = preflights.map((preflight) => {
      const steps = new StepRecorder();
      const outcome: ExecutionOutcome = { promoted: false, recordSwitched: false };
      return { steps, outcome, done: executeFailover(settings, preflight, ctx, steps, outcome) };
    });
    const settled = await Promise.allSettled(runs.map((run) => run.done));

    expect(settled.map((result) => (result.status === 'rejected' ? String(result.reason) : 'passed'))).toEqual([
      'passed',
      'passed',
    ]);
    expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
      { Value: topology.replicaAddress },
    ]);
    const [first, second] = runs.map(({ steps, outcome }) => ({
      promoted: outcome.promotion?.calledPromote,
      changed: outcome.changeId !== undefined,
      switched: outcome.recordSwitched,
      dns: steps.steps.find((step) => step.name === 'switch DNS record')?.detail ?? '',
      inSync: steps.steps.find((step) => step.name === 'wait for DNS INSYNC')?.status,
    }));
    expect([first?.promoted, second?.promoted].sort()).toEqual([false, true]);
    expect([first?.changed, second?.changed].sort()).toEqual([false, true]);
    // The tags are the promoting run's, and the other run reports them as they are.
    const promotions = runs.map(({ outcome }) => outcome.promotion);
    const promoter = promotions.find((promotion) => promotion?.calledPromote);
    expect(promotions.find((promotion) => !promotion?.calledPromote)).toMatchObject({
      promotedAt: promoter?.promotedAt,
      promotedBy: promoter?.promotedBy,
    });
    expect((await describe(topology.replicaId, SECONDARY_REGION)).TagList).toEqual(
      expect.arrayContaining([{ Key: 'dr-actions:promoted-at', Value: promoter?.promotedAt }]),
    );
    const loser = first?.changed ? second : first;
    expect(loser).toMatchObject({ switched: true, inSync: 'skipped' });
    expect(loser?.dns).toContain(
      `it already holds ${topology.replicaAddress} (TTL 60), where this run would point it; this run changed nothing`,
    );
  });

  test("a failover that finds the replica promoted by someone else after its preflight leaves the first promotion's promoted-at and promoted-by tags, and reports them", async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { mode: 'execute', confirm: topology.replicaId });
    const base = contextFor(settings);
    // Each run on a clock of its own, an hour apart, so that a tag the second wrote could not pass for the first's.
    const alice = {
      ...base,
      clock: clockStartingAt(Date.parse('2026-03-01T10:00:00.000Z')),
      run: { url: 'https://github.com/acme/infra/actions/runs/101', runAttempt: '1', actor: 'alice' },
    };
    const bob = {
      ...base,
      clock: clockStartingAt(Date.parse('2026-03-01T11:00:00.000Z')),
      run: { url: 'https://github.com/acme/infra/actions/runs/202', runAttempt: '1', actor: 'bob' },
    };
    const [first, second] = await Promise.all([runPreflight(settings, alice), runPreflight(settings, bob)]);
    expect([first?.role, second?.role]).toEqual(['replica', 'replica']);
    const execute = async (preflight: typeof first, ctx: FailoverContext) => {
      const steps = new StepRecorder();
      const outcome: ExecutionOutcome = { promoted: false, recordSwitched: false };
      await executeFailover(settings, preflight as NonNullable<typeof first>, ctx, steps, outcome);
      return { steps, outcome };
    };

    const promoter = await execute(first, alice);
    expect(promoter.outcome.promotion).toMatchObject({
      calledPromote: true,
      promotedBy: 'https://github.com/acme/infra/actions/runs/101 attempt 1 by alice',
    });
    const promotedAt = promoter.outcome.promotion?.promotedAt as string;
    expect(Date.parse(promotedAt)).toBeGreaterThanOrEqual(Date.parse('2026-03-01T10:00:00.000Z'));
    expect(Date.parse(promotedAt)).toBeLessThan(Date.parse('2026-03-01T10:30:00.000Z'));
    const replicaTags = async () =>
      [...((await describe(topology.replicaId, SECONDARY_REGION)).TagList ?? [])].sort((a, b) =>
        String(a.Key).localeCompare(String(b.Key)),
      );
    const tagsAfterFirst = await replicaTags();
    expect(tagsAfterFirst).toEqual(
      expect.arrayContaining([
        { Key: 'dr-actions:promoted-at', Value: promotedAt },
        { Key: 'dr-actions:promoted-by', Value: 'https://github.com/acme/infra/actions/runs/101 attempt 1 by alice' },
      ]),
    );

    // Bob's run goes on from its preflight, which still saw a replica: RDS refuses its PromoteReadReplica.
    const late = await execute(second, bob);
    expect(late.outcome.promotion).toMatchObject({
      calledPromote: false,
      promotedAt,
      promotedBy: 'https://github.com/acme/infra/actions/runs/101 attempt 1 by alice',
    });
    expect(await replicaTags()).toEqual(tagsAfterFirst);
    expect(late.steps.steps.find((step) => step.name === 'promote replica')?.detail).toContain(
      `someone else (another failover at the same moment?) promoted it first: RDS refused this run's PromoteReadReplica; promoted at ${promotedAt} by https://github.com/acme/infra/actions/runs/101 attempt 1 by alice (its tags left as they were)`,
    );
    const report = buildFailoverReport({
      settings,
      run: bob.run,
      startedAt: new Date(),
      finishedAt: new Date(),
      steps: late.steps.steps,
      preflight: second,
      outcome: late.outcome,
      failures: [],
      nextSteps: [],
      rollback: [],
    });
    expect(report.details.promotion).toEqual({
      by: 'someone else',
      promotedAt,
      promotedBy: 'https://github.com/acme/infra/actions/runs/101 attempt 1 by alice',
    });
  });

  test('Route 53 accepts the change but the wait for INSYNC fails (GetChange denied, injected: moto never denies): the run fails saying the record was switched and what to do', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { mode: 'execute', confirm: topology.replicaId });
    const clients = createClients(settings);
    const send = clients.route53.send.bind(clients.route53) as (command: unknown) => Promise<unknown>;
    clients.route53.send = ((command: unknown) =>
      command instanceof GetChangeCommand
        ? Promise.reject(
            Object.assign(new Error('User is not authorized to perform: route53:GetChange'), {
              name: 'AccessDenied',
              $fault: 'client',
              $metadata: { httpStatusCode: 403 },
            }),
          )
        : send(command)) as typeof clients.route53.send;
    const ctx: FailoverContext = { clients, pacing: { ...DEFAULT_PACING, ...TEST_PACING }, log: silentLogger };
    const preflight = await runPreflight(settings, ctx);
    const steps = new StepRecorder();
    const outcome: ExecutionOutcome = { promoted: false, recordSwitched: false };
    const failure = await executeFailover({ ...settings, waitTimeoutSeconds: 8 }, preflight, ctx, steps, outcome).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
      { Value: topology.replicaAddress },
    ]);
    expect(outcome).toMatchObject({ promoted: true, recordSwitched: true, changeId: expect.stringMatching(/^C/) });
    expect(failure?.message).toBe(
      `Route 53 accepted change ${outcome.changeId ?? ''}: ${topology.recordName}. points at the new primary now, but waiting for the change to be INSYNC failed (AccessDenied: User is not authorized to perform: route53:GetChange); health was not checked. Run failover again: it finds the record switched and checks health`,
    );
    expect(steps.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'promote replica:passed',
      'prove writable:skipped',
      'switch DNS record:passed',
      'wait for DNS INSYNC:failed',
    ]);
  });

  test('health never healthy: the run fails after health-timeout-seconds, and the report times every step', async () => {
    const topology = await createTopology();
    const health = await startHealthServer(503);
    const settings = settingsFor(topology, {
      mode: 'execute',
      confirm: topology.replicaId,
      health: { url: health.url, display: health.url, expectStatus: 200, timeoutSeconds: 2 },
    });
    try {
      const result = await runFailover(runOptions(settings));
      expect(result.error).toBeInstanceOf(HealthCheckError);
      expect(result.error?.message).toMatch(
        /did not answer HTTP 200 within health-timeout-seconds \(2\.00 s\): \d+ attempts, last answer HTTP 503/,
      );
      // DNS moved before the check failed: the error (the ::error:: line) and the summary's reason say so, with the way back.
      const switchBack =
        `aws route53 change-resource-record-sets --hosted-zone-id ${topology.zoneId} --change-batch '` +
        JSON.stringify({
          Changes: [
            {
              Action: 'DELETE',
              ResourceRecordSet: {
                Name: `${topology.recordName}.`,
                Type: 'CNAME',
                TTL: 60,
                ResourceRecords: [{ Value: topology.replicaAddress }],
              },
            },
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: `${topology.recordName}.`,
                Type: 'CNAME',
                TTL: 60,
                ResourceRecords: [{ Value: topology.primaryAddress }],
              },
            },
          ],
        }) +
        "'";
      expect(result.changeId).toMatch(/^C[A-Z0-9]+$/);
      expect(result.error?.message).toContain(
        `DNS was already switched: change ${result.changeId} points ${topology.recordName}. at the new primary`,
      );
      expect(result.error?.message).toContain(
        `To switch back (only while nothing was written to the new primary): ${switchBack}`,
      );
      expect(result.error?.message).not.toContain('\n');
      const report = JSON.parse(await readFile(settings.reportPath, 'utf8')) as FailoverReport;
      expect(report.passed).toBe(false);
      expect(report.reasons[0]).toContain('did not answer HTTP 200');
      expect(report.reasons[0]).toContain(`DNS was already switched: change ${result.changeId}`);
      expect(report.reasons[0]).toContain(switchBack);
      expect(failoverMarkdown(result)).toContain(`> ❌ ${prose(report.reasons[0])}`);
      expect(stepNames(report)).toEqual([
        'preflight:passed',
        'promote replica:passed',
        'prove writable:skipped',
        'switch DNS record:passed',
        'wait for DNS INSYNC:passed',
        'health check:failed',
      ]);
      const timed = report.steps.filter((s) => s.status !== 'skipped');
      expect(timed.every((s) => s.startedAt && s.finishedAt && typeof s.durationSeconds === 'number')).toBe(true);
      expect(report.steps.at(-1)?.durationSeconds).toBeGreaterThanOrEqual(2);
      expect(report.details.health).toMatchObject({ healthy: false, lastStatus: 503 });
      expect(report.details.health?.attempts).toBeGreaterThan(1);
      expect(report.details.health?.attempts).toBe(health.requests - 1); // the preflight probe, then the polling
      expect(report.objectives.find((o) => o.name === 'RTO')?.measuredSeconds).toBeNull();
      expect(report.checklist.find((c) => c.key === 'applicationStarts')?.status).toBe('failed');
      // The DNS switch happened: the summary must say how to go back.
      expect(failoverMarkdown(result)).toContain('aws route53 change-resource-record-sets');

      // Once the application recovers, a re-run finds promotion and DNS done and finishes the rest.
      health.status = 200;
      const rerun = await runFailover(runOptions({ ...settings, reportPath: `${settings.reportPath}.2` }));
      expect(rerun.error).toBeUndefined();
      expect(stepNames(rerun.report)).toEqual(ONLY_HEALTH_LEFT);
    } finally {
      await health.close();
      await rm(settings.reportPath, { force: true });
      await rm(`${settings.reportPath}.2`, { force: true });
    }
  });

  test('a promotion slower than wait-timeout-seconds fails as unknown state without touching DNS; a re-run finishes it', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { mode: 'execute', confirm: topology.replicaId, waitTimeoutSeconds: 1 });
    const before = await snapshot(topology);
    // Slower for sure: the promotion finishes only once released, not 2 s after the call, which a
    // last status check held up on a busy machine could see.
    await holdPromotion(SECONDARY_REGION, topology.replicaId, true);
    const result = await runFailover(runOptions(settings)).finally(() =>
      holdPromotion(SECONDARY_REGION, topology.replicaId, false),
    );
    expect(result.error).toBeInstanceOf(PromotionUnknownStateError);
    expect(result.error?.message).toMatch(
      /did not finish within wait-timeout-seconds \(1\.00 s\): unknown state \(last seen: status (available|modifying), still a replica of /,
    );
    expect(result.error?.message).toContain('DNS was not changed');
    expect((await snapshot(topology)).record).toEqual(before.record);
    expect(stepNames(result.report)).toEqual(['preflight:passed', 'promote replica:failed']);

    const rerun = await runFailover(
      runOptions({ ...settings, waitTimeoutSeconds: 60, reportPath: `${settings.reportPath}.2` }),
    );
    expect(rerun.error).toBeUndefined();
    expect(rerun.promoted).toBe(true);
    expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
      { Value: topology.replicaAddress },
    ]);
    await rm(settings.reportPath, { force: true });
    await rm(`${settings.reportPath}.2`, { force: true });
  });

  test('regional outage: the source region does not answer; failover still completes and says to fence the old primary when it returns', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { mode: 'execute', confirm: topology.replicaId });
    const deadRegion = `http://127.0.0.1:${await freePort()}`;
    const ctx = contextFor(settings);
    ctx.clients.probeRds = (region) => createRdsClient({ region, endpointUrl: deadRegion }, { maxAttempts: 1 });
    const preflight = await runPreflight(settings, ctx);
    expect(preflight.blockers).toEqual([]);
    expect(preflight.source).toMatchObject({ reachable: false, answers: false });
    expect(preflight.findings.find((f) => f.check === 'Source')?.finding).toContain('unreachable');
    const outcome: ExecutionOutcome = { promoted: false, recordSwitched: false };
    await executeFailover(settings, preflight, ctx, new StepRecorder(), outcome);
    expect(outcome).toMatchObject({ promoted: true, recordSwitched: true });
    const advice = nextSteps(settings, preflight).join('\n');
    expect(advice).toContain(
      `Fence the old primary ${topology.primaryId} (us-east-1) before it can take connections again`,
    );
    expect(advice).not.toContain('Split-brain risk: the old primary');
  });

  test('Route 53 out of reach after the promotion: the run fails saying the replica is promoted and the record is not switched; a re-run finishes', async () => {
    const topology = await createTopology();
    const settings = settingsFor(topology, { mode: 'execute', confirm: topology.replicaId });
    const ctx = contextFor(settings);
    const preflight = await runPreflight(settings, ctx);
    ctx.clients.route53 = createRoute53Client({
      region: SECONDARY_REGION,
      endpointUrl: `http://127.0.0.1:${await freePort()}`,
    });
    const outcome: ExecutionOutcome = { promoted: false, recordSwitched: false };
    const failure = await executeFailover(settings, preflight, ctx, new StepRecorder(), outcome).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    expect(outcome).toMatchObject({ promoted: true, recordSwitched: false });
    expect(failure?.message).toMatch(
      new RegExp(
        `^${topology.replicaId} is promoted and is the primary now, but ${topology.recordName.replace(/\.$/, '')} CNAME was not switched, or switched without an answer: .*ECONNREFUSED.*Run failover again once Route 53 answers`,
      ),
    );
    expect(await recordSets(topology.zoneId, topology.recordName)).toEqual([
      expect.objectContaining({ ResourceRecords: [{ Value: topology.primaryAddress }] }),
    ]);

    const rerun = await runFailover(runOptions(settings));
    expect(rerun.error).toBeUndefined();
    expect(stepNames(rerun.report)).toEqual([
      'preflight:passed',
      'promote replica:skipped',
      'prove writable:skipped',
      'switch DNS record:passed',
      'wait for DNS INSYNC:passed',
      'health check:skipped',
    ]);
    await rm(settings.reportPath, { force: true });
  });

  test("record-type A: the alias moves from the primary region's load balancer to the secondary's", async () => {
    const topology = await createTopology();
    const { zoneId, zoneName } = await createZone();
    const name = `app.${zoneName}.`;
    const primaryNlb = {
      HostedZoneId: 'Z26RNL4JYFTOTI',
      DNSName: 'db-nlb-1.elb.us-east-1.amazonaws.com.',
      EvaluateTargetHealth: true,
    };
    await upsertRecord(zoneId, { Name: name, Type: 'A', AliasTarget: primaryNlb });
    const settings = settingsFor(topology, {
      mode: 'execute',
      confirm: topology.replicaId,
      record: {
        hostedZoneId: zoneId,
        name,
        type: 'A',
        ttl: 60,
        alias: { dnsName: 'db-nlb-2.elb.us-west-2.amazonaws.com.', hostedZoneId: 'Z18D5FSROUN65G' },
      },
    });
    const result = await runFailover(runOptions(settings));
    expect(result.error).toBeUndefined();
    expect(result.previousRecordValue).toBe('ALIAS db-nlb-1.elb.us-east-1.amazonaws.com');
    const [record] = await recordSets(zoneId, name);
    expect(record?.AliasTarget).toEqual({
      HostedZoneId: 'Z18D5FSROUN65G',
      DNSName: 'db-nlb-2.elb.us-west-2.amazonaws.com.',
      EvaluateTargetHealth: true,
    });
    await rm(settings.reportPath, { force: true });
  });
});
