/**
 * `npx tsx bench/restore-verify.ts [rows...]`: measures restore-verify on databases of `rows` users
 * and as many events (default 2,000,000: 0.6 GiB on disk) for both backup formats: download throughput, restore
 * and verification times, RTO as measured, and the peak memory of this process while it streams
 * the download (it must stay flat whatever the backup's size). Uses the stack of `npm run stack`
 * when DR_TEST_STACK is set, else starts one. Writes bench/results/restore-verify.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { parseBackupInputs } from '../src/backup/inputs.js';
import { runBackup } from '../src/backup/run-backup.js';
import { parseRestoreVerifyInputs } from '../src/restore/inputs.js';
import { runRestoreVerify } from '../src/restore/run-restore-verify.js';
import { silentLogger } from '../src/util/logger.js';
import { createBucket } from '../test/helpers/s3.js';
import { createDatabase, dropDatabase, sql } from '../test/helpers/postgres.js';
import { startStack, STACK_ENV, stackFromEnv, type Stack } from '../test/stack/index.js';

const sizes = (process.argv.length > 2 ? process.argv.slice(2) : ['2000000']).map(Number);
let stack: Stack | undefined;
if (!process.env[STACK_ENV]) {
  stack = await startStack();
  Object.assign(process.env, stack.env);
}
const env = stackFromEnv();
const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';
const MiB = 1024 * 1024;

/** Peak RSS of this process, sampled while `fn` runs. */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakMiB: number; baselineMiB: number }> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await fn();
    return { result, peakMiB: Math.round(peak / MiB), baselineMiB: Math.round(baseline / MiB) };
  } finally {
    clearInterval(timer);
  }
}

const results: Record<string, unknown>[] = [];
try {
  for (const rows of sizes) results.push(...(await measure(rows)));
} finally {
  await stack?.stop();
}

async function measure(rows: number): Promise<Record<string, unknown>[]> {
  const source = await createDatabase('bench_src');
  const measured: Record<string, unknown>[] = [];
  try {
    await sql(
      source.url,
      `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL, profile jsonb);
       INSERT INTO users (email, created_at, profile)
         SELECT 'user' || g || '@example.com', timestamptz '2026-01-01' + g * interval '1 second',
                jsonb_build_object('plan', g % 7, 'note', md5(g::text) || md5((g * 7)::text))
         FROM generate_series(1, ${rows}) g;
       CREATE INDEX ON users (created_at);
       CREATE TABLE events AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, ${rows}) g;
       ALTER TABLE events ADD PRIMARY KEY (id);`,
    );
    const databaseBytes = Number(await sql(source.url, 'SELECT pg_database_size(current_database())'));
    for (const format of ['custom', 'plain'] as const) {
      const bucket = await createBucket('bench');
      const backup = await runBackup({
        ...parseBackupInputs(reader({ 'database-url': source.url, bucket, 'endpoint-url': env.awsEndpoint, retention: 'off', format })),
        run: {},
        log: silentLogger,
      });
      const settings = parseRestoreVerifyInputs(reader({ bucket, 'endpoint-url': env.awsEndpoint, 'target-database-url': env.postgresUrl(`bench_target_${format}`), jobs: '2' }));
      const { result, peakMiB, baselineMiB } = await peakRss(() => runRestoreVerify({ ...settings, reportPath: `/tmp/bench-restore-verify-${format}.json`, run: {}, log: silentLogger }));
      const step = (name: string) => result.report.steps.find((s) => s.name === name)?.durationSeconds ?? null;
      const download = result.report.details.backup?.downloaded;
      const figures = {
        format,
        rows: rows * 2,
        databaseMiB: Math.round(databaseBytes / MiB),
        backupMiB: Math.round(backup.manifest.sizeBytes / MiB),
        passed: result.passed,
        downloadSeconds: step('download'),
        downloadMiBPerSecond: download ? Math.round(download.bytes / MiB / Math.max(download.seconds, 0.001)) : null,
        restoreSeconds: step('restore'),
        verifySeconds: step('verify'),
        recoverySeconds: result.recoverySeconds,
        peakRssMiB: peakMiB,
        rssBeforeMiB: baselineMiB,
      };
      measured.push(figures);
      process.stdout.write(`${JSON.stringify(figures)}\n`);
    }
  } finally {
    await dropDatabase(source.name);
  }
  return measured;
}

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL('./results/restore-verify.json', import.meta.url),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), machine: `${(await import('node:os')).cpus().length} CPUs`, postgres: env.postgres.version, results }, null, 2)}\n`,
);
