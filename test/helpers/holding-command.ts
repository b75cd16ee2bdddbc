import { access, readFile } from 'node:fs/promises';

/** A command that writes its process group to `file` and then waits: the moment a test kills its action. */
export const holdingCommand = (file: string) =>
  `sh -c 'echo $$ > ${file}.tmp && mv ${file}.tmp ${file} && exec sleep 600'`;

export const holdingCommandStarted = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** The command runs in a process group of its own, which SIGKILL of its action does not reach. */
export async function stopHoldingCommand(file: string): Promise<void> {
  process.kill(-Number((await readFile(file, 'utf8')).trim()), 'SIGKILL');
}
