import { join } from 'node:path';
import { node24Path } from '../harness/node24.js';
import type { MotoServer } from '../harness/moto.js';
import type { PostgresServer } from '../harness/postgres.js';
import type { Dataset } from './dataset.js';
import { measure, type Measurement } from './measure.js';

/**
 * `npm run bench -- --only jobs --size S,M`: the bundled backup and restore-verify with jobs 1 and
 * jobs 2, interleaved run by run, as ratios: how much faster a parallel backup (two pg_dump
 * processes, two streamed parts) and its restore (two pg_restore processes at once) are, and what
 * each added worker costs in peak memory.
 */

export interface JobsVariant {
  name: string;
  description: string;
  run(round: number): Promise<Measurement>;
  after?(round: number): Promise<void>;
}

export interface JobsContext {
  root: string;
  bucket: string;
  region: string;
  moto: MotoServer;
  /** The restore server, with restore-verify.yml's scratch settings. */
  scratch: PostgresServer;
  /** Where the restores' reports go. */
  work: string;
  actionEnv(inputs: Record<string, string>): Record<string, string>;
}

export const JOBS_VARIANT = {
  backup1: 'backup, jobs 1',
  backup2: 'backup, jobs 2',
  restore1: 'restore-verify jobs 1 of the jobs 1 backup',
  restore2: 'restore-verify jobs 2 of the jobs 2 backup',
  restoreSingle2: 'restore-verify jobs 2 of the jobs 1 backup',
} as const;

/** The five commands, each run once a round; the restores read the backups of the first round. */
export function jobsVariants(dataset: Dataset, size: string, ctx: JobsContext): JobsVariant[] {
  const keys: Record<number, string> = {};
  const backup = (jobs: number) => async (round: number) => {
    const m = await measure(
      node24Path(),
      [join(ctx.root, 'actions/backup/dist/index.js')],
      ctx.actionEnv({
        'database-url': dataset.url,
        bucket: ctx.bucket,
        prefix: `jobs-${size}-${jobs}-${round}/`,
        jobs: String(jobs),
        retention: 'off',
        'endpoint-url': ctx.moto.endpoint,
        region: ctx.region,
      }),
    );
    keys[jobs] ??= /stored s3:\/\/[^/]+\/(\S+)/.exec(m.stdout)?.[1] ?? '';
    return m;
  };
  const restore = (backupJobs: number, jobs: number) => () => {
    const key = keys[backupJobs] as string;
    return measure(
      node24Path(),
      [join(ctx.root, 'actions/restore-verify/dist/index.js')],
      ctx.actionEnv({
        bucket: ctx.bucket,
        prefix: key.replace(/[^/]+$/, ''),
        backup: key,
        jobs: String(jobs),
        'endpoint-url': ctx.moto.endpoint,
        region: ctx.region,
        'target-database-url': ctx.scratch.url(`bench_jobs_${backupJobs}_${jobs}`),
        'report-path': join(ctx.work, `restore-verify-${backupJobs}-${jobs}.json`),
      }),
    );
  };
  return [
    { name: JOBS_VARIANT.backup1, description: 'one pg_dump, one archive', run: backup(1) },
    { name: JOBS_VARIANT.backup2, description: 'two pg_dump data parts and the schema', run: backup(2) },
    { name: JOBS_VARIANT.restore1, description: 'one archive, pg_restore --jobs=1', run: restore(1, 1) },
    { name: JOBS_VARIANT.restore2, description: 'schema, two parts at once, post-data --jobs=2', run: restore(2, 2) },
    { name: JOBS_VARIANT.restoreSingle2, description: 'one archive, pg_restore --jobs=2', run: restore(1, 2) },
  ];
}

export interface JobsMedians {
  name: string;
  medianSeconds: number;
  medianMaxRssKiB: number;
  medianReportedRssKiB?: number;
}

export interface JobsRatios {
  /** jobs 1's time over jobs 2's: the goal is at least 1.4 on M. */
  backupSpeedup: number;
  restoreSpeedup: number;
  /** Against a single archive restored with pg_restore --jobs=2. */
  restoreSpeedupOverSingleArchiveJobs2: number;
  /** jobs 2's peak RSS over jobs 1's: one worker added, the goal is at most 1.3. */
  backupMemory: number;
  restoreMemory: number;
}

export function jobsRatios(results: JobsMedians[]): JobsRatios {
  const of = (name: string) => results.find((r) => r.name === name) as JobsMedians;
  const rss = (r: JobsMedians) => r.medianReportedRssKiB ?? r.medianMaxRssKiB;
  const ratio = (a: number, b: number) => Number((a / Math.max(b, 1e-9)).toFixed(2));
  const b1 = of(JOBS_VARIANT.backup1);
  const b2 = of(JOBS_VARIANT.backup2);
  const r1 = of(JOBS_VARIANT.restore1);
  const r2 = of(JOBS_VARIANT.restore2);
  const rs2 = of(JOBS_VARIANT.restoreSingle2);
  return {
    backupSpeedup: ratio(b1.medianSeconds, b2.medianSeconds),
    restoreSpeedup: ratio(r1.medianSeconds, r2.medianSeconds),
    restoreSpeedupOverSingleArchiveJobs2: ratio(rs2.medianSeconds, r2.medianSeconds),
    backupMemory: ratio(rss(b2), rss(b1)),
    restoreMemory: ratio(rss(r2), rss(r1)),
  };
}

/** The comparison as markdown: one table per size, then the ratios against their goals. */
export function jobsMarkdown(
  machine: string,
  runs: number,
  sizes: { size: string; datasetBytes: number; results: JobsMedians[]; ratios: JobsRatios }[],
): string {
  const lines = [`# jobs 1 against jobs 2`, '', `${machine}; median of ${runs} runs, interleaved.`];
  for (const { size, datasetBytes, results, ratios } of sizes) {
    lines.push('', `## ${size} (${(datasetBytes / 1024 ** 2).toFixed(0)} MiB on disk)`, '');
    lines.push('| command | median s | peak RSS MiB |', '|---|---|---|');
    for (const r of results)
      lines.push(
        `| ${r.name} | ${r.medianSeconds.toFixed(2)} | ${((r.medianReportedRssKiB ?? r.medianMaxRssKiB) / 1024).toFixed(0)} |`,
      );
    lines.push(
      '',
      `backup: ${ratios.backupSpeedup}x faster with jobs 2 (goal on M: at least 1.4x), peak memory ${ratios.backupMemory}x (goal: at most 1.3x)`,
      `restore-verify: ${ratios.restoreSpeedup}x faster (${ratios.restoreSpeedupOverSingleArchiveJobs2}x against one archive at pg_restore --jobs=2), peak memory ${ratios.restoreMemory}x`,
    );
  }
  return `${lines.join('\n')}\n`;
}
