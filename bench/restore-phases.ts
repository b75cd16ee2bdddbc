import { execa } from 'execa';
import type { Measurement } from './measure.js';

/** Where pg_restore --jobs spends its time, from the moments its verbose lines arrive. */
export interface RestorePhases {
  /** Schema before the parallel loop: tables, types, functions (serial). */
  preData: number;
  /** From the start until the last table's data was loaded. */
  lastDataLoaded: number;
  /** The whole restore; after lastDataLoaded only index, constraint and foreign key builds run. */
  total: number;
  /** Seconds that the workers spent per kind of item (TABLE DATA, INDEX, CONSTRAINT, FK CONSTRAINT), summed over workers. */
  workBySection: Record<string, number>;
}

const LAUNCHED = /launching item (\d+) (TABLE DATA|FK CONSTRAINT|[A-Z]+) /;
const FINISHED = /finished item (\d+) (TABLE DATA|FK CONSTRAINT|[A-Z]+) /;

export function phasesOf(lines: readonly [number, string][]): Omit<RestorePhases, 'total'> {
  const launchedAt = new Map<string, number>();
  const workBySection: Record<string, number> = {};
  let preData = 0;
  let lastDataLoaded = 0;
  for (const [at, line] of lines) {
    if (/entering main parallel loop/.test(line)) preData = at;
    const launched = LAUNCHED.exec(line);
    if (launched) launchedAt.set(launched[1] as string, at);
    const finished = FINISHED.exec(line);
    if (finished) {
      const kind = finished[2] as string;
      workBySection[kind] = (workBySection[kind] ?? 0) + at - (launchedAt.get(finished[1] as string) ?? at);
      if (kind === 'TABLE DATA') lastDataLoaded = at;
    }
  }
  return { preData, lastDataLoaded, workBySection };
}

/** pg_restore -v under /usr/bin/time -v, every stderr line timestamped as it arrives. */
export async function measureRestorePhases(
  args: string[],
  env: Record<string, string>,
): Promise<Measurement & { phases: RestorePhases }> {
  const started = performance.now();
  const child = execa('/usr/bin/time', ['-v', 'pg_restore', '--verbose', ...args], {
    env,
    reject: false,
    buffer: false,
    stdout: 'ignore',
    stderr: 'pipe',
  });
  const lines: [number, string][] = [];
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    const at = (performance.now() - started) / 1000;
    for (const line of parts) lines.push([at, line]);
  });
  const result = await child;
  const seconds = (performance.now() - started) / 1000;
  const text = lines.map(([, line]) => line).join('\n');
  if (result.exitCode !== 0)
    throw new Error(`pg_restore ${args.join(' ')} failed (${result.exitCode}):\n${text.slice(-2000)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
  return { seconds, maxRssKiB: rss ? Number(rss[1]) : 0, stdout: '', phases: { ...phasesOf(lines), total: seconds } };
}
