import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Files matching glob patterns, the way actions/upload-artifact's `path` reads them: one
 * pattern a line, `*` and `?` within a path segment, `**` for any number of folders, a
 * leading `!` excludes. Relative patterns start at `cwd`. Sorted, absolute, files only;
 * symbolic links to folders are not followed (no loops).
 */
export async function expandGlobs(patterns: readonly string[], cwd: string): Promise<string[]> {
  const includes = patterns.filter((p) => !p.startsWith('!'));
  const excludes = patterns.filter((p) => p.startsWith('!')).map((p) => globRegExp(absolute(p.slice(1), cwd)));
  const found = new Set<string>();
  for (const pattern of includes) {
    const path = absolute(pattern, cwd);
    const segments = path.split('/').filter(Boolean);
    const literal = segments.findIndex(hasMagic);
    if (literal === -1) {
      if (await isFile(path)) found.add(path);
      continue;
    }
    await walk('/' + segments.slice(0, literal).join('/'), segments.slice(literal), found);
  }
  return [...found].filter((file) => !excludes.some((re) => re.test(file))).sort();
}

function absolute(pattern: string, cwd: string): string {
  const trimmed = pattern.trim();
  return isAbsolute(trimmed) ? resolve(trimmed) : resolve(cwd, trimmed);
}

function hasMagic(segment: string): boolean {
  return /[*?]/.test(segment);
}

function segmentRegExp(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

function globRegExp(path: string): RegExp {
  // `**` stands for any number of folders, none included.
  const body = path
    .split('/')
    .slice(1)
    .map((segment) => (segment === '**' ? '(?:/.*)?' : `/${segmentRegExp(segment).source.slice(1, -1)}`))
    .join('');
  return new RegExp(`^${body}$`);
}

async function isFile(path: string): Promise<boolean> {
  const parent = path.slice(0, path.lastIndexOf('/')) || '/';
  const name = path.slice(path.lastIndexOf('/') + 1);
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  return entries.some((entry) => entry.name === name && entry.isFile());
}

async function walk(dir: string, segments: readonly string[], found: Set<string>): Promise<void> {
  const [segment, ...rest] = segments;
  if (segment === undefined) return;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  if (segment === '**') {
    // `**` matches no folder at all, or descends one folder and stays in force; last, it matches every file below.
    if (rest.length) await walk(dir, rest, found);
    for (const entry of entries) {
      if (entry.isDirectory()) await walk(join(dir, entry.name), segments, found);
      else if (rest.length === 0 && entry.isFile()) found.add(join(dir, entry.name));
    }
    return;
  }
  const matcher = hasMagic(segment) ? segmentRegExp(segment) : undefined;
  for (const entry of entries) {
    if (matcher ? !matcher.test(entry.name) : entry.name !== segment) continue;
    const path = join(dir, entry.name);
    if (rest.length === 0) {
      if (entry.isFile()) found.add(path);
    } else if (entry.isDirectory()) {
      await walk(path, rest, found);
    }
  }
}
