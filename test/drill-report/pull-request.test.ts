import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../src/errors.js';
import { parseDrillReportInputs } from '../../src/drill-report/inputs.js';
import { PR_BODY_LIMIT } from '../../src/drill-report/pr-body.js';
import { runDrillReport, type DrillReportOptions } from '../../src/drill-report/run-drill-report.js';
import { firstPullRequestCalls, GitHubRecorder, type GitHubRecorderOptions } from './github-recorder.js';
import { recordingLogger, workspaceWith } from './helpers.js';

const TOKEN = 'ghs_drillReportTestToken0123456789abcdef';
const RUN = {
  repository: 'acme/shop',
  workflow: 'DR drill',
  job: 'drill-report',
  runId: '21450001299',
  runAttempt: '1',
  url: 'https://github.com/acme/shop/actions/runs/21450001299',
};

let github: GitHubRecorder;
let workspace: { dir: string; cleanup: () => Promise<void> };

async function startGitHub(options: GitHubRecorderOptions = {}) {
  github = await new GitHubRecorder({ token: TOKEN, ...options }).start();
}

function options(inputs: Record<string, string> = {}): DrillReportOptions {
  const settings = parseDrillReportInputs(
    (name) =>
      ({
        reports: 'reports/**/*.json',
        title: 'Quarterly DR drill',
        labels: 'disaster-recovery, dr-drill',
        'github-token': TOKEN,
        ...inputs,
      })[name] ?? '',
    {
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.com',
    },
  );
  return { ...settings, workspace: workspace.dir, run: RUN, log: recordingLogger() };
}

beforeEach(async () => {
  workspace = await workspaceWith('passing', true);
});

afterEach(async () => {
  await github?.stop();
  await workspace.cleanup();
});

describe('the pull request flow against a recording GitHub server', () => {
  test('one commit holding both files on a new branch, the report as the body, then labels', async () => {
    await startGitHub();
    const result = await runDrillReport(options());

    const name = '2026-01-01-21450001299';
    const md = `docs/dr-drills/${name}.md`;
    const json = `docs/dr-drills/${name}.json`;
    expect(github.sequence()).toEqual(firstPullRequestCalls(github.baseSha));
    expect(github.calls.every((c) => c.authorization === `token ${TOKEN}`)).toBe(true);

    const [, , , blobMd, blobJson, tree, commit, ref, pull, labels] = github.calls;
    const writtenMd = await readFile(join(workspace.dir, md), 'utf8');
    const writtenJson = await readFile(join(workspace.dir, json), 'utf8');
    expect(blobMd?.body).toEqual({ content: Buffer.from(writtenMd).toString('base64'), encoding: 'base64' });
    expect(blobJson?.body).toEqual({ content: Buffer.from(writtenJson).toString('base64'), encoding: 'base64' });
    const treeBody = tree?.body as { base_tree: string; tree: { path: string; mode: string; type: string }[] };
    expect(treeBody.base_tree).toBe(github.baseTreeSha);
    expect(treeBody.tree.map(({ path, mode, type }) => ({ path, mode, type }))).toEqual([
      { path: md, mode: '100644', type: 'blob' },
      { path: json, mode: '100644', type: 'blob' },
    ]);
    const commitBody = commit?.body as { message: string; parents: string[]; tree: string };
    expect(commitBody.parents).toEqual([github.baseSha]);
    expect(commitBody.message).toMatch(/^Quarterly DR drill 2026-01-01: passed\n/);
    expect(ref?.body).toEqual({ ref: `refs/heads/dr-drill/${name}`, sha: result.pullRequest?.commitSha });
    expect(pull?.body).toMatchObject({
      head: `dr-drill/${name}`,
      base: 'main',
      title: '✅ Quarterly DR drill 2026-01-01: passed',
      body: result.markdown,
    });
    expect(labels?.body).toEqual({ labels: ['disaster-recovery', 'dr-drill'] });

    // The branch's commit holds exactly the two files, as written to the workspace.
    expect(github.refs.get(`refs/heads/dr-drill/${name}`)).toBe(result.pullRequest?.commitSha);
    expect(github.filesOf(result.pullRequest?.commitSha ?? '')).toEqual({ [md]: writtenMd, [json]: writtenJson });
    expect(JSON.parse(writtenJson)).toMatchObject({ kind: 'drill-report', passed: true, run: RUN });
    expect(result.pullRequest).toMatchObject({
      url: 'https://github.com/acme/shop/pull/1',
      number: 1,
      base: 'main',
      created: true,
    });
    expect(github.pulls[0]?.labels).toEqual(['disaster-recovery', 'dr-drill']);
  });

  test('base-branch given: the default branch is not asked for, and the PR targets it', async () => {
    await startGitHub();
    github.refs.set('refs/heads/release', github.baseSha);
    const result = await runDrillReport(options({ 'base-branch': 'release', labels: '' }));
    expect(github.sequence()[0]).toBe('GET /repos/acme/shop/git/ref/heads/release');
    expect(github.sequence()).not.toContain('GET /repos/acme/shop');
    expect(github.sequence().some((s) => s.includes('/labels'))).toBe(false);
    expect(github.pulls[0]?.base).toBe('release');
    expect(result.pullRequest?.base).toBe('release');
  });

  test('a re-run moves its branch to the new commit and updates its open pull request instead of failing', async () => {
    await startGitHub();
    const first = await runDrillReport(options());
    github.calls.length = 0;
    const second = await runDrillReport(options({ title: 'Quarterly DR drill (re-run)' }));

    expect(github.sequence().slice(-6)).toEqual([
      'POST /repos/acme/shop/git/refs',
      'PATCH /repos/acme/shop/git/refs/heads/dr-drill/2026-01-01-21450001299',
      'POST /repos/acme/shop/pulls',
      'GET /repos/acme/shop/pulls',
      'PATCH /repos/acme/shop/pulls/1',
      'POST /repos/acme/shop/issues/1/labels',
    ]);
    const patchRef = github.calls.find((c) => c.method === 'PATCH' && c.path.includes('/git/refs/'));
    expect(patchRef?.body).toEqual({ sha: second.pullRequest?.commitSha, force: true });
    expect(second.pullRequest?.commitSha).not.toBe(first.pullRequest?.commitSha);
    expect(github.pulls).toHaveLength(1);
    expect(github.pulls[0]?.title).toBe('✅ Quarterly DR drill (re-run) 2026-01-01: passed');
    expect(second.pullRequest).toMatchObject({ number: 1, created: false });
    // The history the re-run read did not include its own first attempt.
    expect(second.pastDrills).toBe(3);
  });

  test('a report over GitHub’s body limit is cut, with a link to the full file on the branch', async () => {
    await startGitHub();
    const settings = options();
    // 120 matrix legs' worth of step rows take the report past 65,536 characters.
    const big = await import('./big-drill.js');
    await big.writeManyReports(workspace.dir, 120);
    const result = await runDrillReport(settings);
    expect(result.markdown.length).toBeGreaterThan(PR_BODY_LIMIT);
    const body = github.pulls[0]?.body ?? '';
    expect(body.length).toBeLessThanOrEqual(PR_BODY_LIMIT);
    expect(body.startsWith(result.markdown.slice(0, 1000))).toBe(true);
    expect(body).toContain(
      '(https://github.com/acme/shop/blob/dr-drill/2026-01-01-21450001299/docs/dr-drills/2026-01-01-21450001299.md)',
    );
    // The committed file is whole.
    expect(github.filesOf(result.pullRequest?.commitSha ?? '')['docs/dr-drills/2026-01-01-21450001299.md']).toBe(
      result.markdown,
    );
  });

  test('a repository that does not let Actions open pull requests: a ConfigurationError saying where to allow it; the branch stays', async () => {
    await startGitHub({ refusePullRequests: true });
    const error = await runDrillReport(options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/Settings > Actions > General > Workflow permissions/);
    expect(github.refs.has('refs/heads/dr-drill/2026-01-01-21450001299')).toBe(true);
  });

  test('a wrong token: a ConfigurationError that does not contain the token', async () => {
    await startGitHub();
    const settings = options({ 'github-token': 'ghs_wrongTokenWrongTokenWrong0000' });
    const error = await runDrillReport(settings).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/refused github-token \(401\)/);
    expect((error as Error).message).not.toContain('ghs_wrongToken');
    expect(github.sequence()).toEqual(['GET /repos/acme/shop']);
  });

  test('a base branch that does not exist: a ConfigurationError naming it, before anything is written to GitHub', async () => {
    await startGitHub();
    const error = await runDrillReport(options({ 'base-branch': 'no-such-branch' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe("base-branch 'no-such-branch' does not exist in acme/shop");
    expect(github.calls.filter((c) => c.method !== 'GET')).toEqual([]);
  });

  test('labels refused: the pull request stands, the result says why, and a warning tells which permission is missing', async () => {
    await startGitHub({ refuseLabels: true });
    const settings = options();
    const result = await runDrillReport(settings);
    expect(result.pullRequest?.url).toBe('https://github.com/acme/shop/pull/1');
    expect(result.pullRequest?.labelsError).toMatch(/Resource not accessible by integration/);
    const log = settings.log as ReturnType<typeof recordingLogger>;
    expect(
      log.lines
        .filter((l) => l.level === 'warning')
        .map((l) => l.message)
        .join('\n'),
    ).toMatch(/issues: write/);
  });

  test('open-pr false: the files are written and GitHub is never called', async () => {
    await startGitHub();
    const result = await runDrillReport(options({ 'open-pr': 'false' }));
    expect(result.pullRequest).toBeUndefined();
    expect(github.calls).toEqual([]);
    expect(await readFile(join(workspace.dir, result.files.markdownPath), 'utf8')).toBe(result.markdown);
  });
});
