/**
 * The test lanes: which test files `npm run test:unit`, `test:integration` and `test:slow` run
 * (`npm test` runs them all). The rule: a test file's lane is that of its own line below if it
 * has one, else that of its folder's line. test/docs/test-lanes.test.ts holds every *.test.ts to
 * exactly one lane and the unit lane to tests that need no stack.
 *
 * - unit: no PostgreSQL, no moto_server (nothing that reads the stack); the whole lane in seconds.
 * - integration: against the stack `npm test` starts, once per PostgreSQL major in CI.
 * - slow: minutes each: the drill, servers of other PostgreSQL majors, RDS restores served by a
 *   real point-in-time recovery.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export const LANE_NAMES = ['unit', 'integration', 'slow'] as const;
export type Lane = (typeof LANE_NAMES)[number];

/** A folder of test/ (ending in /) with the lane of its tests, or one test file with its own lane. */
export const LANES: Readonly<Record<string, Lane>> = {
  'test/audit/': 'integration',
  'test/audit/access-denied.test.ts': 'unit',
  'test/audit/drill-report.test.ts': 'unit',
  'test/audit/inputs.test.ts': 'unit',
  'test/backup/': 'integration',
  // 10,000 tables on a server of its own with the default lock table.
  'test/backup/many-tables.test.ts': 'slow',
  'test/cli/': 'integration',
  'test/cli/arguments.test.ts': 'unit',
  'test/cli/terminal-text.test.ts': 'unit',
  'test/docs/': 'unit',
  'test/drill/': 'slow',
  'test/drill-report/': 'unit',
  'test/failover/': 'integration',
  'test/failover/inputs.test.ts': 'unit',
  'test/failover/lag.test.ts': 'unit',
  'test/failover/throttling.test.ts': 'unit',
  'test/local-action/': 'integration',
  'test/postgres/': 'integration',
  'test/rds-restore/': 'slow',
  'test/recover-application/': 'integration',
  'test/recover-application/inputs.test.ts': 'unit',
  'test/recover-database/': 'integration',
  'test/recover-database/inputs.test.ts': 'unit',
  'test/recover-database/server-state.test.ts': 'unit',
  // RDS recoveries served by a real point-in-time recovery.
  'test/recover-database/rds-bundled-action.test.ts': 'slow',
  'test/rds-restore/drill-line.test.ts': 'unit',
  'test/rds-restore/inputs.test.ts': 'unit',
  'test/rds-restore/master-secret.test.ts': 'unit',
  // Secrets Manager and DescribeDBInstances against moto; no restore.
  'test/rds-restore/master-login.test.ts': 'integration',
  'test/restore-verify/': 'integration',
  'test/restore-verify/checks-file.test.ts': 'unit',
  'test/restore-verify/inputs.test.ts': 'unit',
  'test/restore-verify/disk-preflight.test.ts': 'unit',
  'test/restore-verify/stalled-download.test.ts': 'unit',
  'test/security/': 'integration',
  'test/unit/': 'unit',
  'test/versions/': 'slow',
  // The PATH client against the stack's server: what the CI matrix varies.
  'test/versions/compression-by-client.test.ts': 'integration',
  'test/workflows/': 'unit',
};

/** Whether a lane's tests need the stack (PostgreSQL and moto_server) running. */
export const needsStack = (lane: Lane): boolean => lane !== 'unit';

/** Every test file under `root`/test, relative to `root` with forward slashes, sorted. */
export function testFiles(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path);
      return entry.name.endsWith('.test.ts') ? [relative(root, path).split('\\').join('/')] : [];
    });
  return walk(join(root, 'test')).sort();
}

/** The lane of a test file (relative to the root): its own line's, else its folder's; undefined when neither has one. */
export function laneOf(file: string, lanes: Readonly<Record<string, Lane>> = LANES): Lane | undefined {
  const own = lanes[file];
  if (own) return own;
  const folders = Object.keys(lanes).filter((entry) => entry.endsWith('/') && file.startsWith(entry));
  const nearest = folders.sort((a, b) => b.length - a.length)[0];
  return nearest === undefined ? undefined : lanes[nearest];
}

/** The test files of one lane. */
export function laneFiles(root: string, lane: Lane): string[] {
  return testFiles(root).filter((file) => laneOf(file) === lane);
}
