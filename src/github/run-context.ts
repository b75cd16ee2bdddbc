/** The workflow run that made an artifact, from the variables every GitHub Actions job has. */
export interface RunContext {
  repository?: string;
  workflow?: string;
  job?: string;
  runId?: string;
  runAttempt?: string;
  sha?: string;
  ref?: string;
  actor?: string;
  url?: string;
}

export function runContextFromEnv(env: NodeJS.ProcessEnv = process.env): RunContext {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const context: RunContext = {
    repository: env.GITHUB_REPOSITORY,
    workflow: env.GITHUB_WORKFLOW,
    job: env.GITHUB_JOB,
    runId: env.GITHUB_RUN_ID,
    runAttempt: env.GITHUB_RUN_ATTEMPT,
    sha: env.GITHUB_SHA,
    ref: env.GITHUB_REF,
    actor: env.GITHUB_ACTOR,
    url:
      env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
        ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : undefined,
  };
  return Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined)) as RunContext;
}
