import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { execa } from 'execa';
import { node24Path } from '../harness/node24.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  postgres: string;
  node: string;
  actionsNode: string;
  kernel: string;
}

export async function describeMachine(): Promise<Machine> {
  const model =
    cpus()[0]?.model ?? (await readFile('/proc/cpuinfo', 'utf8')).match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown';
  return {
    cpu: model.trim(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    postgres: (await execa('pg_dump', ['--version'])).stdout.trim(),
    node: process.version,
    actionsNode: (await execa(node24Path(), ['--version'])).stdout.trim(),
    kernel: (await execa('uname', ['-r'])).stdout.trim(),
  };
}
