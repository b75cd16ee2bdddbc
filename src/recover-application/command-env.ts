import { ConfigurationError } from '../errors.js';

/**
 * What the commands inherit from the step's environment, and nothing else: the action's own
 * inputs (INPUT_*, a database URL among them) and the runner's tokens stay out. The shell's
 * basics, the ways a restart reaches the application (SSH agent, Docker, Kubernetes), and the
 * AWS credentials an earlier step assumed (an ECS forced deployment) pass; anything more is
 * named in pass-env.
 */
export const PASSED_VARIABLES = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'RUNNER_TEMP',
  'SSH_AUTH_SOCK',
  'DOCKER_HOST',
  'DOCKER_CONTEXT',
  'DOCKER_CONFIG',
  'DOCKER_CERT_PATH',
  'DOCKER_TLS_VERIFY',
  'KUBECONFIG',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
] as const;

/** Passed variables whose values are secrets: masked wherever the commands' output is shown. */
const SECRET_VARIABLES = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface CommandEnv {
  env: Record<string, string>;
  /** Names given in pass-env, in order. */
  passed: string[];
  /** Values to mask in output, reports and summaries. */
  secrets: string[];
}

/** pass-env: names of variables of the step's env, comma- or line-separated; each must be set. */
export function parseCommandEnv(input: string, from: NodeJS.ProcessEnv): CommandEnv {
  const names = [
    ...new Set(
      input
        .split(/[,\n]/)
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
  for (const name of names) {
    if (!NAME.test(name))
      throw new ConfigurationError(
        `pass-env: '${name}' is not a variable name (letters, digits and _, not starting with a digit)`,
      );
    if (/^INPUT_/i.test(name))
      throw new ConfigurationError(
        `pass-env: ${name} is one of the action's inputs, which the commands never see; give the value through the step's env: under another name`,
      );
    if (from[name] === undefined)
      throw new ConfigurationError(
        `pass-env names ${name}, which is not set in the step's environment: set it in the step's env: (e.g. from a secret) or drop it`,
      );
  }
  const env: Record<string, string> = {};
  for (const name of [...PASSED_VARIABLES, ...names]) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  const secrets = [...SECRET_VARIABLES, ...names]
    .map((name) => from[name])
    .filter((value): value is string => Boolean(value));
  return { env, passed: names, secrets };
}
