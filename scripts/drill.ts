/**
 * `npm run drill`: the plan's full disaster-recovery drill on this machine, in one command.
 * Starts the test stack (PostgreSQL, moto_server) and a production server that archives its WAL
 * (what RDS keeps for point-in-time recovery), creates a deterministic sample SaaS database and
 * its application's roles there, then runs the bundled actions exactly as a runner would (Node 24,
 * INPUT_* variables, output and summary files): backup, restore-verify of a random backup from the
 * secondary region's copy, the plan's infrastructure rebuild onto a second, empty cluster, a
 * restore of the latest RDS recovery point in the secondary region, dr-audit, failover execute
 * against RDS and Route 53 in moto with a local health endpoint, and drill-report without a pull
 * request. Stops everything it started, also on failure or Ctrl-C; exits non-zero when the drill
 * failed.
 *
 *   npm run drill -- [--size MB] [--keep] [--json]
 *
 * APP_DB_PASSWORD, when set, is the application role's password (as a secret would give it);
 * otherwise the drill makes one up.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/aws/clients.js';
import { parseDatabaseUrl } from '../src/postgres/connection.js';
import { PsqlSession } from '../src/postgres/psql-session.js';
import type { RdsRestoreReport } from '../src/rds-restore/rds-restore-report.js';
import type { ObjectiveResult, Report } from '../src/report/report.js';
import type { RestoreVerifyReport } from '../src/restore/restore-report.js';
import { formatDuration } from '../src/util/format.js';
import { auditInputsFor, createAuditTopology } from '../test/stack/audit-topology.js';
import { createTopology, PRIMARY_REGION, rdsIn, SECONDARY_REGION, type Topology } from '../test/stack/aws-topology.js';
import { runBundledAction, type BundledActionRun } from '../test/stack/bundled-action.js';
import { startHealthServer, type HealthServer } from '../test/stack/health-server.js';
import { startStack, type Stack } from '../test/stack/index.js';
import { startArchivingPrimary, type ArchivingPrimary } from '../test/stack/point-in-time.js';
import { postgresUrl, startPostgres, type PostgresServer } from '../test/stack/postgres.js';
import { serveRestores, type RestoreService } from '../test/stack/rds-restores.js';
import { startStreamingReplica, type StreamingReplica } from '../test/stack/streaming-replica.js';
import { createRdsSource } from './drill-rds.js';
import { createSaasSchema } from './saas-dataset.js';
import { APP_SETTINGS, createSaasRoles, SAAS_ROLES } from './saas-roles.js';

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

const REGION = PRIMARY_REGION;
const BUCKET = 'saas-backups';
/** The plan's regional outage: every backup also lives in the secondary region, and the drill restores from there. */
const COPY_BUCKET = 'saas-backups-us-west-2';
const DATABASE = 'saas_production';
const SCRATCH_DATABASE = 'saas_restore_test';
/** The production instance as RDS knows it (scripts/drill-rds.ts). */
const RDS_INSTANCE = 'saas-production';
/** Payments production takes between the night's backup and the RDS recovery point. */
const PAYMENTS_AFTER_BACKUP = 25;
/** The application role's password, from the environment as a secret would give it, never printed. */
const appPassword = process.env.APP_DB_PASSWORD || randomBytes(18).toString('base64url');
const outDir = resolve(args.out);
const reportsDir = join(outDir, 'reports');
/**
 * Each report in a folder named for the run that made it, as drill-report finds them in dr-drill.yml
 * (one folder per downloaded artifact): the two restore-verify reports are told apart by their folder.
 */
const REPORT = {
  restoreFromCopy: 'restore-verify-copy/restore-verify-report.json',
  rebuild: 'restore-verify-rebuild/restore-verify-report.json',
  rdsRestoreTest: 'rds-restore-test/rds-restore-test-report.json',
  audit: 'dr-audit/dr-audit-report.json',
  failover: 'failover-execute/failover-report.json',
} as const;
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
/** The drill's production server: it archives its WAL, so RDS's point-in-time restores of it are real ones. */
let primary: ArchivingPrimary | undefined;
/** The new, empty server of the plan's infrastructure rebuild. */
let newServer: PostgresServer | undefined;
let restores: RestoreService | undefined;
let replica: StreamingReplica | undefined;
let health: HealthServer | undefined;
let stopping: Promise<never> | undefined;

function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    await health?.close();
    // RDS deleted the restored instance (rds-restore-test does): its server goes whatever --keep says.
    await restores?.stop();
    if (!args.keep) {
      await replica?.stop();
      await newServer?.stop();
      await primary?.stop();
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

interface ActionOptions {
  /** The step's own environment, as `env:` gives a workflow step its secrets. */
  env?: Record<string, string>;
  /** The job summary's file name in summaries/ (without .md), when the action runs more than once; its name by default. */
  summary?: string;
}

/** Runs actions/<name>/dist/index.js as the runner would; keeps its job summary; throws its ::error:: when it fails. */
async function action(name: string, inputs: Record<string, string>, options: ActionOptions = {}): Promise<BundledActionRun> {
  const run = await runBundledAction(name, inputs, {
    cwd: outDir,
    // No GITHUB_REPOSITORY: a local run has no page on GitHub to link to.
    env: { GITHUB_WORKSPACE: outDir, GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1', GITHUB_WORKFLOW: 'local drill', ...options.env },
  });
  await writeFile(join(outDir, 'summaries', `${options.summary ?? name}.md`), run.summary);
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

async function readReport<R extends Report = Report>(file: string): Promise<R | undefined> {
  try {
    return JSON.parse(await readFile(join(reportsDir, file), 'utf8')) as R;
  } catch {
    return undefined;
  }
}

/** Where a secret would show: what the action printed (but the line that masks it), its summary and its report. */
function leaks(secret: string, run: BundledActionRun, report: string): boolean {
  const printed = run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
  return [...printed, run.stderr, run.summary, report].some((text) => text.includes(secret));
}

function describeObjective(o: ObjectiveResult): string {
  const measured = o.measuredSeconds === null ? 'not measured' : formatDuration(o.measuredSeconds);
  return `${o.name} (${o.scenario}, ${o.measure}): ${measured} of ${formatDuration(o.targetSeconds)} ${o.passed === null ? '(unknown)' : o.passed ? '(met)' : '(MISSED)'}`;
}

/** The sample database's rows, as created (before production's later writes). */
let dataset: Awaited<ReturnType<typeof createSaasSchema>> | undefined;
/** Ports of the servers RDS's restores were served by, so the drill can say none is left running. */
const restoredPorts: number[] = [];

/**
 * The plan's infrastructure rebuild: a second, empty cluster stands in for the new server; the
 * backup brings back the roles (from its globals), the database with owners and grants, and its
 * settings; the application's role logs in with its password from a secret and reads its tables.
 */
async function rebuildOntoEmptyServer(live: Stack, sourceUrl: string): Promise<string> {
  newServer = await startPostgres();
  const reportFile = REPORT.rebuild;
  const login = resolve('scripts/drill-app-login.sql');
  const run = await action(
    'restore-verify',
    {
      bucket: BUCKET,
      prefix: 'database/',
      backup: 'latest',
      'target-database-url': newServer.url(DATABASE),
      'source-database-url': sourceUrl,
      rebuild: 'true',
      'keep-database': 'true',
      'role-passwords': JSON.stringify({ [SAAS_ROLES.app]: appPassword }),
      'smoke-env': 'APP_DB_PASSWORD',
      checks: resolve('scripts/drill-checks.sql'),
      'smoke-command': `sh -c 'PGUSER=${SAAS_ROLES.app} PGPASSWORD="$APP_DB_PASSWORD" exec psql -X -A -t -v ON_ERROR_STOP=1 -f "${login}"'`,
      'endpoint-url': live.awsEndpoint,
      region: REGION,
      'report-path': join(reportsDir, reportFile),
    },
    { env: { APP_DB_PASSWORD: appPassword }, summary: 'restore-verify-rebuild' },
  );
  const reportText = await readFile(join(reportsDir, reportFile), 'utf8');
  if (leaks(appPassword, run, reportText)) throw new Error(`${SAAS_ROLES.app}'s password shows in the rebuild's output, summary or report`);
  const report = JSON.parse(reportText) as RestoreVerifyReport;
  const roles = report.details.roles;
  if (roles?.mode !== 'rebuild' || roles.missing.length > 0 || !roles.passwordsSet.includes(SAAS_ROLES.app)) {
    throw new Error(`the rebuild's roles: ${JSON.stringify(roles)}`);
  }
  // What the application saw, as its own role: its settings, its tables, its sequence.
  const seen = (report.details.smoke?.output ?? '').trim().split('\n');
  const expected = [SAAS_ROLES.app, APP_SETTINGS.statement_timeout, APP_SETTINGS.work_mem, String(dataset?.payments), String(dataset?.users), '1000'];
  if (seen.join(' ') !== expected.join(' ')) throw new Error(`the application's login on the new server saw ${seen.join(' ')}, not ${expected.join(' ')}`);
  return (
    `${DATABASE} rebuilt from ${run.outputs['backup-key']} on an empty PostgreSQL ${newServer.version} (127.0.0.1:${newServer.port}): ` +
    `roles ${roles.created.join(', ')} created from the backup's globals, ${SAAS_ROLES.app}'s password from APP_DB_PASSWORD; ` +
    `${SAAS_ROLES.app} logged in (statement_timeout ${seen[1]}, work_mem ${seen[2]}) and read ${seen[3]} payments; recovery ${run.outputs['recovery-seconds']} s`
  );
}

/**
 * The plan's regional outage, on RDS: production's latest recovery point, restored in the secondary
 * region from its replicated automated backups into a temporary instance, proven, deleted. Production
 * took payments after the night's backup; the recovery point must hold them.
 */
async function restoreRecoveryPoint(live: Stack, production: ArchivingPrimary): Promise<string> {
  const source = await createRdsSource({
    instanceId: RDS_INSTANCE,
    primary: production,
    database: DATABASE,
    awsEndpoint: live.awsEndpoint,
    primaryRegion: REGION,
    secondaryRegion: SECONDARY_REGION,
    newPayments: PAYMENTS_AFTER_BACKUP,
  });
  const service = serveRestores(production, live.awsEndpoint, { serves: (request) => request.sourceInstance === RDS_INSTANCE });
  restores = service;
  const reportFile = REPORT.rdsRestoreTest;
  try {
    const run = await action('rds-restore-test', {
      'instance-id': RDS_INSTANCE,
      'source-region': REGION,
      region: SECONDARY_REGION,
      'recovery-point': 'latest',
      username: production.user,
      password: production.password,
      database: DATABASE,
      checks: resolve('scripts/drill-checks.sql'),
      'smoke-command': 'psql -X -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM payments"',
      'count-tables': 'payments',
      'newest-row-columns': 'payments.paid_at',
      'wait-timeout-minutes': '10',
      'endpoint-url': live.awsEndpoint,
      'report-path': join(reportsDir, reportFile),
    });
    if (service.errors.length > 0) throw new Error(`the stack could not serve the restore: ${service.errors.join('; ')}`);
    const report = await readReport<RdsRestoreReport>(reportFile);
    if (!report) throw new Error(`rds-restore-test wrote no ${reportFile}`);
    if (leaks(production.password, run, JSON.stringify(report))) throw new Error("the master password shows in the RDS restore test's output, summary or report");
    const restored = report.details.smoke?.output.trim();
    if (restored !== String(source.payments)) {
      throw new Error(`the restored instance holds ${restored} payments, not the ${source.payments} committed by the recovery point (${source.writtenAfterBackup} of them after the backup)`);
    }
    if (!report.details.instance.deleted) throw new Error(`${report.details.instance.id} was not deleted`);
    const newest = report.details.proof?.newestRows[0]?.beforeRecoveryPointSeconds;
    return (
      `${report.details.instance.id} restored in ${SECONDARY_REGION} from ${REGION}'s replicated automated backups, as of ${run.outputs['recovery-point-time']} (the latest restorable time): ` +
      `${restored} payments, the ${source.writtenAfterBackup} taken after the backup included (newest ${newest === undefined ? 'unknown' : formatDuration(newest)} before the recovery point); ` +
      `recovery ${run.outputs['recovery-seconds']} s; instance deleted`
    );
  } finally {
    restoredPorts.push(...service.served.map((s) => s.server.port));
    await service.stop();
  }
}

async function drill(): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'summaries'), { recursive: true });
  await mkdir(reportsDir, { recursive: true });

  const ready = await step('start the test stack', async () => {
    // Each is kept as soon as it runs, so that stop() ends it even when the other failed to start.
    const [started, archiving] = await Promise.allSettled([startStack().then((s) => (stack = s)), startArchivingPrimary().then((p) => (primary = p))]);
    if (started.status === 'rejected') throw started.reason;
    if (archiving.status === 'rejected') throw archiving.reason;
    Object.assign(process.env, started.value.env);
    return (
      `PostgreSQL ${started.value.postgres.version} on 127.0.0.1:${started.value.postgres.port}, moto_server on ${started.value.awsEndpoint}; ` +
      `the production server on 127.0.0.1:${archiving.value.port}, archiving its WAL since its base backup (point-in-time recovery)`
    );
  });
  if (!ready || !stack || !primary) return;
  const live = stack;
  const production = primary;
  const sourceUrl = production.url(DATABASE);

  const seeded = await step(`create the sample database (${sizeMb} MB) and the application's roles`, async () => {
    const admin = await PsqlSession.open(parseDatabaseUrl(production.url(), 'url'));
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.close();
    dataset = await createSaasSchema(parseDatabaseUrl(sourceUrl, 'url'), sizeMb);
    const roles = await createSaasRoles(parseDatabaseUrl(sourceUrl, 'url'), appPassword);
    await createS3Client({ region: REGION, endpointUrl: live.awsEndpoint }).send(new CreateBucketCommand({ Bucket: BUCKET }));
    await createS3Client({ region: SECONDARY_REGION, endpointUrl: live.awsEndpoint }).send(
      new CreateBucketCommand({ Bucket: COPY_BUCKET, CreateBucketConfiguration: { LocationConstraint: SECONDARY_REGION }, ObjectLockEnabledForBucket: true }),
    );
    return `${Object.entries(dataset).map(([table, n]) => `${n.toLocaleString('en-US')} ${table}`).join(', ')}; roles ${roles.join(', ')} (owner, read-only group, the application's login)`;
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
    return (
      `${run.outputs.key}: ${Number(run.outputs['size-bytes']).toLocaleString('en-US')} bytes, ${run.outputs.tables} tables, ${run.outputs['duration-seconds']} s; ` +
      `the server's roles in ${run.outputs['globals-key']}; copied to s3://${COPY_BUCKET} (${SECONDARY_REGION}, locked)`
    );
  });

  if (backedUp) {
    await step("restore-verify a random backup from the secondary region's copy (actions/restore-verify)", async () => {
      const run = await action('restore-verify', {
        bucket: COPY_BUCKET,
        prefix: 'database/',
        backup: 'random',
        // A scratch database on another server than production, as the monthly restore test's service container is.
        'target-database-url': postgresUrl(live.postgres, SCRATCH_DATABASE),
        'source-database-url': sourceUrl,
        checks: resolve('scripts/drill-checks.sql'),
        'smoke-command': 'psql -X -q -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM users"',
        'endpoint-url': live.awsEndpoint,
        region: SECONDARY_REGION,
        'report-path': join(reportsDir, REPORT.restoreFromCopy),
      });
      return `${run.outputs['backup-key']} restored from s3://${COPY_BUCKET} (${SECONDARY_REGION}) and verified; recovery ${run.outputs['recovery-seconds']} s`;
    });

    await step('rebuild the server: restore-verify with rebuild onto a second, empty cluster (actions/restore-verify)', () => rebuildOntoEmptyServer(live, sourceUrl));
  }

  await step('restore the latest RDS recovery point in the secondary region (actions/rds-restore-test)', () => restoreRecoveryPoint(live, production));

  await step("audit the plan's prerequisites (actions/dr-audit)", async () => {
    // The plan's AWS topology set up as the plan says (test/stack/audit-topology.ts), on moto.
    const t = await createAuditTopology();
    const run = await action('dr-audit', {
      ...auditInputsFor(t, { endpointUrl: live.awsEndpoint, reportPath: join(reportsDir, REPORT.audit) }),
      'cache-replication-group-id': t.cacheGroupId,
    });
    return `${run.outputs['findings-count']} findings, ${run.outputs['failed-count']} failing the step (fail-on high)`;
  });

  await step('failover to the replica region (actions/failover, execute)', async () => {
    replica = await startStreamingReplica(production);
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
        'report-path': join(reportsDir, REPORT.failover),
      });
      return `${topology.recordName} now points at ${run.outputs.endpoint}; healthy after ${run.outputs['duration-seconds']} s`;
    } finally {
      promoting.stop();
    }
  });

  await step('drill report (actions/drill-report, no pull request)', async () => {
    const run = await action('drill-report', {
      reports: 'reports/**/*.json',
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

// In the order the drill made them.
const reports = (await Promise.all(Object.values(REPORT).map((file) => readReport(file)))).filter((r): r is Report => Boolean(r));
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
    started: {
      postgresPort: stack?.postgres.port,
      motoPid: stack?.motoPid,
      productionPort: primary?.port,
      newServerPort: newServer?.port,
      restoredPorts,
      replicaPort: replica?.port,
      healthUrl: health?.url,
    },
  };
  process.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
} else {
  say(`${passed ? 'PASSED' : 'FAILED'}: ${steps.filter((s) => s.passed).length} of ${steps.length} steps passed`);
  for (const s of steps) process.stdout.write(`  ${s.passed ? 'ok  ' : 'FAIL'} ${formatDuration(s.seconds).padStart(9)}  ${s.name}\n`);
  for (const o of objectives) process.stdout.write(`  ${o.passed === false ? 'MISS' : 'ok  '} ${o.kind}: ${describeObjective(o)}\n`);
  process.stdout.write(`  drill report: ${drillReport ?? 'not written'}\n  job summaries: ${join(outDir, 'summaries')}\n  JSON reports: ${reportsDir}\n`);
  if (args.keep && stack) {
    const servers = [primary, newServer, replica].filter((s): s is NonNullable<typeof s> => Boolean(s));
    process.stdout.write(
      `  the stack keeps running (Ctrl-C does not stop it now):\n` +
        (primary ? `    production: psql '${primary.url(DATABASE)}'\n` : '') +
        (newServer ? `    the rebuilt server: psql '${newServer.url(DATABASE)}' (or as ${SAAS_ROLES.app}, with APP_DB_PASSWORD)\n` : '') +
        `    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${stack.awsEndpoint} s3 ls s3://${BUCKET}/database/\n` +
        `    stop it: pg_ctl -D <dir>/data stop (as postgres) for ${[stack.postgres, ...servers].map((s) => s.baseDir).join(', ')}; kill ${stack.motoPid}\n`,
    );
  }
}

await stop(passed ? 0 : 1);
