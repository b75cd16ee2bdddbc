import { getOctokit } from '@actions/github';

export type GitHubClient = ReturnType<typeof getOctokit>;

/**
 * An authenticated REST client. The base URL is passed explicitly (from GITHUB_API_URL on the
 * runner) because @actions/github reads its default only once, when it is first imported;
 * GitHub Enterprise Server and tests against a local server both need it.
 */
export function createGitHubClient(token: string, apiUrl: string): GitHubClient {
  return getOctokit(token, { baseUrl: apiUrl });
}

/** The status of a failed REST call (an @octokit/request-error RequestError), if it has one. */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
