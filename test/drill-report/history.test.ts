import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPastDrills } from '../../src/drill-report/history.js';
import { silentLogger } from '../../src/util/logger.js';
import { FIXTURES, recordingLogger } from './helpers.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-history-'));
  await cp(join(FIXTURES, 'history'), dir, { recursive: true });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('earlier drills in history-dir', () => {
  test('read oldest first; a damaged file and a report that is not a drill record are skipped with a warning', async () => {
    await writeFile(join(dir, '2024-01-01-1.json'), '{ not json');
    await cp(join(FIXTURES, 'passing', 'restore-verify-report.json'), join(dir, '2024-04-01-2.json'));
    await writeFile(join(dir, 'notes.md'), '# notes');
    const log = recordingLogger();
    const drills = await loadPastDrills(dir, log);
    expect(drills.map((d) => d.name)).toEqual([
      '2025-04-01-14100000001',
      '2025-07-01-17900000002',
      '2025-10-01-19800000003',
    ]);
    expect(drills.map((d) => d.report.passed)).toEqual([true, false, true]);
    const warnings = log.lines.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/2024-01-01-1\.json is not JSON .*left out of the trend$/);
    expect(warnings[1]).toMatch(
      /2024-04-01-2\.json is a 'restore-verify' report, not a drill record; left out of the trend$/,
    );
  });

  test("this run's own record (a re-run) is left out; a folder that does not exist yet is an empty history", async () => {
    expect((await loadPastDrills(dir, silentLogger, '2025-10-01-19800000003')).map((d) => d.name)).toEqual([
      '2025-04-01-14100000001',
      '2025-07-01-17900000002',
    ]);
    expect(await loadPastDrills(join(dir, 'missing'), silentLogger)).toEqual([]);
  });
});
