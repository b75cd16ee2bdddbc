/**
 * Every program the actions start (pg_dump, pg_dumpall, pg_restore, psql, the user's smoke, stop,
 * migrate, start and restart commands) is started here, so that one rule holds for all of them: it
 * ends when the action's process ends, also when that process is killed outright (SIGKILL from a
 * lost runner, the OOM killer, `kill -9`), which no handler of the action ever sees. A pg_restore
 * or a migration left running by a run that is gone would go on changing a database nobody watches.
 *
 * On Linux, `setpriv --pdeathsig SIGKILL` (util-linux) sets the kernel's parent-death signal and
 * executes the program: the process started is the program itself (its pid, process group, exit
 * status, signals and standard streams), and the kernel kills it when the thread that started it
 * ends. Node starts child processes from its main thread (libuv forks there), whose end is the end
 * of the action's process. The signal is the program's own: what it started itself (a script's
 * children) is stopped when the action cancels, by its process group, not when the action is killed.
 * Where setpriv is missing (macOS, a minimal image), programs are started as they are.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options, type ResultPromise } from 'execa';

export interface ProgramCommand {
  file: string;
  args: string[];
}

/** Whether `path` is a file this process may execute. */
export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Where `name` is on a PATH (a program name without a slash), or undefined. */
export function onPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) if (dir && executable(join(dir, name))) return join(dir, name);
  return undefined;
}

let setpriv: string | null | undefined;

/** setpriv's path where it is on the action's PATH and takes --pdeathsig (util-linux 2.33 and later), else null. */
export function parentDeathTool(): string | null {
  if (setpriv !== undefined) return setpriv;
  const found = process.platform === 'linux' ? onPath('setpriv', process.env.PATH) : undefined;
  const works =
    found !== undefined &&
    spawnSync(found, ['--pdeathsig', 'SIGKILL', '--', found, '--version'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: 'ignore',
      timeout: 10_000,
    }).status === 0;
  setpriv = works ? found : null;
  return setpriv;
}

/** What the debug log says about the programs this action will start. */
export function childProcessesNote(): string {
  const tool = parentDeathTool();
  return tool
    ? `programs this action starts are killed when its process ends (${tool} --pdeathsig SIGKILL)`
    : 'setpriv (util-linux) with --pdeathsig is not on PATH: programs this action starts (pg_restore, psql, commands) are started without a parent-death signal, so they would outlive this process if it were killed with SIGKILL';
}

/** Whether the program a command names can be found, as its spawn would look for it. */
function programFound(file: string, where: { env?: NodeJS.ProcessEnv; cwd?: string }): boolean {
  if (!file.includes('/')) return onPath(file, (where.env ?? process.env).PATH) !== undefined;
  return executable(isAbsolute(file) ? file : resolve(where.cwd ?? process.cwd(), file));
}

/**
 * The command line that starts `file` with the parent-death signal set, or unchanged where setpriv
 * is missing. A program that cannot be found is started as it is too, so that starting it fails as
 * it always did (ENOENT, "could not start"), not as setpriv's exit status 127.
 */
export function tiedToAction(
  file: string,
  args: readonly string[],
  where: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  tool: string | null = parentDeathTool(),
): ProgramCommand {
  if (!tool || !programFound(file, where)) return { file, args: [...args] };
  return { file: tool, args: ['--pdeathsig', 'SIGKILL', '--', file, ...args] };
}

const folder = (cwd: string | URL | undefined) => (cwd instanceof URL ? fileURLToPath(cwd) : cwd);

/** Node's spawn, the program tied to the action's process. */
export function spawnProgram(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const command = tiedToAction(file, args, { env: options.env, cwd: folder(options.cwd) });
  return spawn(command.file, command.args, options);
}

/** execa, the program tied to the action's process. */
export function execaProgram<O extends Options>(
  file: string,
  args: readonly string[],
  options: O,
): ResultPromise<{} & O> {
  const env = options.extendEnv === false ? options.env : { ...process.env, ...options.env };
  const command = tiedToAction(file, args, { env: env as NodeJS.ProcessEnv, cwd: folder(options.cwd) });
  return execa(command.file, command.args, options);
}
