import { access, readFile } from 'node:fs/promises';

/** A command that writes its process group to `file` and then waits: the moment a test kills its action. */
export const holdingCommand = (file: string) =>
  `sh -c 'echo $$ > ${file}.tmp && mv ${file}.tmp ${file} && exec sleep 600'`;

export const holdingCommandStarted = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** The process (and process group) of the holding command. */
export const holdingCommandPid = async (file: string) => Number((await readFile(file, 'utf8')).trim());

/**
 * Stops what is left of the command's process group. The command itself ends with its action
 * (its parent-death signal, where setpriv is on PATH); the group is gone then, which is no error.
 */
export async function stopHoldingCommand(file: string): Promise<void> {
  try {
    process.kill(-(await holdingCommandPid(file)), 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
