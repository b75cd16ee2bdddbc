import { access, stat, statfs } from 'node:fs/promises';
import { ConfigurationError } from '../errors.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import type { ServerDataLocation } from '../postgres/server-disk.js';
import type { BackupManifest } from '../storage/manifest.js';
import { formatBytes } from '../util/format.js';
import { hostIdentity } from './same-database.js';

/** The free bytes (for an unprivileged user) of the filesystem holding a folder, and which filesystem it is. */
export type DiskProbe = (path: string) => Promise<{ freeBytes: number; device: number }>;

export const statfsProbe: DiskProbe = async (path) => {
  const [fs, entry] = await Promise.all([statfs(path), stat(path)]);
  return { freeBytes: fs.bavail * fs.bsize, device: entry.dev };
};

/** There is not room for this restore test where it would write; the message says how much, and the ways out. */
export class InsufficientDiskError extends ConfigurationError {
  override name = 'InsufficientDiskError';
}

/** Room left on a filesystem for the rest of the job (logs, the report, temporary files of the tools). */
export const DISK_MARGIN_BYTES = 256 * 1024 * 1024;
/** Besides the fixed margin: estimates are estimates. */
export const DISK_MARGIN_SHARE = 0.1;
/** Where Docker keeps a service container's data on a runner: the server's own data_directory is a path inside the container. */
export const DOCKER_DATA_ROOT = '/var/lib/docker';

/** What one filesystem must hold, and what it has. */
export interface FilesystemNeed {
  /** The folders on it that this run writes into, each with what it writes. */
  folders: { path: string; what: string }[];
  needBytes: number;
  freeBytes: number;
}

export interface DiskCheck {
  archiveBytes: number;
  /** The estimate of the restored database; null when the manifest gives nothing to estimate it from. */
  restoredBytes: number | null;
  /** Where the server writes, and why this run thinks so. */
  server: string;
  filesystems: FilesystemNeed[];
}

/** Where the target server keeps its data, as seen from this machine; undefined when it is another machine. */
export interface ServerFolder {
  path: string;
  how: string;
  /** WAL the server may keep while the restore writes (its max_wal_size), on the same filesystem as its data. */
  walBytes: number;
}

/**
 * The restored database will take about what the source took when it was dumped (its
 * pg_database_size, indexes, TOAST and large objects included); a restore leaves out the source's
 * dead rows, so this is an upper estimate. Per-table sizes stand in when an older manifest lacks it.
 */
export function restoredEstimate(manifest: BackupManifest | undefined): number | null {
  if (!manifest) return null;
  if (typeof manifest.databaseSizeBytes === 'number' && manifest.databaseSizeBytes > 0)
    return manifest.databaseSizeBytes;
  const sizes = manifest.tables.map((table) => (table as { sizeBytes?: unknown }).sizeBytes);
  if (sizes.length === 0 || sizes.some((size) => typeof size !== 'number')) return null;
  return (sizes as number[]).reduce((sum, size) => sum + size, 0);
}

const GIB = 1024 ** 3;
const UNITS: Record<string, number> = { kB: 1024, MB: 1024 ** 2, GB: GIB, TB: 1024 * GIB };

/** max_wal_size as SHOW prints it (`1GB`, `512MB`); 1 GiB, the default, when it cannot be read. */
export function walBytesOf(settings: Record<string, string>): number {
  const match = /^(\d+)\s*(kB|MB|GB|TB)$/.exec(settings.max_wal_size ?? '');
  return match ? Number(match[1]) * (UNITS[match[2] as string] as number) : GIB;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Where a scratch server on this machine writes: its data directory (or the tablespace the new
 * database goes to) when the role may read it and the folder is here; else, for a server on
 * loopback whose folder this machine does not have (a service container), Docker's data root, or
 * the download folder when there is none. A server on another host writes to its own disk.
 */
export async function serverFolder(
  target: DatabaseTarget,
  location: ServerDataLocation,
  settings: Record<string, string>,
  downloadFolder: string,
  dockerRoot = DOCKER_DATA_ROOT,
): Promise<ServerFolder | { remote: string }> {
  if (hostIdentity(target.host) !== 'loopback')
    return { remote: `${target.host} is another machine: its disk is not this runner's, and is not checked` };
  const walBytes = walBytesOf(settings);
  const own = location.tablespace ?? location.dataDirectory;
  if (own && (await exists(own)))
    return { path: own, how: location.tablespace ? 'its tablespace' : 'its data directory', walBytes };
  const why = own ? `its folder ${own} is not on this machine` : 'the role may not read data_directory';
  if (await exists(dockerRoot))
    return { path: dockerRoot, how: `Docker's data root (${why}: taken for a container's)`, walBytes };
  return { path: downloadFolder, how: `assumed on the download folder's disk (${why})`, walBytes };
}

/** Each folder's needs, gathered by the filesystem it is on. */
async function byFilesystem(
  parts: { path: string; what: string; bytes: number }[],
  probe: DiskProbe,
): Promise<FilesystemNeed[]> {
  const found = new Map<number, FilesystemNeed & { parts: number }>();
  for (const part of parts) {
    const { freeBytes, device } = await probe(part.path);
    const fs = found.get(device) ?? { folders: [], needBytes: 0, freeBytes, parts: 0 };
    if (!fs.folders.some((folder) => folder.path === part.path)) fs.folders.push({ path: part.path, what: part.what });
    fs.parts += part.bytes;
    found.set(device, fs);
  }
  return [...found.values()].map(({ parts: bytes, ...fs }) => ({
    ...fs,
    needBytes: Math.ceil(bytes * (1 + DISK_MARGIN_SHARE)) + DISK_MARGIN_BYTES,
  }));
}

export interface DiskCheckInput {
  download: 'file' | 'stream';
  downloadFolder: string;
  archiveBytes: number;
  /** A parallel backup's schema object, which download: stream keeps on disk while the data parts stream. */
  schemaBytes?: number;
  restoredBytes: number | null;
  server: ServerFolder | { remote: string };
  probe: DiskProbe;
}

const DOWNLOAD_FOLDER = 'the download folder';

/** What the run writes where it downloads: the archive, or with download: stream no more than a parallel backup's schema. */
function downloadedBytes(input: DiskCheckInput): number {
  return input.download === 'file' ? input.archiveBytes : (input.schemaBytes ?? 0);
}

/** What this run will write, folder by folder, compared with the free space of each filesystem; throws when one is short. */
export async function checkDisk(input: DiskCheckInput): Promise<DiskCheck> {
  const { server } = input;
  const parts: { path: string; what: string; bytes: number }[] = [];
  if (downloadedBytes(input) > 0)
    parts.push({ path: input.downloadFolder, what: DOWNLOAD_FOLDER, bytes: downloadedBytes(input) });
  if ('path' in server) {
    parts.push({
      path: server.path,
      what: `the target server's data (${server.how})`,
      bytes: (input.restoredBytes ?? 0) + server.walBytes,
    });
  }
  const filesystems = await byFilesystem(parts, input.probe);
  const check: DiskCheck = {
    archiveBytes: input.archiveBytes,
    restoredBytes: input.restoredBytes,
    server: 'path' in server ? `${server.path}: ${server.how}` : server.remote,
    filesystems,
  };
  const short = filesystems.find((fs) => fs.freeBytes < fs.needBytes);
  if (short) throw new InsufficientDiskError(shortMessage(input, short));
  return check;
}

function shortMessage(input: DiskCheckInput, fs: FilesystemNeed): string {
  const folders = fs.folders.map((folder) => `${folder.path} (${folder.what})`).join(' and ');
  const wants: string[] = [];
  if (fs.folders.some((folder) => folder.what === DOWNLOAD_FOLDER))
    wants.push(
      input.download === 'file'
        ? `the archive ${formatBytes(input.archiveBytes)}`
        : `the parallel backup's schema ${formatBytes(downloadedBytes(input))}`,
    );
  if ('path' in input.server && fs.folders.some((folder) => folder.path === (input.server as ServerFolder).path)) {
    wants.push(
      input.restoredBytes === null
        ? 'the restored database (size unknown: the manifest does not record it)'
        : `the restored database about ${formatBytes(input.restoredBytes)} (an estimate: the source database's size when it was backed up)`,
      `the server's WAL up to max_wal_size ${formatBytes(input.server.walBytes)}`,
    );
  }
  const ways = [
    'a runner with a larger disk (or RUNNER_TEMP on a larger one)',
    ...(input.download === 'file'
      ? [
          `download: stream (no local copy of the archive${input.schemaBytes === undefined ? '' : ' beyond its schema'}: ${formatBytes(input.archiveBytes - (input.schemaBytes ?? 0))} less)`,
        ]
      : []),
    'rds-restore-test (RDS restores the recovery point on its own storage)',
  ];
  return (
    `not enough disk for this restore test: ${folders} ${fs.folders.length > 1 ? 'share a filesystem that has' : 'has'} ${formatBytes(fs.freeBytes)} free, ` +
    `and it needs about ${formatBytes(fs.needBytes)}: ${wants.join(' + ')}, plus ${DISK_MARGIN_SHARE * 100}% and ${formatBytes(DISK_MARGIN_BYTES)} to spare. ` +
    `Ways out: ${ways.join('; ')}. If the estimate is wrong for this database, disk-check: false skips this check`
  );
}

/** One line for the preflight step: what each filesystem needs and has. */
export function describeDisk(check: DiskCheck): string {
  const each = check.filesystems.map(
    (fs) =>
      `${fs.folders.map((folder) => folder.path).join(' + ')} needs about ${formatBytes(fs.needBytes)}, has ${formatBytes(fs.freeBytes)} free`,
  );
  return `disk: ${each.length ? each.join('; ') : 'nothing written on this machine'} (server: ${check.server})`;
}
