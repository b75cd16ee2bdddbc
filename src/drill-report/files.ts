import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrillReport } from './drill.js';

export interface DrillFiles {
  /** <YYYY-MM-DD>-<run id>, the name both files share. */
  name: string;
  /** Repository-relative, '/'-separated: as committed. */
  markdownPath: string;
  jsonPath: string;
}

/**
 * Files are named after the drill's UTC date and the run that gathered it, so a re-run of the
 * same run replaces its own record instead of adding a second one. Outside GitHub (no run id)
 * the time of day stands in for it.
 */
export function drillFiles(report: DrillReport, historyDir: string): DrillFiles {
  const date = report.startedAt.slice(0, 10);
  const runId = (report.run.runId ?? `local-${report.startedAt.slice(11, 19).replace(/:/g, '')}`).replace(
    /[^A-Za-z0-9._-]/g,
    '-',
  );
  const name = `${date}-${runId}`;
  return { name, markdownPath: `${historyDir}/${name}.md`, jsonPath: `${historyDir}/${name}.json` };
}

export function drillJson(report: DrillReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Writes both files under `workspace`, creating history-dir when it is missing. */
export async function writeDrillFiles(
  workspace: string,
  files: DrillFiles,
  markdown: string,
  json: string,
): Promise<void> {
  await mkdir(join(workspace, files.markdownPath, '..'), { recursive: true });
  await writeFile(join(workspace, files.markdownPath), markdown);
  await writeFile(join(workspace, files.jsonPath), json);
}
