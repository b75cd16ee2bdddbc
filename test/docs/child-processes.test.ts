/**
 * Every program the actions start goes through src/util/child-process.ts, which ties it to the
 * action's process (on Linux, the kernel kills it when the action's process is killed): a new
 * pg_restore, psql or command started with execa or Node's spawn anywhere else would outlive a
 * killed run again. The files below start processes of their own, each for the reason given.
 */
import { expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root } from './sources.js';

const STARTING_PROCESSES_ELSEWHERE: Record<string, string> = {
  'src/util/child-process.ts': 'the one place programs are started',
  'src/util/fifo.ts': 'mkfifo, which ends at once',
  'src/postgres/stdbuf.ts': 'a probe of stdbuf that ends at once',
  'src/cli/action-process.ts': "the action's own process, which ends with the command line through its IPC channel",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('only child-process.ts starts programs with execa or node:child_process (type imports aside)', () => {
  const starting = sourceFiles(join(root, 'src'))
    .filter((file) =>
      /^import (?!type )[^;]*from '(execa|node:child_process|child_process)'/m.test(readFileSync(file, 'utf8')),
    )
    .map((file) => relative(root, file))
    .sort();
  expect(starting).toEqual(Object.keys(STARTING_PROCESSES_ELSEWHERE).sort());
});
