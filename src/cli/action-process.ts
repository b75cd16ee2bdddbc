import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseOutputFile } from './output-file.js';
import { WorkflowCommandRenderer, type RenderedLine } from './workflow-commands.js';

/** The variable that makes the bundle run one action's run() instead of reading a command line. */
export const CHILD_ACTION_VARIABLE = 'DR_ACTIONS_CLI_RUN_ACTION';

/** Where the CLI writes what it shows. */
export interface Terminal {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface ActionProcessResult {
  exitCode: number;
  outputs: Record<string, string>;
  summary: string;
  /** Redacts text with the values the action masked. */
  redact(text: string): string;
}

/**
 * The environment the runner gives an action: INPUT_<NAME> for each input (upper case, spaces as
 * underscores, hyphens kept), and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY (and the other command files)
 * as files of this run. The caller's own INPUT_* and GITHUB_* files are left out, so that nothing
 * stray in the shell becomes an input or receives an output. The run a manifest or report records
 * is this command line and the local user.
 */
function actionEnvironment(
  action: string,
  inputs: Record<string, string>,
  dir: string,
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const kept = Object.entries(env).filter(
    ([name]) => !name.startsWith('INPUT_') && !/^GITHUB_(OUTPUT|STEP_SUMMARY|ENV|PATH|STATE)$/.test(name),
  );
  return {
    ...Object.fromEntries(kept),
    ...Object.fromEntries(
      Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]),
    ),
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
    GITHUB_STATE: join(dir, 'state'),
    RUNNER_TEMP: env.RUNNER_TEMP || dir,
    // What a manifest or report records as the run that made it: this command line, and who ran it.
    GITHUB_WORKFLOW: env.GITHUB_WORKFLOW || 'dr-actions command line',
    GITHUB_ACTOR: env.GITHUB_ACTOR || localActor(),
    [CHILD_ACTION_VARIABLE]: action,
  };
}

/** Who runs the command line, for the run recorded in manifests and reports (user@host). */
function localActor(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return hostname();
  }
}

/** Splits a stream into lines, each shown (masked) as soon as it is complete. */
function lineReader(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line.replace(/\r$/, ''));
    },
    end() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

/**
 * Waits for the child; a signal sent to this process (not the terminal's, which reaches both) is
 * passed on so the action cleans up. A hangup (the terminal, SSH or CloudShell session closed)
 * cancels the run as SIGTERM does, instead of ending this process and leaving the action unwatched.
 */
function exitOf(child: ReturnType<typeof spawn>): Promise<number> {
  const forward = (signal: NodeJS.Signals) => child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      for (const name of signals) process.off(name, forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
    });
  });
}

/**
 * In the action's process: when the command line that started it ends without it (killed with
 * SIGKILL by the OOM killer or `kill -9`, its CloudShell session closed), nothing shows the run's
 * output and its lock refuses a re-run, so the action cancels as on SIGTERM: it stops its step,
 * stops the commands it started and releases its lock, as a cancelled run does. Its IPC channel
 * closes whenever the command line ends, however it ends. The channel does not keep the action's
 * process alive once the action is done.
 */
export function watchCommandLine(): void {
  if (!process.channel) return;
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel.unref();
}

/**
 * Runs one action in a child process of this same file, as the runner runs it: its output is
 * shown line by line as plain text, its outputs and summary read from the files it wrote. The
 * action ends, cancelled, when this process ends first (watchCommandLine).
 */
export async function runActionProcess(
  action: string,
  inputs: Record<string, string>,
  options: { env: NodeJS.ProcessEnv; debug: boolean; terminal: Terminal },
): Promise<ActionProcessResult> {
  const dir = await mkdtemp(join(tmpdir(), `dr-actions-${action}-`));
  try {
    for (const file of ['output', 'summary', 'env', 'path', 'state']) await writeFile(join(dir, file), '');
    const renderer = new WorkflowCommandRenderer(options.debug);
    const show = (line: RenderedLine | undefined) => line && options.terminal[line.stream](`${line.text}\n`);
    // The IPC channel is how the action learns that this process is gone, SIGKILL included (see watchCommandLine).
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] as string], {
      env: actionEnvironment(action, inputs, dir, options.env),
      stdio: ['inherit', 'pipe', 'pipe', 'ipc'],
    });
    const out = lineReader((line) => show(renderer.line(line, 'stdout')));
    const err = lineReader((line) => show(renderer.line(line, 'stderr')));
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    const exitCode = await exitOf(child);
    out.end();
    err.end();
    return {
      exitCode,
      outputs: parseOutputFile(await readFile(join(dir, 'output'), 'utf8')),
      summary: await readFile(join(dir, 'summary'), 'utf8'),
      redact: (text) => renderer.redact(text),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
