import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { splitWords } from '../util/words.js';

/** The command must exist before anything is restored; a typo should not cost a whole restore. */
function checkCommandExists(command: string, inputName: string, env: NodeJS.ProcessEnv, cwd: string): void {
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    if (!executable(path))
      throw new ConfigurationError(`${inputName}: '${command}' is not an executable file (looked for ${path})`);
    return;
  }
  const found = (env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, command)));
  if (!found)
    throw new ConfigurationError(
      `${inputName}: '${command}' was not found on PATH; install it in an earlier step or give its path`,
    );
}

/** The smoke-command input (or another command input, named by inputName) as words (no shell), its program checked to exist; undefined when empty. */
export function parseSmokeCommand(
  input: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  inputName = 'smoke-command',
): string[] | undefined {
  const words = splitWords(input, inputName);
  if (words.length === 0) return undefined;
  checkCommandExists(words[0] as string, inputName, env, cwd);
  return words;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What the action sets for the smoke command itself: the restored database. */
const SET_BY_THE_ACTION = ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD'];

/**
 * smoke-env: names of the step's environment variables passed on to the smoke command, which gets
 * nothing else of the action's environment beyond PATH, HOME, temp, locale and libpq's settings
 * (util/child-env.ts). Each must be set in the step's env; the action's own inputs (INPUT_*) are
 * never passed on.
 */
export function parseSmokeEnv(
  input: string,
  smokeCommand: readonly string[] | undefined,
  env: NodeJS.ProcessEnv,
): string[] {
  const names = input.split(/[\s,]+/).filter(Boolean);
  if (names.length === 0) return [];
  if (!smokeCommand)
    throw new ConfigurationError(
      'smoke-env is set but smoke-command is empty; give the command the variables are for, or remove smoke-env',
    );
  for (const name of names) {
    if (/^INPUT_/i.test(name))
      throw new ConfigurationError(
        `smoke-env: ${name} is one of the action's own inputs, which are never passed on; set the value in the step's env under a name of its own`,
      );
    if (!VARIABLE_NAME.test(name))
      throw new ConfigurationError(
        `smoke-env: '${name}' is not an environment variable name; give names such as APP_DB_PASSWORD, separated by spaces or commas`,
      );
    if (SET_BY_THE_ACTION.includes(name))
      throw new ConfigurationError(
        `smoke-env: ${name} is set by the action to the restored database; remove it from smoke-env`,
      );
    if (env[name] === undefined)
      throw new ConfigurationError(
        `smoke-env names ${name}, which the step's environment does not have; set it in the step's env (e.g. from a secret)`,
      );
  }
  return [...new Set(names)];
}
