import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURES } from './helpers.js';

/**
 * Replaces the workspace's reports with `count` restore-verify reports (one per database of a
 * matrix), each with 30 detailed steps: a report longer than a pull request body may be.
 */
export async function writeManyReports(workspace: string, count: number): Promise<void> {
  const base = JSON.parse(await readFile(join(FIXTURES, 'passing', 'restore-verify-report.json'), 'utf8')) as {
    steps: { name: string; detail?: string }[];
  };
  const template = base.steps[4] as { name: string; detail?: string };
  for (let i = 0; i < count; i += 1) {
    const database = `tenant_${String(i).padStart(3, '0')}`;
    const steps = Array.from({ length: 30 }, (_, n) => ({
      ...template,
      name: `restore part ${n}`,
      detail: `pg_restore --jobs 4 of ${database}, section ${n} of 30: tables, indexes and constraints`,
    }));
    const dir = join(workspace, 'reports', 'big', database);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'restore-verify-report.json'), JSON.stringify({ ...base, steps }));
  }
}
