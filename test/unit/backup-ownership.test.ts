import { describe, expect, test } from '@jest/globals';
import type { S3Client } from '@aws-sdk/client-s3';
import { BackupStore, createdByUs, type StoredBackup } from '../../src/storage/backup-store.js';

const object = (key: string) => ({ key, sizeBytes: 1, lastModified: new Date('2026-03-01T02:10:00Z') });
const backup = (withManifest: boolean): StoredBackup => ({
  key: 'database/backup_20260301_020000.dump',
  format: 'custom',
  keyTime: new Date('2026-03-01T02:00:00Z'),
  object: object('database/backup_20260301_020000.dump'),
  ...(withManifest ? { manifestObject: object('database/backup_20260301_020000.dump.manifest.json') } : {}),
});

describe('whether dr-actions wrote a backup, as prune and restore-verify both decide it', () => {
  test("its metadata says so, or it has a manifest (the plan's old script wrote neither); a manifest is enough without asking S3", async () => {
    expect(createdByUs({ metadata: { 'created-by': 'dr-actions', format: 'custom' } })).toBe(true);
    expect(createdByUs({ metadata: { 'created-by': 'someone-else' } })).toBe(false);
    expect(createdByUs({ metadata: {} })).toBe(false);
    expect(createdByUs(undefined)).toBe(false);

    const asked: string[] = [];
    const client = {
      send: async () => Promise.reject(new Error(`S3 asked: ${asked.push('head')}`)),
    } as unknown as S3Client;
    const store = new BackupStore(client, 'saas-backups', 'database/');
    await expect(store.isOurs(backup(true))).resolves.toBe(true);
    expect(asked).toEqual([]);
    await expect(store.isOurs(backup(false))).rejects.toThrow('S3 asked: 1');
  });
});
