import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { parseReport } from '../report/parse.js';
import type { Logger } from '../util/logger.js';
import { DRILL_KIND, type DrillDetails, type DrillReport } from './drill.js';

/** A drill recorded earlier in history-dir. */
export interface PastDrill {
  /** The file's name without .json: <YYYY-MM-DD>-<run id>. */
  name: string;
  report: DrillReport;
}

function isDrillDetails(details: unknown): details is DrillDetails {
  return typeof details === 'object' && details !== null && Array.isArray((details as DrillDetails).sources);
}

/**
 * The drill records in `dir` (the .json beside each .md), oldest first. A file that is not a
 * drill record is skipped with a warning: one damaged file must not hide the trend. `exclude`
 * names this run's own record, which a re-run finds already written.
 */
export async function loadPastDrills(dir: string, log: Logger, exclude?: string): Promise<PastDrill[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const drills: PastDrill[] = [];
  for (const file of names) {
    const name = file.slice(0, -'.json'.length);
    if (name === exclude) continue;
    try {
      const report = parseReport(await readFile(join(dir, file), 'utf8'), join(dir, file));
      if (report.kind !== DRILL_KIND || !isDrillDetails(report.details)) {
        log.warning(`${join(dir, file)} is a '${report.kind}' report, not a drill record; left out of the trend`);
        continue;
      }
      drills.push({ name, report: report as DrillReport });
    } catch (error) {
      log.warning(`${errorMessage(error)}; left out of the trend`);
    }
  }
  return drills.sort(
    (a, b) => Date.parse(a.report.startedAt) - Date.parse(b.report.startedAt) || a.name.localeCompare(b.name),
  );
}
