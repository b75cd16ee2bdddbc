import { stat } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { create } from '@actions/glob';

/**
 * Files matching glob patterns, read by @actions/glob as actions/upload-artifact reads its
 * `path`: one pattern a line, `*`, `?` and `[...]` within a folder, `**` for any number of
 * folders, a leading `!` excludes (the last pattern that matches a file decides). Relative
 * patterns start at `cwd` (@actions/glob only knows the process's own working directory, so
 * they are joined here; `..` is resolved here too, which it refuses). Sorted, absolute, files
 * only: a folder named outright matches nothing, and symbolic links to folders are not
 * followed, so one report is not gathered twice through two paths (nor round a loop).
 */
export async function expandGlobs(patterns: readonly string[], cwd: string): Promise<string[]> {
  const lines = patterns.map((pattern) => pattern.trim()).filter(Boolean);
  const absolute = lines.map((line) => (line.startsWith('!') ? `!${rooted(line.slice(1), cwd)}` : rooted(line, cwd)));
  const globber = await create(absolute.join('\n'), {
    followSymbolicLinks: false,
    implicitDescendants: false,
    matchDirectories: false,
  });
  const found = [...new Set(await globber.glob())];
  const files = await Promise.all(
    found.map(async (path) => ((await stat(path).catch(() => undefined))?.isFile() ? path : undefined)),
  );
  return files.filter((path): path is string => path !== undefined).sort();
}

function rooted(pattern: string, cwd: string): string {
  const trimmed = pattern.trim();
  return normalize(isAbsolute(trimmed) ? trimmed : join(globEscape(cwd), trimmed));
}

/** The folder a relative pattern starts from, as a pattern that matches only itself. */
function globEscape(path: string): string {
  return path.replace(/\\/g, '\\\\').replace(/\[/g, '[[]').replace(/\?/g, '[?]').replace(/\*/g, '[*]');
}
