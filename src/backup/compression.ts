import { ConfigurationError } from '../errors.js';
import type { BackupFormat } from '../storage/keys.js';

export type CompressionMethod = 'gzip' | 'zstd' | 'lz4' | 'none';

export type CompressionSpec = { method: 'auto' } | { method: CompressionMethod; level?: number };

const LEVELS: Record<Exclude<CompressionMethod, 'none'>, [number, number]> = {
  gzip: [1, 9],
  zstd: [1, 22],
  lz4: [1, 12],
};
const FORMS = 'auto, gzip:N (1-9), zstd:N (1-22), lz4, lz4:N (1-12) or none';

/** The input's syntax only; what pg_dump supports is checked once its version is known. */
export function parseCompression(input: string, format: BackupFormat): CompressionSpec {
  const text = input.trim().toLowerCase() || 'auto';
  if (text === 'auto') return { method: 'auto' };
  if (text === 'none') {
    if (format === 'plain')
      throw new ConfigurationError(
        "compression 'none' is not available with format 'plain': plain backups are gzip files (.sql.gz); use auto or gzip:N",
      );
    return { method: 'none' };
  }
  const match = /^(gzip|zstd|lz4)(?::(\d+))?$/.exec(text);
  if (!match) throw new ConfigurationError(`compression '${input}' is not one of ${FORMS}`);
  const method = match[1] as keyof typeof LEVELS;
  if (format === 'plain' && method !== 'gzip') {
    throw new ConfigurationError(
      `compression '${input}' is not available with format 'plain': plain backups are gzip files (.sql.gz); use auto or gzip:N`,
    );
  }
  if (match[2] === undefined) {
    if (method !== 'lz4')
      throw new ConfigurationError(`compression '${input}' needs a level, e.g. ${method}:${method === 'gzip' ? 1 : 3}`);
    return { method };
  }
  const level = Number(match[2]);
  const [min, max] = LEVELS[method];
  if (level < min || level > max)
    throw new ConfigurationError(`compression level ${level} is out of range for ${method}: use ${min} to ${max}`);
  return { method, level };
}

export interface ResolvedCompression {
  method: CompressionMethod;
  level?: number;
  /** As recorded in the manifest: gzip:1, zstd:3, lz4, none. */
  label: string;
  /** pg_dump's own compression arguments (custom format); empty for plain, which is gzipped here. */
  pgDumpArgs: string[];
}

/**
 * `auto` is zstd:3 where pg_dump has it (16+), else gzip:1: pg_dump's default gzip:6 runs at a
 * third of the speed for files only about 10% smaller. Plain backups are gzip level 1 by default.
 */
export function resolveCompression(
  spec: CompressionSpec,
  format: BackupFormat,
  pgDumpMajor: number,
  pgDumpVersion: string,
): ResolvedCompression {
  const chosen: { method: CompressionMethod; level?: number } =
    spec.method !== 'auto'
      ? spec
      : format === 'custom' && pgDumpMajor >= 16
        ? { method: 'zstd', level: 3 }
        : { method: 'gzip', level: 1 };
  const label = chosen.level === undefined ? chosen.method : `${chosen.method}:${chosen.level}`;
  if (format === 'plain') return { ...chosen, label, pgDumpArgs: [] };
  if (pgDumpMajor >= 16) return { ...chosen, label, pgDumpArgs: [`--compress=${label}`] };
  if (chosen.method === 'zstd' || chosen.method === 'lz4') {
    throw new ConfigurationError(
      `compression ${chosen.method} needs pg_dump 16 or newer, and this pg_dump is ${pgDumpVersion}: use auto or gzip:N, or install a PostgreSQL 16+ client`,
    );
  }
  return { ...chosen, label, pgDumpArgs: [`--compress=${chosen.method === 'none' ? 0 : chosen.level}`] };
}
