/**
 * `npm run coverage:floor`: after `npm run test:coverage` ran the whole suite, sets the coverage
 * floor (coverage-floor.json, jest.config.js's coverageThreshold) to one point under each figure
 * that run measured, rounded down: the point is slack for the branches timing decides (a retry,
 * a throttled call). It only raises the floor, so that coverage can only go up; `--lower` lets it
 * fall, for when tests were removed on purpose. Say so in the commit.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const METRICS = ['statements', 'branches', 'functions', 'lines'] as const;
type Floor = Record<(typeof METRICS)[number], number>;
interface CoverageSummary {
  total: Record<(typeof METRICS)[number], { pct: number }>;
}

const floorFile = fileURLToPath(new URL('../coverage-floor.json', import.meta.url));
const summaryFile = fileURLToPath(new URL('../coverage/coverage-summary.json', import.meta.url));

/** The new floor: one point under each measured figure, never under the current floor unless `lower`. */
function nextFloor(current: Floor, measured: CoverageSummary, lower: boolean): Floor {
  const next = {} as Floor;
  for (const metric of METRICS) {
    const justUnder = Math.max(0, Math.floor(measured.total[metric].pct) - 1);
    next[metric] = lower ? justUnder : Math.max(current[metric], justUnder);
  }
  return next;
}

const summary = JSON.parse(
  await readFile(summaryFile, 'utf8').catch(() => {
    process.stderr.write('no coverage/coverage-summary.json: run `npm run test:coverage` (the whole suite) first\n');
    process.exit(1);
  }),
) as CoverageSummary;
const current = JSON.parse(await readFile(floorFile, 'utf8')) as Floor;
const next = nextFloor(current, summary, process.argv.includes('--lower'));
await writeFile(floorFile, `${JSON.stringify(next, null, 2)}\n`);
for (const metric of METRICS)
  process.stdout.write(
    `${metric}: measured ${summary.total[metric].pct} %, floor ${current[metric]} -> ${next[metric]} %\n`,
  );
