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
 * The newest `tool` the actions can pick for a server, which their refusals name: PATH's or one in
 * /usr/lib/postgresql/<major>/bin (where Debian, Ubuntu and so GitHub's runners install each major).
 */
export async function newestClient(tool: ClientTool = 'pg_dump'): Promise<ClientBinary> {
  return (await installedClients(tool)).reduce((newest, client) => (client.major > newest.major ? client : newest));
}

/** The documented choice for a server of `serverMajor`: PATH's when new enough, else the oldest installed major that is. */
export async function expectedClientFor(tool: ClientTool, serverMajor: number): Promise<ClientBinary | undefined> {
  const [onPath, ...others] = await installedClients(tool);
  if (onPath && onPath.major >= serverMajor) return onPath;
  return others.filter((c) => c.major >= serverMajor).sort((a, b) => a.major - b.major)[0];
}

async function installedClients(tool: ClientTool): Promise<ClientBinary[]> {
  const clients = [await pathClient(tool)];
  const debianRoot = '/usr/lib/postgresql';
  const entries = existsSync(debianRoot) ? await readdir(debianRoot) : [];
  for (const entry of entries) {
    const path = join(debianRoot, entry, 'bin', tool);
    if (existsSync(path)) clients.push(await describeBinary(tool, path));
  }
  return clients;
}

export async function newestClientMajor(tool: ClientTool = 'pg_dump'): Promise<number> {
  return (await newestClient(tool)).major;
}

/** What the backup's `auto` compression means for a custom-format dump with pg_dump of `major`: zstd from 16 on. */
export function autoCompressionFor(major: number): string {
  return major >= 16 ? 'zstd:3' : 'gzip:1';
}
