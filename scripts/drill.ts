/**
 * `npm run drill`: the plan's full disaster-recovery drill on this machine, in one command.
 * Starts the test stack (PostgreSQL, moto_server), creates a deterministic sample SaaS database,
 * then runs the bundled actions exactly as a runner would (Node 24, INPUT_* variables, output and
 * summary files): backup, restore-verify of a random backup, failover execute against RDS and
 * Route 53 in moto with a local health endpoint, and drill-report without a pull request.
 * Stops everything it started, also on failure or Ctrl-C; exits non-zero when the drill failed.
 *
 *   npm run drill -- [--size MB] [--keep] [--json]
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/aws/clients.js';
import { parseDatabaseUrl } from '../src/postgres/connection.js';
import { PsqlSession } from '../src/postgres/psql-session.js';
import type { ObjectiveResult, Report } from '../src/report/report.js';
import { formatDuration } from '../src/util/format.js';
import { auditInputsFor, createAuditTopology } from '../test/stack/audit-topology.js';
import { createTopology, rdsIn, SECONDARY_REGION, type Topology } from '../test/stack/aws-topology.js';
import { runBundledAction, type BundledActionRun } from '../test/stack/bundled-action.js';
import { startHealthServer, type HealthServer } from '../test/stack/health-server.js';
import { startStack, type Stack } from '../test/stack/index.js';
import { startStreamingReplica, type StreamingReplica } from '../test/stack/streaming-replica.js';
import { createSaasSchema } from './saas-dataset.js';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '50' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    out: { type: 'string', default: 'drill-output' },
  },
});
const sizeMb = Number(args.size);
if (!Number.isFinite(sizeMb) || sizeMb < 1) {
  process.stderr.write('--size must be a number of megabytes, 1 or more\n');
  process.exit(2);
}
// The drill's own processes run on the machine's Node; the SDK's notice about Node 22 is not for them.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REGION = 'us-east-1';
const BUCKET = 'saas-backups';
/** The plan's regional outage: every backup also lives in the secondary region, and the drill restores from there. */
const COPY_BUCKET = 'saas-backups-us-west-2';
const DATABASE = 'saas_production';
const SCRATCH_DATABASE = 'saas_restore_test';
const outDir = resolve(args.out);
const reportsDir = join(outDir, 'reports');
const runId = `local-${Math.floor(Date.now() / 1000)}`;
const started = Date.now();

const elapsed = () => formatDuration((Date.now() - started) / 1000).padStart(9);
const say = (line: string) => {
  if (!args.json) process.stdout.write(`[${elapsed()}] ${line}\n`);
};

interface StepResult {
  name: string;
  passed: boolean;
  seconds: number;
  detail: string;
}
const steps: StepResult[] = [];

let stack: Stack | undefined;
let replica: StreamingReplica | undefined;
let health: HealthServer | undefined;
let stopping: Promise<never> | undefined;

function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    await health?.close();
    if (!args.keep) {
      await replica?.stop();
      await stack?.stop();
    }
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

async function step(name: string, run: () => Promise<string>): Promise<boolean> {
  say(`${name}...`);
  const t = Date.now();
  let result: { passed: boolean; detail: string };
  try {
    result = { passed: true, detail: await run() };
  } catch (error) {
    result = { passed: false, detail: error instanceof Error ? error.message : String(error) };
  }
  const seconds = (Date.now() - t) / 1000;
  steps.push({ name, seconds, ...result });
  say(`${result.passed ? 'ok  ' : 'FAIL'} ${name} (${formatDuration(seconds)}): ${result.detail}`);
  return result.passed;
}

/** Runs actions/<name>/dist/index.js as the runner would; keeps its job summary; throws its ::error:: when it fails. */
async function action(name: string, inputs: Record<string, string>): Promise<BundledActionRun> {
  const run = await runBundledAction(name, inputs, {
    cwd: outDir,
    // No GITHUB_REPOSITORY: a local run has no page on GitHub to link to.
    env: { GITHUB_WORKSPACE: outDir, GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1', GITHUB_WORKFLOW: 'local drill' },
  });
  await writeFile(join(outDir, 'summaries', `${name}.md`), run.summary);
  if (run.exitCode !== 0) {
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::')).map((line) => line.slice(9));
    throw new Error(errors.join('; ') || `${name} exited with code ${run.exitCode}`);
  }
  return run;
}

/**
 * What RDS does to the database while it promotes a replica: the drill's standby leaves recovery as
 * soon as moto reports the promotion under way, so the action's writable check meets a real primary.
 */
function promoteStandbyWithRds(topology: Topology, standby: StreamingReplica): { stop(): void } {
  let active = true;
  void (async () => {
    while (active) {
      const described = await rdsIn(SECONDARY_REGION).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: topology.replicaId }));
      const instance = described.DBInstances?.[0];
      if (instance?.DBInstanceStatus === 'modifying' || !instance?.ReadReplicaSourceDBInstanceIdentifier) {
        await standby.promote();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return { stop: () => (active = false) };
}

async function readReport(file: string): Promise<Report | undefined> {
  try {
    return JSON.parse(await readFile(join(reportsDir, file), 'utf8')) as Report;
  } catch {
    return undefined;
  }
}

function describeObjective(o: ObjectiveResult): string {
  const measured = o.measuredSeconds === null ? 'not measured' : formatDuration(o.measuredSeconds);
  return `${o.name} (${o.scenario}, ${o.measure}): ${measured} of ${formatDuration(o.targetSeconds)} ${o.passed === null ? '(unknown)' : o.passed ? '(met)' : '(MISSED)'}`;
}

async function drill(): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'summaries'), { recursive: true });
  await mkdir(reportsDir, { recursive: true });

  const ready = await step('start the test stack', async () => {
    stack = await startStack();
    Object.assign(process.env, stack.env);
    return `PostgreSQL ${stack.postgres.version} on 127.0.0.1:${stack.postgres.port}, moto_server on ${stack.awsEndpoint}`;
  });
  if (!ready || !stack) return;
  const live = stack;
  const serverUrl = `postgres://${live.postgres.user}:${encodeURIComponent(live.postgres.password)}@127.0.0.1:${live.postgres.port}`;
  const sourceUrl = `${serverUrl}/${DATABASE}`;

  const seeded = await step(`create the sample database (${sizeMb} MB)`, async () => {
    const admin = await PsqlSession.open(parseDatabaseUrl(`${serverUrl}/postgres`, 'url'));
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.close();
    const rows = await createSaasSchema(parseDatabaseUrl(sourceUrl, 'url'), sizeMb);
    await createS3Client({ region: REGION, endpointUrl: live.awsEndpoint }).send(new CreateBucketCommand({ Bucket: BUCKET }));
    await createS3Client({ region: SECONDARY_REGION, endpointUrl: live.awsEndpoint }).send(
      new CreateBucketCommand({ Bucket: COPY_BUCKET, CreateBucketConfiguration: { LocationConstraint: SECONDARY_REGION }, ObjectLockEnabledForBucket: true }),
    );
    return Object.entries(rows).map(([table, n]) => `${n.toLocaleString('en-US')} ${table}`).join(', ');
  });
  if (!seeded) return;

  const backedUp = await step('backup (actions/backup)', async () => {
    const run = await action('backup', {
      'database-url': sourceUrl,
      bucket: BUCKET,
      'endpoint-url': live.awsEndpoint,
      region: REGION,
      'copy-bucket': COPY_BUCKET,
      'copy-region': SECONDARY_REGION,
    });
    if (run.outputs['copy-status'] !== 'copied') throw new Error(`the copy to ${SECONDARY_REGION} is ${run.outputs['copy-status']}`);
    return `${run.outputs.key}: ${Number(run.outputs['size-bytes']).toLocaleString('en-US')} bytes, ${run.outputs.tables} tables, ${run.outputs['duration-seconds']} s; copied to s3://${COPY_BUCKET} (${SECONDARY_REGION}, locked)`;
  });

  if (backedUp) {
    await step("restore-verify a random backup from the secondary region's copy (actions/restore-verify)", async () => {
      const run = await action('restore-verify', {
        bucket: COPY_BUCKET,
        prefix: 'database/',
        backup: 'random',
        'target-database-url': `${serverUrl}/${SCRATCH_DATABASE}`,
        'source-database-url': sourceUrl,
        checks: resolve('scripts/drill-checks.sql'),
        'smoke-command': 'psql -X -q -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM users"',
        'endpoint-url': live.awsEndpoint,
        region: SECONDARY_REGION,
        'report-path': join(reportsDir, 'restore-verify-report.json'),
      });
      return `${run.outputs['backup-key']} restored from s3://${COPY_BUCKET} (${SECONDARY_REGION}) and verified; recovery ${run.outputs['recovery-seconds']} s`;
    });
  }

  await step("audit the plan's prerequisites (actions/dr-audit)", async () => {
    // The plan's AWS topology set up as the plan says (test/stack/audit-topology.ts), on moto.
    const t = await createAuditTopology();
    const run = await action('dr-audit', {
      ...auditInputsFor(t, { endpointUrl: live.awsEndpoint, reportPath: join(reportsDir, 'dr-audit-report.json') }),
      'cache-replication-group-id': t.cacheGroupId,
    });
    return `${run.outputs['findings-count']} findings, ${run.outputs['failed-count']} failing the step (fail-on high)`;
  });

  await step('failover to the replica region (actions/failover, execute)', async () => {
    replica = await startStreamingReplica(live.postgres);
    health = await startHealthServer(200);
    const topology = await createTopology();
    const promoting = promoteStandbyWithRds(topology, replica);
    const failover = {
      'replica-id': topology.replicaId,
      region: SECONDARY_REGION,
      'hosted-zone-id': topology.zoneId,
      'record-name': topology.recordName,
      'health-url': health.url,
      'replica-database-url': replica.url(DATABASE),
      'endpoint-url': live.awsEndpoint,
    };
    try {
      // As failover.yml runs it: the plan the reviewers see, then execute bound to the record that plan saw.
      const plan = await action('failover', { ...failover, 'report-path': join(outDir, 'failover-plan-report.json') });
      const run = await action('failover', {
        ...failover,
        mode: 'execute',
        confirm: topology.replicaId,
        'expected-record-value': plan.outputs['record-value'] ?? '',
        'report-path': join(reportsDir, 'failover-report.json'),
      });
      return `${topology.recordName} now points at ${run.outputs.endpoint}; healthy after ${run.outputs['duration-seconds']} s`;
    } finally {
      promoting.stop();
    }
  });

  await step('drill report (actions/drill-report, no pull request)', async () => {
    const run = await action('drill-report', {
      reports: 'reports/*.json',
      title: 'Local disaster-recovery drill',
      'history-dir': 'history',
      'open-pr': 'false',
    });
    return `${join(outDir, run.outputs['report-path'] as string)} (${run.outputs.passed === 'true' ? 'passed' : 'failed'})`;
  });
}

try {
  await drill();
} catch (error) {
  say(`the drill stopped: ${error instanceof Error ? error.message : String(error)}`);
  steps.push({ name: 'drill', passed: false, seconds: 0, detail: String(error) });
}

const reports = (await Promise.all(['restore-verify-report.json', 'dr-audit-report.json', 'failover-report.json'].map(readReport))).filter((r): r is Report => Boolean(r));
const objectives = reports.flatMap((report) => report.objectives.map((o) => ({ ...o, kind: report.kind })));
const passed = steps.length > 0 && steps.every((s) => s.passed) && objectives.every((o) => o.passed !== false);
const drillReport = steps.find((s) => s.name.startsWith('drill report'))?.passed ? steps.at(-1)?.detail.replace(/ \((passed|failed)\)$/, '') : undefined;

if (args.json) {
  const verdict = {
    passed,
    seconds: (Date.now() - started) / 1000,
    steps,
    objectives,
    outputDir: outDir,
    report: drillReport,
    started: { postgresPort: stack?.postgres.port, motoPid: stack?.motoPid, replicaPort: replica?.port, healthUrl: health?.url },
  };
  process.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
} else {
  say(`${passed ? 'PASSED' : 'FAILED'}: ${steps.filter((s) => s.passed).length} of ${steps.length} steps passed`);
  for (const s of steps) process.stdout.write(`  ${s.passed ? 'ok  ' : 'FAIL'} ${formatDuration(s.seconds).padStart(9)}  ${s.name}\n`);
  for (const o of objectives) process.stdout.write(`  ${o.passed === false ? 'MISS' : 'ok  '} ${o.kind}: ${describeObjective(o)}\n`);
  process.stdout.write(`  drill report: ${drillReport ?? 'not written'}\n  job summaries: ${join(outDir, 'summaries')}\n  JSON reports: ${reportsDir}\n`);
  if (args.keep && stack) {
    process.stdout.write(
      `  the stack keeps running (Ctrl-C does not stop it now):\n` +
        `    psql '${sourceUrlFor(stack)}'\n    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${stack.awsEndpoint} s3 ls s3://${BUCKET}/database/\n` +
        `    stop it: pg_ctl -D ${stack.postgres.baseDir}/data stop (as postgres) and kill ${stack.motoPid}\n`,
    );
  }
}

function sourceUrlFor(s: Stack): string {
  return `postgres://${s.postgres.user}:${encodeURIComponent(s.postgres.password)}@127.0.0.1:${s.postgres.port}/${DATABASE}`;
}

await stop(passed ? 0 : 1);
