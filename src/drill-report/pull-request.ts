import { ConfigurationError, errorMessage } from '../errors.js';
import { httpStatus, type GitHubClient } from '../github/client.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import type { PullRequestTarget } from './inputs.js';
import { pullRequestBody } from './pr-body.js';

export interface CommittedFile {
  /** Repository-relative, '/'-separated. */
  path: string;
  content: string;
}

export interface DrillPullRequestRequest {
  branch: string;
  title: string;
  commitMessage: string;
  files: readonly CommittedFile[];
  /** The full report; the body is cut to GitHub's limit with a link to this file on the branch. */
  markdown: string;
  markdownPath: string;
}

export interface DrillPullRequest {
  url: string;
  number: number;
  branch: string;
  base: string;
  commitSha: string;
  /** false when a re-run found the pull request of its first attempt and updated it. */
  created: boolean;
  /** Set when the labels could not be added; the pull request stands without them. */
  labelsError?: string;
}

const PERMISSIONS_HINT =
  'give the job `permissions: contents: write, pull-requests: write` (and `issues: write` for labels)';

/**
 * Runs one REST call; turns the refusals a user can fix (token, permissions, repository
 * settings) into a ConfigurationError that says what to change. Messages are redacted of
 * the token, though GitHub does not echo it.
 */
async function call<T>(what: string, token: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const status = httpStatus(error);
    const message = redact(errorMessage(error), [token]);
    if (status === 401)
      throw new ConfigurationError(
        `GitHub refused github-token (401) while trying to ${what}: pass a valid token, e.g. \${{ github.token }}`,
      );
    if (status === 403 && /not permitted to create or approve pull requests/i.test(message)) {
      throw new ConfigurationError(
        `GitHub Actions may not create pull requests in this repository (${message}): allow it in Settings > Actions > General > Workflow permissions, or pass a GitHub App token as github-token`,
      );
    }
    if (status === 403)
      throw new ConfigurationError(`github-token may not ${what} (403: ${message}): ${PERMISSIONS_HINT}`);
    throw new Error(`could not ${what}: ${message}`, { cause: error });
  }
}

function isAlreadyExists(error: unknown, pattern: RegExp): boolean {
  return httpStatus(error) === 422 && pattern.test(errorMessage(error));
}

/** The repository every call of one drill's pull request goes to, and how each call reports. */
interface Repository {
  client: GitHubClient;
  owner: string;
  repo: string;
  token: string;
  log: Logger;
}

/**
 * Commits the drill's files to a new branch as ONE commit through the git data API (blobs,
 * tree on top of the base branch's tree, commit, ref) and opens a pull request with the
 * report as its body and the labels. Nothing is cloned or pushed from the runner. A re-run
 * moves its branch to the new commit and updates its open pull request.
 */
export async function openDrillPullRequest(
  client: GitHubClient,
  target: PullRequestTarget,
  request: DrillPullRequestRequest,
  log: Logger,
): Promise<DrillPullRequest> {
  const { owner, repo, token } = target;
  const repository: Repository = { client, owner, repo, token, log };
  const base = target.baseBranch || (await defaultBranch(repository));
  const commitSha = await commitOnTopOf(repository, base, request);
  await pointBranchAt(repository, request.branch, commitSha);
  const body = pullRequestBody(
    request.markdown,
    `${target.serverUrl}/${owner}/${repo}/blob/${request.branch}/${request.markdownPath}`,
  );
  const pull = await openOrUpdatePullRequest(repository, request, base, body);
  const labelsError = await addLabels(repository, pull, target.labels);
  return {
    url: pull.url,
    number: pull.number,
    branch: request.branch,
    base,
    commitSha,
    created: pull.created,
    ...(labelsError ? { labelsError } : {}),
  };
}

async function defaultBranch({ client, owner, repo, token }: Repository): Promise<string> {
  return call(`read the repository ${owner}/${repo}`, token, async () => {
    try {
      return (await client.rest.repos.get({ owner, repo })).data.default_branch;
    } catch (error) {
      if (httpStatus(error) === 404)
        throw new ConfigurationError(
          `repository ${owner}/${repo} was not found with github-token; check GITHUB_REPOSITORY and the token's access`,
        );
      throw error;
    }
  });
}

/** Stores the request's files as one commit whose parent is the head of `base`; returns its sha. */
async function commitOnTopOf(
  { client, owner, repo, token, log }: Repository,
  base: string,
  request: DrillPullRequestRequest,
): Promise<string> {
  const baseSha = await call(`read the branch ${base}`, token, async () => {
    try {
      return (await client.rest.git.getRef({ owner, repo, ref: `heads/${base}` })).data.object.sha;
    } catch (error) {
      if (httpStatus(error) === 404)
        throw new ConfigurationError(`base-branch '${base}' does not exist in ${owner}/${repo}`);
      throw error;
    }
  });
  const baseTree = await call(
    `read the commit ${baseSha}`,
    token,
    async () => (await client.rest.git.getCommit({ owner, repo, commit_sha: baseSha })).data.tree.sha,
  );

  const tree: { path: string; mode: '100644'; type: 'blob'; sha: string }[] = [];
  for (const file of request.files) {
    const blob = await call(`store ${file.path}`, token, () =>
      client.rest.git.createBlob({
        owner,
        repo,
        content: Buffer.from(file.content, 'utf8').toString('base64'),
        encoding: 'base64',
      }),
    );
    tree.push({ path: file.path, mode: '100644', type: 'blob', sha: blob.data.sha });
  }
  const treeSha = await call(
    'create the tree',
    token,
    async () => (await client.rest.git.createTree({ owner, repo, base_tree: baseTree, tree })).data.sha,
  );
  const commitSha = await call(
    'create the commit',
    token,
    async () =>
      (
        await client.rest.git.createCommit({
          owner,
          repo,
          message: request.commitMessage,
          tree: treeSha,
          parents: [baseSha],
        })
      ).data.sha,
  );
  log.info(
    `committed ${request.files.map((f) => f.path).join(' and ')} as ${commitSha} on top of ${base} (${baseSha})`,
  );
  return commitSha;
}

/** Creates the branch at the commit; a re-run finds it there already and moves it. */
async function pointBranchAt(
  { client, owner, repo, token, log }: Repository,
  branch: string,
  commitSha: string,
): Promise<void> {
  await call(`create the branch ${branch}`, token, async () => {
    try {
      await client.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commitSha });
    } catch (error) {
      if (!isAlreadyExists(error, /reference already exists/i)) throw error;
      log.info(`branch ${branch} exists (a re-run): moving it to ${commitSha}`);
      await client.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: commitSha, force: true });
    }
  });
}

interface OpenedPullRequest {
  number: number;
  url: string;
  created: boolean;
}

/** Opens the pull request; a re-run finds its own still open and updates its title and body. */
async function openOrUpdatePullRequest(
  { client, owner, repo, token, log }: Repository,
  request: DrillPullRequestRequest,
  base: string,
  body: string,
): Promise<OpenedPullRequest> {
  return call('open the pull request', token, async () => {
    try {
      const created = await client.rest.pulls.create({
        owner,
        repo,
        title: request.title,
        head: request.branch,
        base,
        body,
        maintainer_can_modify: true,
      });
      return { number: created.data.number, url: created.data.html_url, created: true };
    } catch (error) {
      if (!isAlreadyExists(error, /pull request already exists/i)) throw error;
      const open = await client.rest.pulls.list({
        owner,
        repo,
        head: `${owner}:${request.branch}`,
        base,
        state: 'open',
      });
      const existing = open.data[0];
      if (!existing) throw error;
      log.info(`pull request #${existing.number} is already open for ${request.branch}: updating it`);
      await client.rest.pulls.update({ owner, repo, pull_number: existing.number, title: request.title, body });
      return { number: existing.number, url: existing.html_url, created: false };
    }
  });
}

/** Adds the labels; returns why they could not be added, if they could not. */
async function addLabels(
  { client, owner, repo, token, log }: Repository,
  pull: OpenedPullRequest,
  labels: string[],
): Promise<string | undefined> {
  if (!labels.length) return undefined;
  try {
    await client.rest.issues.addLabels({ owner, repo, issue_number: pull.number, labels });
    return undefined;
  } catch (error) {
    // The pull request holds the evidence; a missing label must not fail the drill's record.
    const labelsError = redact(errorMessage(error), [token]);
    log.warning(
      `pull request ${pull.url} is open, but the labels ${labels.join(', ')} could not be added: ${labelsError}. ${PERMISSIONS_HINT}`,
    );
    return labelsError;
  }
}
