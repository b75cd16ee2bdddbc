import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

interface Verdict {
  passed: boolean;
  steps: { name: string; passed: boolean; seconds: number; detail: string }[];
  objectives: { name: string; scenario: string; passed: boolean | null; kind: string }[];
  report?: string;
  outputDir: string;
  started: { postgresPort?: number; motoPid?: number; replicaPort?: number; healthUrl?: string };
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'dr-actions-drill-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

test('npm run drill at a small size: passes every step, writes the report, and leaves nothing running', async () => {
  // The drill starts its own stack; it must not find the test run's.
  const env = { ...process.env, DR_TEST_STACK: '' };
  const run = await execa('npx', ['tsx', 'scripts/drill.ts', '--size', '3', '--json', '--out', out], { env, reject: false, timeout: 300_000 });
  const verdict = JSON.parse(String(run.stdout)) as Verdict;

  expect(verdict.steps.map((s) => [s.name, s.passed])).toEqual([
    ['start the test stack', true],
    ['create the sample database (3 MB)', true],
    ['backup (actions/backup)', true],
    ["restore-verify a random backup from the secondary region's copy (actions/restore-verify)", true],
    ["audit the plan's prerequisites (actions/dr-audit)", true],
    ['failover to the replica region (actions/failover, execute)', true],
    ['drill report (actions/drill-report, no pull request)', true],
  ]);
  expect(verdict.passed).toBe(true);
  expect(run.exitCode).toBe(0);
  expect(verdict.objectives.map((o) => [o.kind, o.name, o.scenario, o.passed])).toEqual([
    ['restore-verify', 'RTO', 'database failure', true],
    ['restore-verify', 'RPO', 'database failure', true],
    ['restore-verify', 'RPO', 'database failure', true],
    ['dr-audit', 'RPO', 'database failure', true],
    ['dr-audit', 'RPO', 'regional outage', true],
    ['failover', 'RTO', 'regional outage', true],
    ['failover', 'RPO', 'regional outage', true],
  ]);

  const report = await readFile(verdict.report as string, 'utf8');
  expect(report).toMatch(/^# ✅ Local disaster-recovery drill, \d{4}-\d{2}-\d{2}: passed/);
  expect(report).toContain('| ✅ | Restore database from backup | passed |');
  expect(report).toContain('| ✅ | Recovery time within RTO | passed |');
  expect(report).toContain('| ✅ | Plan prerequisites in place | passed |');
  for (const name of ['backup', 'restore-verify', 'dr-audit', 'failover', 'drill-report']) {
    expect((await readFile(join(out, 'summaries', `${name}.md`), 'utf8')).length).toBeGreaterThan(100);
  }

  const { postgresPort, motoPid, replicaPort } = verdict.started;
  expect(postgresPort && motoPid && replicaPort).toBeTruthy();
  expect(await listening(postgresPort as number)).toBe(false);
  expect(await listening(replicaPort as number)).toBe(false);
  expect(alive(motoPid as number)).toBe(false);
});

test('a bad option is refused before anything starts', async () => {
  const run = await execa('npx', ['tsx', 'scripts/drill.ts', '--size', 'big'], { reject: false });
  expect(run.exitCode).toBe(2);
  expect(String(run.stderr)).toContain('--size must be a number of megabytes, 1 or more');
});
