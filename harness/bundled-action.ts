import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { node24Path } from './node24.js';
import { waitUntil } from './wait.js';

export interface BundledActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Reads the GITHUB_OUTPUT file format: `name<<delimiter`, value lines, `delimiter`. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] as string);
    if (match) {
      const [, name, delimiter] = match;
      const value: string[] = [];
      for (i += 1; i < lines.length && lines[i] !== delimiter; i += 1) value.push(lines[i] as string);
      outputs[name as string] = value.join('\n');
    } else if ((lines[i] as string).includes('=')) {
      const [name, ...rest] = (lines[i] as string).split('=');
      outputs[name as string] = rest.join('=');
    }
  }
  return outputs;
}

/**
 * Runs actions/<name>/dist/index.js the way the runner does: on Node 24, inputs as INPUT_<NAME>
 * variables, outputs and the job summary through the GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
 */
export async function runBundledAction(
  name: string,
  inputs: Record<string, string>,
  options: {
    env?: Record<string, string>;
    cwd?: string;
    timeoutMs?: number;
    /**
     * Given the action's process once it started: a test that kills it (the runner's machine lost) does it
     * through this, and one that acts on what the run has reached reads its output as it comes.
     */
    started?: (action: { pid?: number; kill(signal: NodeJS.Signals): boolean; stdout: Readable }) => void;
  } = {},
): Promise<BundledActionRun> {
  const dir = await mkdtemp(join(tmpdir(), `dr-actions-${name}-`));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([key, value]) => [`INPUT_${key.replace(/ /g, '_').toUpperCase()}`, value]),
  );
  try {
    const entry = fileURLToPath(new URL(`../actions/${name}/dist/index.js`, import.meta.url));
    const running = execa(node24Path(), [entry], {
      env: {
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        RUNNER_TEMP: dir,
        ...inputEnv,
        ...options.env,
      },
      cwd: options.cwd ?? dir,
      reject: false,
      timeout: options.timeoutMs ?? 300_000,
    });
    options.started?.(running);
    const result = await running;
    return {
      exitCode: result.exitCode ?? 1,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
      outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the bundled action and kills it with SIGKILL (a lost runner, `kill -9`) once `until` holds
 * (told the action's pid): what a test of a run cut off half way starts from. Returns the killed run.
 */
export async function killBundledActionWhen(
  name: string,
  inputs: Record<string, string>,
  until: { what: string; holds: (actionPid: number) => boolean | Promise<boolean>; timeoutMs?: number },
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<BundledActionRun> {
  let action: { pid?: number; kill(signal: NodeJS.Signals): boolean } | undefined;
  const running = runBundledAction(name, inputs, { ...options, started: (started) => (action = started) });
  try {
    await waitUntil(until.what, () => until.holds(action?.pid ?? 0), { timeoutMs: until.timeoutMs ?? 120_000 });
  } finally {
    action?.kill('SIGKILL');
    await running;
  }
  return running;
}
