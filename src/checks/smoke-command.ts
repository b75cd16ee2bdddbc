import { parseCommand } from '../util/command.js';

/** The smoke-command input as words (no shell), its program checked to exist; undefined when empty. */
export function parseSmokeCommand(input: string, env: NodeJS.ProcessEnv, cwd: string): string[] | undefined {
  return parseCommand(input, 'smoke-command', env, cwd);
}
