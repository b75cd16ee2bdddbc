import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DatabaseTarget } from '../postgres/connection.js';

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

/**
 * What a host means for "is this the same server": every spelling of this machine (localhost,
 * 127.x.x.x, ::1, a Unix socket folder) is one host; names compare case-insensitively.
 */
export function hostIdentity(host: string): string {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (h === '' || h.startsWith('/') || LOOPBACK_NAMES.has(h) || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h))
    return 'loopback';
  if (h.startsWith('::ffff:') && isIP(h.slice(7)) === 4) return hostIdentity(h.slice(7));
  return h;
}

/** The same database by how the URLs spell it: same host (see hostIdentity), port and database name. */
export function sameDatabaseByName(a: DatabaseTarget, b: DatabaseTarget): boolean {
  return a.port === b.port && a.database === b.database && hostIdentity(a.host) === hostIdentity(b.host);
}

async function addresses(host: string): Promise<Set<string>> {
  const identity = hostIdentity(host);
  if (identity === 'loopback' || isIP(identity)) return new Set([identity]);
  try {
    const found = await lookup(identity, { all: true });
    return new Set(found.map((entry) => hostIdentity(entry.address)));
  } catch {
    return new Set([identity]);
  }
}

/**
 * The same database once names are resolved: a DNS name and its address, or two names of one
 * server, are the same host. A name that does not resolve is compared as written.
 */
export async function sameDatabaseResolved(a: DatabaseTarget, b: DatabaseTarget): Promise<boolean> {
  if (a.port !== b.port || a.database !== b.database) return false;
  if (hostIdentity(a.host) === hostIdentity(b.host)) return true;
  const [left, right] = await Promise.all([addresses(a.host), addresses(b.host)]);
  return [...left].some((address) => right.has(address));
}
