import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';

const INPUT = 'report-path';

/** What is at a path now: a file, a folder, or nothing (an unreadable path counts as nothing; the write will say why). */
function kindOf(path: string): 'file' | 'folder' | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return undefined;
  return stat.isDirectory() ? 'folder' : 'file';
}

/** The nearest existing ancestor of `path` when it is a file, so no folder can be made under it. */
function fileInTheWay(path: string): string | undefined {
  for (let parent = dirname(path); parent !== dirname(parent); parent = dirname(parent)) {
    const kind = kindOf(parent);
    if (kind === 'folder') return undefined;
    if (kind === 'file') return parent;
  }
  return undefined;
}

/**
 * The report-path input of every action that writes a report: a file, relative to the workspace
 * or absolute (e.g. under the runner's temp folder), checked before the run so that an hour of
 * work is not lost to a report that cannot be written at its end.
 */
export function parseReportPath(input: string, defaultPath: string, cwd: string = process.cwd()): string {
  const path = input.trim() || defaultPath;
  if ([...path].some((char) => char.charCodeAt(0) < 0x20 || char === '\u007f')) {
    throw new ConfigurationError(
      `${INPUT} contains a line break or another control character; name a file on one line, e.g. ${defaultPath}`,
    );
  }
  const endsInSeparator = /[/\\]$/.test(path);
  if (endsInSeparator || ['.', '..'].includes(basename(path)) || kindOf(resolve(cwd, path)) === 'folder') {
    throw new ConfigurationError(
      `${INPUT} '${path}' is a folder; name a file, e.g. ${endsInSeparator ? path : `${path}/`}${defaultPath}`,
    );
  }
  const file = fileInTheWay(resolve(cwd, path));
  if (file)
    throw new ConfigurationError(
      `${INPUT} '${path}' is under ${file}, which is a file, not a folder; name a file in a folder`,
    );
  return path;
}
