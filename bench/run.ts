/**
 * `npm run bench -- [--size S|M] [--runs 3] [--only backup|restore|download|many-tables]`
 * `npm run bench -- --only jobs [--size S,M] [--runs 3]`: only jobs 1 against jobs 2 (jobs-comparison.ts)
 *
 * Measures the bundled actions against the plan's own shell procedure, against pg_dump /
 * pg_restore alone and against a physical restore (pgBackRest), on the test stack (PostgreSQL and
 * moto_server on loopback), interleaving the commands run by run, and writes medians and ratios to
 * bench/results/<date>-<size>[-<label>].{json,md}. `--only restore` takes the backups it restores once, untimed; `--only download`
 * does the same and measures restore-verify alone, with download: file and download: stream, of the single archive and
 * of a parallel backup (jobs 2, restored with jobs 2: its parts downloaded, or streamed at once).
 * `--only many-tables` runs only the many-tables case instead (10,000 tables of 10 rows on a server
 * with the default lock table): backup against pg_dump alone, restore-verify against pg_restore
 * alone, written to bench/results/<date>-many-tables[-<label>].{json,md}.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/aws/clients.js';
import { parseDatabaseUrl, withDatabase } from '../src/postgres/connection.js';
import { PsqlSession } from '../src/postgres/psql-session.js';
import type { Report } from '../src/report/report.js';
import { RECLAIM_OPT_IN } from '../src/util/buffer-reclaimer.js';
import { formatBytes } from '../src/util/format.js';
import { node24Path } from '../harness/node24.js';
import { MOTO_CREDENTIALS, startMoto, type MotoServer } from '../harness/moto.js';
import { startPostgres, type PostgresServer } from '../harness/postgres.js';
import { openDataset, openManyTablesDataset, SIZES, type Dataset, type SizeName } from './dataset.js';
import { describeMachine } from './machine.js';
import { jobsMarkdown, jobsRatios, jobsVariants } from './jobs-comparison.js';
import { cpuSeconds, measure, median, type Measurement } from './measure.js';
import { preparePhysicalRestore, type PhysicalRestore } from './physical.js';
import { measureRestorePhases, type RestorePhases } from './restore-phases.js';
import { SCRATCH_SERVER_SETTINGS } from './scratch-server.js';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: 'S' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    label: { type: 'string' },
  },
});
const ONLY = ['backup', 'restore', 'download', 'many-tables', 'jobs'];
if (args.only !== undefined && !ONLY.includes(args.only)) throw new Error(`--only must be one of ${ONLY.join(', ')}`);
/** Only the many-tables case: its own dataset, the action against the client tools alone. */
const manyTables = args.only === 'many-tables';
const sizes = String(args.size).split(',') as SizeName[];
if (sizes.some((s) => !(s in SIZES)) || (sizes.length > 1 && args.only !== 'jobs'))
  throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')} (a list such as S,M only with --only jobs)`);
const size = sizes[0] as SizeName;
const runs = Math.max(1, Number(args.runs));
const root = fileURLToPath(new URL('..', import.meta.url));
const BUCKET = 'bench-backups';
const REGION = 'us-east-1';
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
Object.assign(process.env, MOTO_CREDENTIALS);

interface Variant {
  name: string;
  description: string;
  run(round: number): Promise<Measurement>;
  /** Untimed work after each run (dropping the database a restore made). */
  after?(round: number): Promise<void>;
}

interface VariantResult {
  name: string;
  description: string;
  seconds: number[];
  medianSeconds: number;
  medianMaxRssKiB: number;
  medianReportedRssKiB?: number;
  /** CPU that moto_server spent serving the run: S3's work, which in production is not on the runner. */
  medianEmulatorCpuSeconds: number;
}

async function interleave(variants: Variant[], moto: MotoServer): Promise<VariantResult[]> {
  const measured = new Map<string, (Measurement & { emulatorCpuSeconds: number })[]>(variants.map((v) => [v.name, []]));
  for (let round = 1; round <= runs; round += 1) {
    for (const variant of variants) {
      const emulatorBefore = await cpuSeconds(moto.pid);
      const m = await variant.run(round);
      const emulatorCpuSeconds = (await cpuSeconds(moto.pid)) - emulatorBefore;
      measured.get(variant.name)?.push({ ...m, emulatorCpuSeconds });
      await variant.after?.(round);
      log(
        `  round ${round} ${variant.name}: ${m.seconds.toFixed(2)} s, peak RSS ${formatBytes(m.maxRssKiB * 1024)}, moto CPU ${emulatorCpuSeconds.toFixed(2)} s`,
      );
    }
  }
  return variants.map((v) => {
    const ms = measured.get(v.name) ?? [];
    const reported = ms.map((m) => m.reportedRssKiB).filter((x): x is number => x !== undefined);
    return {
      name: v.name,
      description: v.description,
      seconds: ms.map((m) => Number(m.seconds.toFixed(3))),
      medianSeconds: Number(median(ms.map((m) => m.seconds)).toFixed(3)),
      medianMaxRssKiB: median(ms.map((m) => m.maxRssKiB)),
      ...(reported.length ? { medianReportedRssKiB: median(reported) } : {}),
      medianEmulatorCpuSeconds: Number(median(ms.map((m) => m.emulatorCpuSeconds)).toFixed(2)),
    };
  });
}

function actionEnv(inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    ...MOTO_CREDENTIALS,
    GITHUB_OUTPUT: '/dev/null',
    GITHUB_STEP_SUMMARY: '/dev/null',
    RUNNER_DEBUG: '1',
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return env;
}

/** Seconds from pg_dump's start, from the backup action's debug lines: how long pg_dump ran inside the action, and when S3 had it all. */
const backupStages: Record<string, number[]> = {};
const BACKUP_STAGE_LINES: [string, RegExp][] = [
  ['pg_dump exited', /::debug::pg_dump exited 0 after ([\d.]+) s/],
  ['upload complete', /::debug::upload of \d+ bytes complete after ([\d.]+) s/],
];

async function backupVariants(
  dataset: Dataset,
  moto: MotoServer,
  work: string,
): Promise<{ variants: Variant[]; keys: BackupKeys }> {
  const target = parseDatabaseUrl(dataset.url, 'url');
  const pgEnv = { PGPASSWORD: target.password ?? '' };
  const keys: BackupKeys = { action: [], plan: [], parallel: [] };
  const action = (compression: string) => (round: number) =>
    backupAction(dataset, moto, compression, round, keys.action);
  const floor = (level: number) => () =>
    measure('pg_dump', ['-Fc', `-Z${level}`, '--no-sync', '-f', '/dev/null', `--dbname=${target.url}`], pgEnv);
  const planScript = (round: number) => planBackupScript(target.url, pgEnv, moto, work, round, keys.plan);
  return {
    keys,
    variants: [
      {
        name: 'backup action (auto = gzip:1)',
        description: 'node actions/backup/dist/index.js at defaults, to moto',
        run: action('auto'),
      },
      {
        name: 'pg_dump -Fc -Z1 > /dev/null',
        description: 'the floor: pg_dump alone at the same compression',
        run: floor(1),
      },
      {
        name: "plan's script (pg_dump | gzip -6, aws s3 cp)",
        description: 'DISASTER-RECOVERY-PLAN.md, Automated Daily Backups',
        run: planScript,
      },
      {
        name: 'backup action (gzip:6)',
        description: "like for like with the plan's gzip level",
        run: action('gzip:6'),
      },
      { name: 'pg_dump -Fc -Z6 > /dev/null', description: 'the floor at gzip level 6', run: floor(6) },
      // Only --only download restores it: a parallel backup streamed against downloaded.
      ...(args.only === 'download'
        ? [
            {
              name: 'backup action, jobs 2',
              description: 'a parallel backup: the schema and two data parts',
              run: (round: number) => backupAction(dataset, moto, 'auto', round, keys.parallel, 2),
            },
          ]
        : []),
    ],
  };
}

/** The keys each kind of backup stored, for the restores. */
interface BackupKeys {
  action: string[];
  plan: string[];
  /** Backups made with jobs: 2 (--only download). */
  parallel: string[];
}

/** One run of the bundled backup action into its own prefix; the key it stored goes to `keys` for the restores. */
async function backupAction(
  dataset: Dataset,
  moto: MotoServer,
  compression: string,
  round: number,
  keys: string[],
  jobs = 1,
): Promise<Measurement> {
  const prefix = `action-${compression.replace(':', '')}-${jobs > 1 ? `jobs${jobs}-` : ''}${round}/`;
  const m = await measure(
    node24Path(),
    [join(root, 'actions/backup/dist/index.js')],
    actionEnv({
      'database-url': dataset.url,
      bucket: BUCKET,
      prefix,
      compression,
      jobs: String(jobs),
      'endpoint-url': moto.endpoint,
      region: REGION,
    }),
  );
  keys.push(/stored s3:\/\/[^/]+\/(\S+)/.exec(m.stdout)?.[1] ?? '');
  // Only the default run is broken into stages: it is the one the targets judge.
  if (compression === 'auto' && jobs === 1) {
    for (const [stage, pattern] of BACKUP_STAGE_LINES) {
      const seconds = pattern.exec(m.stdout)?.[1];
      if (seconds) (backupStages[stage] ??= []).push(Number(seconds));
    }
  }
  return m;
}

/** One run of the plan's nightly script: pg_dump | gzip > file, then aws s3 cp; its key goes to `keys` for the restores. */
function planBackupScript(
  databaseUrl: string,
  pgEnv: Record<string, string>,
  moto: MotoServer,
  work: string,
  round: number,
  keys: string[],
): Promise<Measurement> {
  const key = `plan/backup_2026010${round}_020000.sql.gz`;
  keys.push(key);
  return measure(
    'bash',
    [
      '-c',
      'set -o pipefail; pg_dump "$DB" | gzip > "$FILE" && aws s3 cp --quiet --endpoint-url "$ENDPOINT" "$FILE" "s3://$BUCKET/$KEY" && rm "$FILE"',
    ],
    {
      ...pgEnv,
      ...MOTO_CREDENTIALS,
      AWS_DEFAULT_REGION: REGION,
      DB: databaseUrl,
      FILE: join(work, 'plan.sql.gz'),
      ENDPOINT: moto.endpoint,
      BUCKET,
      KEY: key,
    },
  );
}

/** Seconds per step of each restore-verify run, from its own report: where the time goes. */
const restoreStages: Record<string, number[]> = {};
/** Where pg_restore --jobs alone spends its time, per run. */
const floorPhases: RestorePhases[] = [];

async function restoreVariants(
  target: PostgresServer,
  moto: MotoServer,
  work: string,
  keys: BackupKeys,
  physical: PhysicalRestore,
): Promise<Variant[]> {
  const databases = scratchDatabases(target);
  const actionKey = keys.action.find(Boolean) as string;
  const localDump = join(work, 'local.dump');
  await measure(
    'aws',
    ['s3', 'cp', '--quiet', '--endpoint-url', moto.endpoint, `s3://${BUCKET}/${actionKey}`, localDump],
    { ...MOTO_CREDENTIALS, AWS_DEFAULT_REGION: REGION },
  );
  const { drop } = databases;
  // The action as a step runs it, into its own scratch database, with its report in `work`.
  const restoreVerify = (
    database: string,
    reportFile: string,
    env: Record<string, string> = {},
    inputs: Record<string, string> = {},
  ) =>
    measure(node24Path(), [join(root, 'actions/restore-verify/dist/index.js')], {
      ...actionEnv({
        bucket: BUCKET,
        prefix: actionKey.replace(/[^/]+$/, ''),
        backup: actionKey,
        'endpoint-url': moto.endpoint,
        region: REGION,
        'target-database-url': target.url(database),
        'report-path': join(work, reportFile),
        ...inputs,
      }),
      ...env,
    });
  return [
    {
      name: 'restore-verify action',
      description: 'download + SHA-256 + pg_restore --jobs + exact row counts, node dist/index.js',
      run: () => restoreVerify('bench_restore_verify', 'restore-verify-report.json'),
      after: async () => {
        const report = JSON.parse(await readFile(join(work, 'restore-verify-report.json'), 'utf8')) as Report;
        for (const step of report.steps) (restoreStages[step.name] ??= []).push(step.durationSeconds ?? 0);
        await drop('bench_restore_verify')();
      },
    },
    {
      name: 'restore-verify, buffer reclaimer opted in',
      description: `the same with ${RECLAIM_OPT_IN}=true: what the download's garbage costs in peak memory`,
      run: () =>
        restoreVerify('bench_restore_reclaim', 'restore-verify-reclaim-report.json', { [RECLAIM_OPT_IN]: 'true' }),
      after: drop('bench_restore_reclaim'),
    },
    {
      name: 'restore-verify, download: stream',
      description:
        'no local copy: pg_restore (one process) reads the object as it arrives, SHA-256 compared at the end',
      run: () => restoreVerify('bench_restore_stream', 'restore-verify-stream-report.json', {}, { download: 'stream' }),
      after: drop('bench_restore_stream'),
    },
    ...parallelStreamVariants(keys.parallel[0], restoreVerify, drop),
    planRestoreVariant(databases, moto, work, keys.plan[0] as string),
    pgRestoreFloorVariant(databases, localDump),
    ...physicalVariants(physical),
  ];
}

const PARALLEL_FILE = 'restore-verify of the jobs 2 backup, download: file';
const PARALLEL_STREAM = 'restore-verify of the jobs 2 backup, download: stream';

/** A parallel backup (jobs 2) restored with jobs 2: downloaded to files, or its parts streamed at once. */
function parallelStreamVariants(
  key: string | undefined,
  restoreVerify: (
    database: string,
    reportFile: string,
    env: Record<string, string>,
    inputs: Record<string, string>,
  ) => Promise<Measurement>,
  drop: (database: string) => () => Promise<void>,
): Variant[] {
  if (!key) return [];
  const variant = (download: 'file' | 'stream', name: string, description: string): Variant => ({
    name,
    description,
    run: () =>
      restoreVerify(
        `bench_parallel_${download}`,
        `restore-verify-parallel-${download}-report.json`,
        {},
        {
          prefix: key.replace(/[^/]+$/, ''),
          backup: key,
          download,
          jobs: '2',
        },
      ),
    after: drop(`bench_parallel_${download}`),
  });
  return [
    variant(
      'file',
      PARALLEL_FILE,
      'the schema and both parts downloaded and checked, then restored in sections, jobs 2',
    ),
    variant(
      'stream',
      PARALLEL_STREAM,
      'the schema downloaded and checked, both parts streamed at once into their own pg_restore',
    ),
  ];
}

/** Databases on the restore server, made and dropped through its admin connection (untimed). */
interface ScratchDatabases {
  pgEnv: Record<string, string>;
  /** Drops and creates `name`; its URL. */
  fresh(name: string): Promise<string>;
  drop(name: string): () => Promise<void>;
}

function scratchDatabases(target: PostgresServer): ScratchDatabases {
  const admin = parseDatabaseUrl(target.url('postgres'), 'url');
  const sql = async (text: string) => {
    const session = await PsqlSession.open(admin);
    await session.query(text);
    await session.close();
  };
  return {
    pgEnv: { PGPASSWORD: admin.password ?? '' },
    fresh: async (name) => {
      await sql(`DROP DATABASE IF EXISTS ${name}`);
      await sql(`CREATE DATABASE ${name}`);
      return withDatabase(admin, name).url;
    },
    drop: (name) => () => sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** The plan's recovery procedure, as written: download the gzipped dump, then gunzip | psql into a fresh database. */
function planRestoreVariant(databases: ScratchDatabases, moto: MotoServer, work: string, planKey: string): Variant {
  return {
    name: "plan's restore (aws s3 cp, gunzip | psql)",
    description: 'DISASTER-RECOVERY-PLAN.md, Complete Database Recovery steps 2 and 5',
    run: async () => {
      const url = await databases.fresh('bench_plan_restore');
      return measure(
        'bash',
        [
          '-c',
          'set -o pipefail; aws s3 cp --quiet --endpoint-url "$ENDPOINT" "s3://$BUCKET/$KEY" "$FILE" && gunzip < "$FILE" | psql -X -q -v ON_ERROR_STOP=1 "$DB" > /dev/null && rm "$FILE"',
        ],
        {
          ...databases.pgEnv,
          ...MOTO_CREDENTIALS,
          AWS_DEFAULT_REGION: REGION,
          ENDPOINT: moto.endpoint,
          BUCKET,
          KEY: planKey,
          FILE: join(work, 'restore.sql.gz'),
          DB: url,
        },
      );
    },
    after: databases.drop('bench_plan_restore'),
  };
}

/** The floor: pg_restore --jobs alone from the action's dump already on disk, its phases kept for the report. */
function pgRestoreFloorVariant(databases: ScratchDatabases, localDump: string): Variant {
  return {
    name: 'pg_restore --jobs 2 (local file)',
    description: 'the floor: pg_restore alone from a file already on disk',
    run: async () => {
      const url = await databases.fresh('bench_pg_restore');
      const m = await measureRestorePhases(
        ['--jobs', '2', '--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${url}`, localDump],
        databases.pgEnv,
      );
      floorPhases.push(m.phases);
      return m;
    },
    after: databases.drop('bench_pg_restore'),
  };
}

/** The physical comparison, when it can run here. */
function physicalVariants(physical: PhysicalRestore): Variant[] {
  if ('skipped' in physical) return [];
  return [
    {
      name: 'physical restore + start + count (pgBackRest)',
      description: `pgBackRest restore of an online backup of the dataset cluster, PostgreSQL started on it, every table counted; ${physical.settings}`,
      run: () => physical.run(),
      after: () => physical.after(),
    },
  ];
}

/** What the many-tables case measures: each action against its client tool alone. */
const MANY_TABLES_VARIANTS = /^backup action \(auto|^pg_dump -Fc -Z1|^restore-verify action$|^pg_restore --jobs/;
const datasetName = manyTables ? 'many-tables' : size;

const byName = (results: VariantResult[], prefix: string) =>
  results.find((r) => r.name.startsWith(prefix)) as VariantResult;

async function main() {
  const machine = await describeMachine();
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.postgres}; actions on Node ${machine.actionsNode}`,
  );
  const dataset = manyTables ? await openManyTablesDataset(log) : await openDataset(size, log);
  const moto = await startMoto();
  // S3 does not run on the runner: on two cores, moto's Python would take from pg_dump the CPU
  // that S3 never takes in production (about 5 s of CPU for a 420 MB upload). At the lowest
  // priority it runs on what the measured command leaves idle; what it used is reported per run.
  await execa('renice', ['-n', '19', '-p', String(moto.pid)]);
  const work = await mkdtemp(join(tmpdir(), 'dr-actions-bench-'));
  // Restores go to a server of their own with the settings restore-verify.yml gives its scratch server.
  const scratch = await startPostgres({ settings: SCRATCH_SERVER_SETTINGS });
  let physical: PhysicalRestore | undefined;
  try {
    log(
      `dataset ${datasetName}: ${formatBytes(dataset.sizeBytes)} on disk (${Object.entries(dataset.rows)
        .map(([t, n]) => `${n} ${t}`)
        .join(', ')})`,
    );
    await createS3Client({ region: REGION, endpointUrl: moto.endpoint }).send(
      new CreateBucketCommand({ Bucket: BUCKET }),
    );
    const backup = await backupVariants(dataset, moto, work);
    if (manyTables) backup.variants = backup.variants.filter((v) => MANY_TABLES_VARIANTS.test(v.name));
    let backupResults: VariantResult[] = [];
    if (args.only === 'restore' || args.only === 'download') {
      log("backup: the action and the plan's script once each, untimed, for the restores");
      for (const variant of backup.variants.filter((v) =>
        /^backup action \(auto|^backup action, jobs|^plan's script/.test(v.name),
      ))
        await variant.run(1);
    } else {
      log(`backup: ${backup.variants.length} commands x ${runs} runs, interleaved`);
      backupResults = await interleave(backup.variants, moto);
    }
    let restoreResults: VariantResult[] = [];
    if (args.only !== 'backup') {
      physical = manyTables
        ? { skipped: 'not part of the many-tables case' }
        : args.only === 'download'
          ? { skipped: '--only download measures restore-verify alone' }
          : await preparePhysicalRestore(dataset, log);
      if ('skipped' in physical) log(`physical restore: skipped, ${physical.skipped}`);
      const all = await restoreVariants(scratch, moto, work, backup.keys, physical);
      // --only download: restore-verify with download: file against download: stream, nothing else.
      const variants = manyTables
        ? all.filter((v) => MANY_TABLES_VARIANTS.test(v.name))
        : args.only === 'download'
          ? all.filter((v) =>
              ['restore-verify action', 'restore-verify, download: stream', PARALLEL_FILE, PARALLEL_STREAM].includes(
                v.name,
              ),
            )
          : all;
      log(`restore: ${variants.length} commands x ${runs} runs, interleaved`);
      restoreResults = await interleave(variants, moto);
    }
    await writeResults(
      dataset,
      machine,
      backupResults,
      restoreResults,
      physical && 'skipped' in physical ? physical.skipped : undefined,
    );
  } finally {
    if (physical && !('skipped' in physical)) await physical.stop();
    await rm(work, { recursive: true, force: true });
    await moto.stop();
    await scratch.stop();
    await dataset.server.stop();
  }
}

interface Target {
  name: string;
  measured: number;
  target: string;
  met: boolean;
}

async function writeResults(
  dataset: Dataset,
  machine: Awaited<ReturnType<typeof describeMachine>>,
  backup: VariantResult[],
  restore: VariantResult[],
  physicalSkipped?: string,
) {
  const resultsDir = join(root, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  const targets = manyTables
    ? manyTablesTargets(backup, restore)
    : [...backupTargets(backup), ...restoreTargets(restore)];
  for (const t of targets) {
    const [, op, bound] = /^(>=|<=) ([\d.]+)/.exec(t.target) ?? [];
    if (op) t.met = op === '>=' ? t.measured >= Number(bound) : t.measured <= Number(bound);
  }
  if (!manyTables)
    targets.push(...flatMemoryTargets(backup, restore, await latestOther(resultsDir, size === 'S' ? 'M' : 'S')));
  const date = new Date().toISOString().slice(0, 10);
  const medians = (stages: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(stages).map(([name, seconds]) => [name, Number(median(seconds).toFixed(3))]));
  const phases = floorPhases.length ? medianPhases(floorPhases) : undefined;
  const result = {
    date,
    size: datasetName,
    datasetBytes: dataset.sizeBytes,
    rows: dataset.rows,
    runs,
    machine,
    scratchServer: SCRATCH_SERVER_SETTINGS,
    backup,
    backupStages: medians(backupStages),
    restore,
    restoreStages: medians(restoreStages),
    pgRestorePhases: phases,
    physicalSkipped,
    targets,
  };
  const base = join(resultsDir, `${date}-${datasetName}${args.label ? `-${args.label}` : ''}`);
  await writeFile(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown(result));
  process.stdout.write(`\n${markdown(result)}\nwritten to ${base}.json and .md\n`);
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

/** The issue's backup targets, when backups were measured; `met` is judged from `target` afterwards. */
function backupTargets(backup: VariantResult[]): Target[] {
  if (!backup.length) return [];
  const actionBackup = byName(backup, 'backup action (auto');
  return [
    {
      name: "backup: plan's script time / action time",
      measured: ratio(byName(backup, "plan's script").medianSeconds, actionBackup.medianSeconds),
      target: '>= 2 (on M)',
      met: false,
    },
    {
      name: 'backup: action time / pg_dump alone',
      measured: ratio(actionBackup.medianSeconds, byName(backup, 'pg_dump -Fc -Z1').medianSeconds),
      target: '<= 1.2',
      met: false,
    },
    {
      name: 'backup at gzip:6: action time / pg_dump -Z6 alone',
      measured: ratio(
        byName(backup, 'backup action (gzip:6)').medianSeconds,
        byName(backup, 'pg_dump -Fc -Z6').medianSeconds,
      ),
      target: '<= 1.2',
      met: false,
    },
    {
      name: 'backup action peak RSS (MiB)',
      measured: Math.round(actionBackup.medianMaxRssKiB / 1024),
      target: '<= 256',
      met: false,
    },
  ];
}

/** The many-tables case's targets: each action's time over its client tool's alone. */
function manyTablesTargets(backup: VariantResult[], restore: VariantResult[]): Target[] {
  const targets: Target[] = [];
  if (backup.length)
    targets.push({
      name: 'many tables, backup: action time / pg_dump alone',
      measured: ratio(
        byName(backup, 'backup action (auto').medianSeconds,
        byName(backup, 'pg_dump -Fc -Z1').medianSeconds,
      ),
      target: '<= 1.3',
      met: false,
    });
  if (restore.length)
    targets.push({
      name: 'many tables, restore: restore-verify time / pg_restore --jobs 2 alone',
      measured: ratio(
        byName(restore, 'restore-verify action').medianSeconds,
        byName(restore, 'pg_restore --jobs').medianSeconds,
      ),
      target: '<= 1.3',
      met: false,
    });
  return targets;
}

/** The issue's restore targets, when restores were measured; the physical one only when it ran here. */
function restoreTargets(restore: VariantResult[]): Target[] {
  if (!restore.length) return [];
  const actionRestore = byName(restore, 'restore-verify action');
  const plan = byName(restore, "plan's restore");
  const streamed = byName(restore, 'restore-verify, download: stream');
  const targets: Target[] = [
    ...(plan
      ? [
          {
            name: "restore: plan's procedure time / restore-verify time",
            measured: ratio(plan.medianSeconds, actionRestore.medianSeconds),
            target: '>= 1.5',
            met: false,
          },
        ]
      : []),
    // No goal: what download: stream costs (one pg_restore process) or saves (no wait for the download).
    ...(streamed
      ? [
          {
            name: 'restore-verify time, download: stream / download: file',
            measured: ratio(streamed.medianSeconds, actionRestore.medianSeconds),
            target: '-',
            met: true,
          },
        ]
      : []),
    ...parallelStreamTargets(restore),
    {
      name: 'restore-verify action peak RSS (MiB)',
      measured: Math.round(actionRestore.medianMaxRssKiB / 1024),
      target: '<= 256',
      met: false,
    },
  ];
  const physical = byName(restore, 'physical restore');
  if (physical)
    targets.push({
      name: 'restore: restore-verify time / physical restore + start + count',
      measured: ratio(actionRestore.medianSeconds, physical.medianSeconds),
      target: '<= 1.0',
      met: false,
    });
  return targets;
}

/** No goals: what streaming a parallel backup's parts costs or saves against downloading them, in time and memory. */
function parallelStreamTargets(restore: VariantResult[]): Target[] {
  const file = restore.find((r) => r.name === PARALLEL_FILE);
  const stream = restore.find((r) => r.name === PARALLEL_STREAM);
  if (!file || !stream) return [];
  return [
    {
      name: 'restore-verify of a jobs 2 backup, time, download: stream / download: file',
      measured: ratio(stream.medianSeconds, file.medianSeconds),
      target: '-',
      met: true,
    },
    {
      name: 'restore-verify of a jobs 2 backup, peak RSS, download: stream / download: file',
      measured: ratio(stream.medianMaxRssKiB, file.medianMaxRssKiB),
      target: '-',
      met: true,
    },
  ];
}

/** Peak memory must stay flat with the dataset's size: M over S, against the newest results of the other size. */
function flatMemoryTargets(
  backup: VariantResult[],
  restore: VariantResult[],
  other: Awaited<ReturnType<typeof latestOther>>,
): Target[] {
  const targets: Target[] = [];
  const flat = (name: string, here: VariantResult | undefined, there: number | undefined) => {
    if (!here || !there) return;
    const [s, m] = size === 'S' ? [here.medianMaxRssKiB, there] : [there, here.medianMaxRssKiB];
    targets.push({
      name: `${name} peak RSS, M / S`,
      measured: ratio(m, s),
      target: '<= 1.15',
      met: ratio(m, s) <= 1.15,
    });
  };
  flat('backup action', backup.length ? byName(backup, 'backup action (auto') : undefined, other?.backupRss);
  flat(
    'restore-verify action',
    restore.length ? byName(restore, 'restore-verify action') : undefined,
    other?.restoreRss,
  );
  flat(
    'restore-verify, reclaimer opted in,',
    restore.length ? byName(restore, 'restore-verify, buffer reclaimer') : undefined,
    other?.restoreReclaimRss,
  );
  return targets;
}

function medianPhases(all: RestorePhases[]): RestorePhases {
  const of = (pick: (p: RestorePhases) => number) => Number(median(all.map(pick)).toFixed(2));
  const kinds = [...new Set(all.flatMap((p) => Object.keys(p.workBySection)))];
  return {
    preData: of((p) => p.preData),
    lastDataLoaded: of((p) => p.lastDataLoaded),
    total: of((p) => p.total),
    workBySection: Object.fromEntries(kinds.map((k) => [k, of((p) => p.workBySection[k] ?? 0)])),
  };
}

/** The actions' peak RSS in the newest results of the other size, to check that memory stays flat. */
async function latestOther(
  dir: string,
  other: SizeName,
): Promise<{ backupRss?: number; restoreRss?: number; restoreReclaimRss?: number } | undefined> {
  // Only a full run's results (<date>-<size>.json): --only jobs writes <date>-jobs-<size>.json, of another shape.
  const files = (await readdir(dir)).filter((f) => new RegExp(`^\\d{4}-\\d{2}-\\d{2}-${other}\\.json$`).test(f)).sort();
  const last = files.at(-1);
  if (!last) return undefined;
  const data = JSON.parse(await readFile(join(dir, last), 'utf8')) as {
    backup: VariantResult[];
    restore: VariantResult[];
  };
  return {
    backupRss: byName(data.backup, 'backup action (auto')?.medianMaxRssKiB,
    restoreRss: data.restore.length ? byName(data.restore, 'restore-verify action')?.medianMaxRssKiB : undefined,
    restoreReclaimRss: data.restore.length
      ? byName(data.restore, 'restore-verify, buffer reclaimer')?.medianMaxRssKiB
      : undefined,
  };
}

function markdown(r: {
  date: string;
  size: string;
  datasetBytes: number;
  runs: number;
  machine: Awaited<ReturnType<typeof describeMachine>>;
  backup: VariantResult[];
  backupStages: Record<string, number>;
  restore: VariantResult[];
  restoreStages: Record<string, number>;
  scratchServer: Record<string, string>;
  pgRestorePhases?: RestorePhases;
  physicalSkipped?: string;
  targets: Target[];
}): string {
  const rows = (results: VariantResult[], baseline: VariantResult) =>
    results
      .map(
        (v) =>
          `| ${v.name} | ${v.medianSeconds.toFixed(2)} | ${(v.medianSeconds / baseline.medianSeconds).toFixed(2)} | ${formatBytes(v.medianMaxRssKiB * 1024)} | ${v.medianEmulatorCpuSeconds.toFixed(1)} s |`,
      )
      .join('\n');
  const header = (what: string) => [`| ${what} | seconds | x action | peak RSS | moto CPU |`, '|---|---|---|---|---|'];
  const lines = [
    `### ${r.size} (${formatBytes(r.datasetBytes)} on disk), ${r.date}: medians of ${r.runs} interleaved runs`,
    '',
    `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB; ${r.machine.postgres}; actions on Node ${r.machine.actionsNode}. S3 is moto_server on loopback, at the lowest CPU priority but on the same cores: its CPU (last column) is work that S3 does in production, off the runner.`,
  ];
  if (r.backup.length) lines.push('', ...header('backup'), rows(r.backup, byName(r.backup, 'backup action (auto')));
  else lines.push('', 'Backups not measured (--only restore).');
  const dumped = r.backupStages['pg_dump exited'];
  const uploaded = r.backupStages['upload complete'];
  if (dumped !== undefined && uploaded !== undefined && r.backup.length) {
    const alone = byName(r.backup, 'pg_dump -Fc -Z1').medianSeconds;
    lines.push(
      '',
      `Inside the backup action at defaults (medians): pg_dump ran ${dumped.toFixed(2)} s (${alone.toFixed(2)} s alone), and S3 held the whole object ${(uploaded - dumped).toFixed(2)} s after pg_dump exited (the last parts and CompleteMultipartUpload).`,
    );
  }
  if (r.restore.length) {
    lines.push('', ...header('restore'), rows(r.restore, byName(r.restore, 'restore-verify action')));
    const stages = Object.entries(r.restoreStages).map(([name, seconds]) => `${name} ${seconds.toFixed(2)} s`);
    lines.push('', `restore-verify's own steps (medians): ${stages.join(', ')}.`);
    const settings = Object.entries(r.scratchServer)
      .map(([name, value]) => `${name}=${value.replace(/'/g, '')}`)
      .join(', ');
    lines.push('', `Restores go to a scratch server with restore-verify.yml's settings (${settings}).`);
    const p = r.pgRestorePhases;
    if (p) {
      const work = Object.entries(p.workBySection)
        .map(([kind, seconds]) => `${kind} ${seconds.toFixed(2)} s`)
        .join(', ');
      lines.push(
        '',
        `Inside pg_restore --jobs 2 (medians, seconds from its start): pre-data done at ${p.preData.toFixed(2)} s, the last table's data loaded at ${p.lastDataLoaded.toFixed(2)} s, indexes and constraints done at ${p.total.toFixed(2)} s; worker time by kind: ${work}.`,
      );
    }
    if (r.physicalSkipped) lines.push('', `Physical restore (pgBackRest) not measured: ${r.physicalSkipped}.`);
  }
  lines.push(
    '',
    '| target | measured | goal | met |',
    '|---|---|---|---|',
    ...r.targets.map(
      (t) => `| ${t.name} | ${t.measured} | ${t.target} | ${t.target === '-' ? '-' : t.met ? 'yes' : 'no'} |`,
    ),
  );
  return `${lines.join('\n')}\n`;
}

/** `--only jobs`: the bundled backup and restore-verify with jobs 1 and 2 on each size, as ratios. */
async function compareJobs() {
  const machine = await describeMachine();
  const moto = await startMoto();
  await execa('renice', ['-n', '19', '-p', String(moto.pid)]);
  const scratch = await startPostgres({ settings: SCRATCH_SERVER_SETTINGS });
  const work = await mkdtemp(join(tmpdir(), 'dr-actions-bench-jobs-'));
  try {
    await createS3Client({ region: REGION, endpointUrl: moto.endpoint }).send(
      new CreateBucketCommand({ Bucket: BUCKET }),
    );
    const measured = [];
    for (const name of sizes) {
      const dataset = await openDataset(name, log);
      log(`jobs 1 against jobs 2 on ${name} (${formatBytes(dataset.sizeBytes)}), ${runs} runs interleaved`);
      const context = { root, bucket: BUCKET, region: REGION, moto, scratch, work, actionEnv };
      const results = await interleave(jobsVariants(dataset, name, context), moto);
      await dataset.server.stop();
      measured.push({ size: name, datasetBytes: dataset.sizeBytes, results, ratios: jobsRatios(results) });
    }
    const about = `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.postgres}`;
    const resultsDir = join(root, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const base = join(
      resultsDir,
      `${new Date().toISOString().slice(0, 10)}-jobs-${sizes.join('')}${args.label ? `-${args.label}` : ''}`,
    );
    await writeFile(`${base}.json`, `${JSON.stringify({ machine, runs, sizes: measured }, null, 2)}\n`);
    const text = jobsMarkdown(about, runs, measured);
    await writeFile(`${base}.md`, text);
    process.stdout.write(text);
  } finally {
    await rm(work, { recursive: true, force: true });
    await moto.stop();
    await scratch.stop();
  }
}

await (args.only === 'jobs' ? compareJobs() : main());
