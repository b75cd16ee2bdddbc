import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { BundledActionRun } from './bundled-action.js';
import { node24Path } from './node24.js';

/** The command line's bundle, built by `npm run build` (scripts/build-cli.ts). */
export const CLI_BUNDLE = fileURLToPath(new URL('../../dist/cli/dr-actions.mjs', import.meta.url));

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/dr-actions.mjs <argv>` on the given Node (Node 24 by default), as a person runs it in a shell. */
export async function runCli(
  argv: readonly string[],
  options: { node?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  const result = await execa(options.node ?? node24Path(), [CLI_BUNDLE, ...argv], {
    env: options.env,
    cwd: options.cwd,
    reject: false,
    timeout: options.timeoutMs ?? 300_000,
  });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** `--name value` for each input. */
export function inputFlags(inputs: Record<string, string>): string[] {
  return Object.entries(inputs).flatMap(([name, value]) => [`--${name}`, value]);
}

/**
 * Runs one action through the command line, with the same arguments and result as
 * runBundledAction: outputs and summary are read from the files `--outputs` and `--summary` write.
 */
export async function runBundledCli(
  name: string,
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; node?: string } = {},
): Promise<BundledActionRun> {
  const dir = await mkdtemp(join(tmpdir(), `dr-actions-cli-${name}-`));
  try {
    const outputsFile = join(dir, 'outputs.json');
    const summaryFile = join(dir, 'summary.md');
    const run = await runCli(['--outputs', outputsFile, '--summary', summaryFile, name, ...inputFlags(inputs)], {
      ...options,
      cwd: options.cwd ?? dir,
    });
    const read = (file: string) => readFile(file, 'utf8').catch(() => '');
    return {
      ...run,
      outputs: JSON.parse((await read(outputsFile)) || '{}') as Record<string, string>,
      summary: await read(summaryFile),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
