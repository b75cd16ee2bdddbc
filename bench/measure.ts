import { readFile } from 'node:fs/promises';
import { execa } from 'execa';

export interface Measurement {
  seconds: number;
  /** Peak RSS of the measured process tree's largest process, from /usr/bin/time -v. */
  maxRssKiB: number;
  /** What the action itself reported (process.resourceUsage().maxRSS), when it is one. */
  reportedRssKiB?: number;
  stdout: string;
}

/** Runs a command under /usr/bin/time -v; fails loudly when the command fails, so a broken run never counts. */
export async function measure(file: string, args: string[], env: Record<string, string> = {}): Promise<Measurement> {
  const started = performance.now();
  const result = await execa('/usr/bin/time', ['-v', file, ...args], {
    env,
    reject: false,
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.exitCode !== 0) {
    throw new Error(
      `${file} ${args.join(' ')} failed (${result.exitCode}):\n${String(result.stdout).slice(-2000)}\n${String(result.stderr).slice(-2000)}`,
    );
  }
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(String(result.stderr));
  const reported = /::debug::peak RSS (\d+) KiB/.exec(String(result.stdout));
  return {
    seconds,
    maxRssKiB: rss ? Number(rss[1]) : 0,
    ...(reported ? { reportedRssKiB: Number(reported[1]) } : {}),
    stdout: String(result.stdout),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

let ticksPerSecond: number | undefined;

/** CPU seconds (user + system) a running process has used so far, from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  ticksPerSecond ??= Number((await execa('getconf', ['CLK_TCK'])).stdout);
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
