import { afterEach, describe, expect, test } from '@jest/globals';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runBundledAction } from '../../harness/bundled-action.js';
import { firstPullRequestCalls, GitHubRecorder } from './github-recorder.js';
import { workspaceWith } from './helpers.js';

const TOKEN = 'ghs_bundledActionToken9876543210fedcba';
const RUNNER_ENV = {
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: '21450007777',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_WORKFLOW: 'DR drill',
  GITHUB_JOB: 'drill-report',
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('actions/drill-report/dist/index.js as the runner runs it (Node 24)', () => {
  test('opens the pull request through the REST API, sets the outputs, writes the summary, and never prints the token', async () => {
    const github = await new GitHubRecorder({ token: TOKEN }).start();
    const workspace = await workspaceWith('passing', true);
    cleanups.push(() => github.stop(), workspace.cleanup);

    const run = await runBundledAction(
      'drill-report',
      {
        reports: 'reports/**/*.json',
        title: 'Quarterly DR drill',
        'history-dir': 'docs/dr-drills',
        'open-pr': 'true',
        'github-token': TOKEN,
        labels: 'disaster-recovery',
      },
      { cwd: workspace.dir, env: { ...RUNNER_ENV, GITHUB_API_URL: github.url } },
    );
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const name = '2026-01-01-21450007777';
    expect(run.outputs).toEqual({
      'report-path': `docs/dr-drills/${name}.md`,
      'pr-url': 'https://github.com/acme/shop/pull/1',
      passed: 'true',
    });

    const markdown = await readFile(join(workspace.dir, 'docs/dr-drills', `${name}.md`), 'utf8');
    expect(run.summary).toBe(markdown);
    expect(markdown.split('\n')[0]).toBe('# ✅ Quarterly DR drill, 2026-01-01: passed');
    expect(github.sequence()).toEqual(firstPullRequestCalls(github.baseSha));
    const commitSha = github.refs.get(`refs/heads/dr-drill/${name}`) ?? '';
    expect(Object.keys(github.filesOf(commitSha))).toEqual([
      `docs/dr-drills/${name}.md`,
      `docs/dr-drills/${name}.json`,
    ]);
    expect(github.filesOf(commitSha)[`docs/dr-drills/${name}.md`]).toBe(markdown);
    expect(github.pulls[0]).toMatchObject({
      body: markdown,
      base: 'main',
      head: `dr-drill/${name}`,
      labels: ['disaster-recovery'],
    });

    // The token reaches the runner only in the command that masks it.
    const linesWithToken = run.stdout.split('\n').filter((line) => line.includes(TOKEN));
    expect(linesWithToken).toEqual([`::add-mask::${TOKEN}`]);
    expect(run.stdout.indexOf(`::add-mask::${TOKEN}`)).toBeLessThan(run.stdout.indexOf('read 2 report(s)'));
  });

  test('open-pr false writes the files and the summary only; a failed drill is reported, not an error of the step', async () => {
    const workspace = await workspaceWith('failing');
    cleanups.push(workspace.cleanup);
    const run = await runBundledAction(
      'drill-report',
      { reports: 'reports/**/*.json', 'open-pr': 'false' },
      { cwd: workspace.dir, env: RUNNER_ENV },
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({
      'report-path': 'docs/dr-drills/2026-01-01-21450007777.md',
      'pr-url': '',
      passed: 'false',
    });
    expect(run.summary.split('\n')[0]).toBe('# ❌ Disaster recovery drill, 2026-01-01: failed');
    expect(
      JSON.parse(await readFile(join(workspace.dir, 'docs/dr-drills/2026-01-01-21450007777.json'), 'utf8')),
    ).toMatchObject({ kind: 'drill-report', passed: false });
    expect(run.stdout).toMatch(/^::warning::the drill failed: restore-verify: checksum: /m);
  });

  test('a drill of a failover plan alone is incomplete: in the pull request title, the summary, and passed false', async () => {
    const github = await new GitHubRecorder({ token: TOKEN }).start();
    const workspace = await workspaceWith('passing');
    cleanups.push(() => github.stop(), workspace.cleanup);
    await rm(join(workspace.dir, 'reports', 'restore-verify-report.json'));
    const run = await runBundledAction(
      'drill-report',
      { reports: 'reports/**/*.json', title: 'Quarterly DR drill', 'open-pr': 'true', 'github-token': TOKEN },
      { cwd: workspace.dir, env: { ...RUNNER_ENV, GITHUB_API_URL: github.url } },
    );
    expect(run.exitCode).toBe(0);
    expect(run.outputs.passed).toBe('false');
    expect(github.pulls[0]?.title).toBe('⚠️ Quarterly DR drill 2026-01-01: incomplete');
    expect(run.summary.split('\n')[0]).toBe('# ⚠️ Quarterly DR drill, 2026-01-01: incomplete');
    expect(run.stdout).toMatch(/^::warning::the drill is incomplete: not checked: Recovery time within RTO/m);
  });

  test('reports that match nothing fail the step with what to change, and no stack trace', async () => {
    const workspace = await workspaceWith('passing');
    cleanups.push(workspace.cleanup);
    const run = await runBundledAction(
      'drill-report',
      { reports: 'reports', 'open-pr': 'false' },
      { cwd: workspace.dir, env: RUNNER_ENV },
    );
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /^::error::reports matched no files \(reports is a folder: use reports\/\*\*\/\*\.json\)/m,
    );
    expect(run.stdout).not.toMatch(/\n\s+at /);
  });
});
