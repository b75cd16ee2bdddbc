import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeBinary, findClient, type ClientBinary, type ClientTool } from '../../src/postgres/binaries.js';

/**
 * The PostgreSQL client tools this machine has, so that tests compute what differs by version
 * (what `auto` compression means, which servers can be dumped) instead of pinning one major.
 */

/** The client the actions use when nothing forces another: the one first on PATH. */
export function pathClient(tool: ClientTool = 'pg_dump'): Promise<ClientBinary> {
  return findClient(tool);
}

/**
 * The newest major of `tool` the actions can pick for a server: PATH's and every
 * /usr/lib/postgresql/<major>/bin (where Debian, Ubuntu and so GitHub's runners install each major).
 */
export async function newestClientMajor(tool: ClientTool = 'pg_dump'): Promise<number> {
  const majors = [(await pathClient(tool)).major];
  const debianRoot = '/usr/lib/postgresql';
  const entries = existsSync(debianRoot) ? await readdir(debianRoot) : [];
  for (const entry of entries) {
    const path = join(debianRoot, entry, 'bin', tool);
    if (existsSync(path)) majors.push((await describeBinary(tool, path)).major);
  }
  return Math.max(...majors);
}

/** What the backup's `auto` compression means for a custom-format dump with pg_dump of `major`: zstd from 16 on. */
export function autoCompressionFor(major: number): string {
  return major >= 16 ? 'zstd:3' : 'gzip:1';
}
