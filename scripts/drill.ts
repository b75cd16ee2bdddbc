/**
 * `npm run drill`: the plan's full disaster-recovery drill on this machine, in one command.
 * Starts the test stack (PostgreSQL, moto_server), creates a deterministic sample SaaS database,
 * and runs the bundled actions exactly as a runner would (Node 24, INPUT_* variables, output and
 * summary files). Stops everything it started, also on failure or Ctrl-C.
 *
 *   npm run drill -- [--size MB] [--keep] [--json]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/aws/clients.js';
import { parseDatabaseUrl } from '../src/postgres/connection.js';
import { PsqlSession } from '../src/postgres/psql-session.js';
import { formatDuration } from '../src/util/format.js';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { runBundledAction, type BundledActionRun } from '../test/helpers/bundled-action.js';
import { createTopology, rdsIn, SECONDARY_REGION, type Topology } from '../test/stack/aws-topology.js';
import { startHealthServer, type HealthServer } from '../test/stack/health-server.js';
import { startStack, type Stack } from '../test/stack/index.js';
import { startStreamingReplica, type StreamingReplica } from '../test/stack/streaming-replica.js';
import { createSaasSchema } from './saas-dataset.js';

const { values: args } = parseArgs({
  options: { size: { type: 'string', default: '50' }, keep: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
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
const DATABASE = 'saas_production';
const outDir = resolve('drill-output');
const started = Date.now();
const elapsed = () => formatDuration((Date.now() - started) / 1000);
const say = (line: string) => {
  if (!args.json) process.stdout.write(`[${elapsed().padStart(9)}] ${line}\n`);
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
async function stop(code: number): Promise<never> {
  await health?.close();
  if (!args.keep) {
    await replica?.stop();
    await stack?.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

async function step(name: string, run: () => Promise<{ passed: boolean; detail: string }>): Promise<boolean> {
  say(`${name}...`);
  const t = Date.now();
  const result = await run().catch((error: unknown) => ({ passed: false, detail: String(error instanceof Error ? error.message : error) }));
  const seconds = (Date.now() - t) / 1000;
  steps.push({ name, seconds, ...result });
  say(`${result.passed ? 'ok  ' : 'FAIL'} ${name} (${formatDuration(seconds)}): ${result.detail}`);
  return result.passed;
}

async function action(name: string, inputs: Record<string, string>): Promise<BundledActionRun> {
  const run = await runBundledAction(name, inputs, { env: { GITHUB_REPOSITORY: 'local/drill', GITHUB_RUN_ID: String(started) } });
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, `${name}-summary.md`), run.summary);
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

try {
  await step('start the test stack', async () => {
    stack = await startStack();
    Object.assign(process.env, stack.env);
    return { passed: true, detail: `PostgreSQL ${stack.postgres.version} on 127.0.0.1:${stack.postgres.port}, moto_server on ${stack.awsEndpoint}` };
  });
  const live = stack as Stack;
  const adminUrl = `postgres://${live.postgres.user}:${encodeURIComponent(live.postgres.password)}@127.0.0.1:${live.postgres.port}`;
  const sourceUrl = `${adminUrl}/${DATABASE}`;

  await step(`create the sample database (${sizeMb} MB)`, async () => {
    const admin = await PsqlSession.open(parseDatabaseUrl(`${adminUrl}/postgres`, 'url'));
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.close();
    const rows = await createSaasSchema(parseDatabaseUrl(sourceUrl, 'url'), sizeMb);
    await createS3Client({ region: REGION, endpointUrl: live.awsEndpoint }).send(new CreateBucketCommand({ Bucket: BUCKET }));
    return { passed: true, detail: Object.entries(rows).map(([table, n]) => `${n} ${table}`).join(', ') };
  });

  await step('backup (actions/backup)', async () => {
    const run = await action('backup', { 'database-url': sourceUrl, bucket: BUCKET, 'endpoint-url': live.awsEndpoint, region: REGION });
    return run.exitCode === 0
      ? { passed: true, detail: `${run.outputs.key}, ${run.outputs['size-bytes']} bytes, ${run.outputs.tables} tables` }
      : { passed: false, detail: run.stdout.split('\n').find((l) => l.startsWith('::error::'))?.slice(9) ?? `exit ${run.exitCode}` };
  });

  await step('failover (actions/failover, execute)', async () => {
    replica = await startStreamingReplica(live.postgres);
    health = await startHealthServer(200);
    const topology = await createTopology();
    const promoting = promoteStandbyWithRds(topology, replica);
    const run = await action('failover', {
      mode: 'execute',
      confirm: topology.replicaId,
      'replica-id': topology.replicaId,
      region: SECONDARY_REGION,
      'hosted-zone-id': topology.zoneId,
      'record-name': topology.recordName,
      'health-url': health.url,
      'replica-database-url': replica.url(DATABASE),
      'endpoint-url': live.awsEndpoint,
      'report-path': join(outDir, 'failover-report.json'),
    });
    promoting.stop();
    return run.exitCode === 0
      ? { passed: true, detail: `promoted ${topology.replicaId}, ${topology.recordName} -> ${run.outputs.endpoint}, healthy after ${run.outputs['duration-seconds']} s` }
      : { passed: false, detail: run.stdout.split('\n').find((l) => l.startsWith('::error::'))?.slice(9) ?? `exit ${run.exitCode}` };
  });

  const passed = steps.every((s) => s.passed);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ passed, seconds: (Date.now() - started) / 1000, steps, outputDir: outDir }, null, 2)}\n`);
  } else {
    say(`${passed ? 'PASSED' : 'FAILED'}: ${steps.filter((s) => s.passed).length}/${steps.length} steps; job summaries in ${outDir}`);
    if (args.keep && stack) say(`stack left running: psql ${sourceUrl.replace(live.postgres.password, '<password>')}; aws --endpoint-url ${live.awsEndpoint} s3 ls s3://${BUCKET}/`);
  }
  await stop(passed ? 0 : 1);
} catch (error) {
  say(`drill failed: ${String(error)}`);
  await stop(1);
}
