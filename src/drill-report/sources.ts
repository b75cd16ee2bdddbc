import { readFile, stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { parseReport } from '../report/parse.js';
import { expandGlobs } from '../util/glob.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { DRILL_KIND, type SourceReport } from './drill.js';

/**
 * Names reports of one kind by what differs in their paths (matrix jobs usually download
 * `reports/<artifact>/restore-verify-report.json`): common leading folders and a common
 * file name are dropped, the rest tells them apart.
 */
export function sourceLabels(sources: readonly { kind: string; file: string }[]): string[] {
  const parts = (file: string) => file.replace(/\.json$/i, '').split(/[\\/]/);
  return sources.map((source) => {
    const same = sources.filter((other) => other.kind === source.kind).map((other) => parts(other.file));
    if (same.length === 1) return source.kind;
    const mine = parts(source.file);
    const shortest = Math.min(...same.map((p) => p.length));
    let prefix = 0;
    while (prefix < shortest - 1 && same.every((p) => p[prefix] === mine[prefix])) prefix += 1;
    let suffix = 0;
    while (
      suffix < shortest - 1 - prefix &&
      same.every((p) => p[p.length - 1 - suffix] === mine[mine.length - 1 - suffix])
    )
      suffix += 1;
    const differs = mine.slice(prefix, Math.max(prefix + 1, mine.length - suffix)).join('/');
    // Artifacts are usually named after the kind (restore-verify-orders): the kind is said once.
    const short =
      differs.startsWith(`${source.kind}-`) && differs.length > source.kind.length + 1
        ? differs.slice(source.kind.length + 1)
        : differs;
    return `${source.kind} (${short})`;
  });
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * The reports the globs match, each checked against the shared contract; none matched is a user
 * mistake. Drill records (a broad glob reaching history-dir, or a re-run downloading the first
 * attempt's artifact) are left out with a warning: a drill does not gather drills.
 */
export async function loadSourceReports(
  patterns: readonly string[],
  workspace: string,
  log: Logger = silentLogger,
): Promise<SourceReport[]> {
  const files = await expandGlobs(patterns, workspace);
  if (files.length === 0) {
    const folders = [];
    for (const pattern of patterns)
      if (!pattern.startsWith('!') && (await isDirectory(resolve(workspace, pattern)))) folders.push(pattern);
    const hint = folders.length
      ? ` (${folders.join(', ')} is a folder: use ${folders[0]?.replace(/\/+$/, '')}/**/*.json)`
      : '';
    throw new ConfigurationError(
      `reports matched no files${hint}: ${patterns.join(', ')} (from ${workspace}). Check that the restore-verify and failover steps ran (if: always()) and that their report files were downloaded here`,
    );
  }
  const parsed = await Promise.all(
    files.map(async (path) => {
      const rel = relative(workspace, path);
      const file = rel.startsWith('..') || rel === '' ? path : rel.split(sep).join('/');
      return { file, report: parseReport(await readFile(path, 'utf8'), file) };
    }),
  );
  const loaded = parsed.filter(({ file, report }) => {
    if (report.kind !== DRILL_KIND) return true;
    log.warning(`${file} is the record of a drill, not a report of one; left out`);
    return false;
  });
  if (loaded.length === 0) {
    throw new ConfigurationError(
      `reports matched only drill records (${parsed.map((p) => p.file).join(', ')}), no restore-verify or failover report: check the reports glob`,
    );
  }
  const labels = sourceLabels(loaded.map((s) => ({ kind: s.report.kind, file: s.file })));
  return loaded.map((s, i) => ({ ...s, label: labels[i] as string }));
}
