import { ConfigurationError } from '../errors.js';
import { APPLICATION_VARIABLES } from '../util/child-env.js';

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
  for (const name of [...APPLICATION_VARIABLES, ...names]) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  const secrets = [...SECRET_VARIABLES, ...names]
    .map((name) => from[name])
    .filter((value): value is string => Boolean(value));
  return { env, passed: names, secrets };
}
