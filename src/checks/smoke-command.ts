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
    if (!executable(path)) throw new ConfigurationError(`${inputName}: '${command}' is not an executable file (looked for ${path})`);
    return;
  }
  const found = (env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, command)));
  if (!found) throw new ConfigurationError(`${inputName}: '${command}' was not found on PATH; install it in an earlier step or give its path`);
}

/** The smoke-command input (or another command input, named by inputName) as words (no shell), its program checked to exist; undefined when empty. */
export function parseSmokeCommand(input: string, env: NodeJS.ProcessEnv, cwd: string, inputName = 'smoke-command'): string[] | undefined {
  const words = splitWords(input, inputName);
  if (words.length === 0) return undefined;
  checkCommandExists(words[0] as string, inputName, env, cwd);
  return words;
}
