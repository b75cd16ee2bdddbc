import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@jest/globals';
import { jobsOf, parseWorkflow, type Job } from './workflow-rules.js';

/** ci.yml runs what users run: every supported PostgreSQL major with its own client, on Node 24. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const jobs = jobsOf(parseWorkflow(readFileSync(join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8')));
const job = (id: string) => jobs.find((j) => j.id === id) as Job;
const setupNode = (j: Job) =>
  j.steps.find((s) => String(s.uses).startsWith('actions/setup-node@'))?.with as Record<string, unknown>;
const script = (j: Job) => j.steps.map((s) => String(s.run ?? '')).join('\n');

test("the tests run once per PostgreSQL major 14 to 18, on Node 24, with that major's client and server", () => {
  const test = job('test');
  expect((test.body.strategy as { matrix: { postgres: number[] } }).matrix.postgres).toEqual([14, 15, 16, 17, 18]);
  expect(setupNode(test)['node-version']).toBe(24);
  expect(test.body.env).toMatchObject({ PG_MAJOR: '${{ matrix.postgres }}' });
  const run = script(test);
  expect(run).toContain('/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y');
  expect(run).toContain('sudo apt-get install -y -qq "postgresql-$PG_MAJOR"');
  expect(run).toContain('bindir="/usr/lib/postgresql/$PG_MAJOR/bin"');
  expect(run).toContain('echo "$bindir" >> "$GITHUB_PATH"');
  expect(run).toContain('echo "DR_PG_BINDIR=$bindir" >> "$GITHUB_ENV"');
});

test('lint runs on Node 20 (the oldest supported) and 24; the bundles are built on 24', () => {
  expect((job('lint').body.strategy as { matrix: { node: number[] } }).matrix.node).toEqual([20, 24]);
  expect(setupNode(job('dist'))['node-version']).toBe(24);
});

test('stale bundles: the diff summary goes to the job summary and the fresh bundles to an artifact', () => {
  const dist = job('dist');
  const compare = dist.steps.find((s) => s.id === 'compare');
  expect(String(compare?.run)).toContain('>> "$GITHUB_STEP_SUMMARY"');
  // The action bundles and the command line's.
  expect(String(compare?.run)).toContain('git status --porcelain -- actions dist)');
  const upload = dist.steps.find((s) => String(s.uses).startsWith('actions/upload-artifact@'));
  expect(upload).toMatchObject({
    if: "${{ failure() && steps.compare.outcome == 'failure' }}",
    with: { name: 'dist', path: 'actions/*/dist/\ndist/cli/\n' },
  });
  expect(readFileSync(join(ROOT, '.gitattributes'), 'utf8')).toMatch(
    /^actions\/\*\/dist\/\*\* linguist-generated=true$/m,
  );
  expect(readFileSync(join(ROOT, '.gitattributes'), 'utf8')).toMatch(/^dist\/\*\* linguist-generated=true$/m);
});
