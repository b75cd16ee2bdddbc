/**
 * The test lanes of harness/lanes.ts: every test file runs in exactly one lane (so `npm run
 * test:unit`, `test:integration` and `test:slow` together are `npm test`), every line there names
 * a folder or file that exists, and no unit test reaches the stack the unit lane does not start.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { LANE_NAMES, LANES, laneFiles, laneOf, testFiles, type Lane } from '../../harness/lanes.js';
import { root } from './sources.js';

const files = testFiles(root);

/** Every file `file` (relative to the root) reaches through relative imports, itself included. */
function reached(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file) || !existsSync(join(root, file))) return seen;
  seen.add(file);
  for (const match of readFileSync(join(root, file), 'utf8').matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
    reached(
      relative(root, resolve(dirname(join(root, file)), `${match[1]}.ts`))
        .split('\\')
        .join('/'),
      seen,
    );
  }
  return seen;
}

describe('the test lanes', () => {
  test('there are test files, and each lane has some', () => {
    expect(files).toContain('test/docs/test-lanes.test.ts');
    for (const lane of LANE_NAMES) expect(laneFiles(root, lane).length).toBeGreaterThan(0);
  });

  test('every test file is in exactly one lane: add a new folder or file to harness/lanes.ts', () => {
    const lanesOf = (file: string) => LANE_NAMES.filter((lane) => laneFiles(root, lane).includes(file));
    expect(files.map((file) => ({ file, lanes: lanesOf(file) })).filter(({ lanes }) => lanes.length !== 1)).toEqual([]);
  });

  test("every line of harness/lanes.ts names a folder with tests or a test file, and a file only when its lane is not its folder's", () => {
    const stale = Object.keys(LANES).filter((entry) =>
      entry.endsWith('/') ? !files.some((f) => f.startsWith(entry)) : !files.includes(entry),
    );
    expect(stale).toEqual([]);
    const folderLane = (file: string) =>
      laneOf(file, Object.fromEntries(Object.entries(LANES).filter(([entry]) => entry !== file)));
    const redundant = Object.keys(LANES).filter((entry) => !entry.endsWith('/') && folderLane(entry) === LANES[entry]);
    expect(redundant).toEqual([]);
  });

  test('no unit test reaches the stack (harness/stack.ts), which the unit lane does not start', () => {
    const needing = laneFiles(root, 'unit').filter((file) => reached(file).has('harness/stack.ts'));
    expect(needing).toEqual([]);
  });
});

describe('the lane rule finds what it is for (so its passing means something)', () => {
  const lanes: Record<string, Lane> = { 'test/a/': 'integration', 'test/a/quick.test.ts': 'unit', 'test/a/b/': 'slow' };

  test("a file's own line wins over its folder's, the nearest folder over an outer one, and a file in no listed folder has no lane", () => {
    expect(laneOf('test/a/quick.test.ts', lanes)).toBe('unit');
    expect(laneOf('test/a/other.test.ts', lanes)).toBe('integration');
    expect(laneOf('test/a/b/deep.test.ts', lanes)).toBe('slow');
    expect(laneOf('test/c/new.test.ts', lanes)).toBeUndefined();
    expect(laneOf('test/ab/x.test.ts', lanes)).toBeUndefined();
  });

  test('imports are followed through helpers to the stack', () => {
    expect(reached('test/backup/backup.test.ts').has('harness/stack.ts')).toBe(true);
    expect(reached('test/unit/storage-keys.test.ts').has('harness/stack.ts')).toBe(false);
  });
});
