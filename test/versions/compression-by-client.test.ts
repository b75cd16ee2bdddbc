import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { ConfigurationError } from '../../src/errors.js';
import { backupWithInputs } from '../helpers/backup-run.js';
import { pathClient } from '../helpers/clients.js';
import { createDatabase, dropDatabase } from '../helpers/postgres.js';
import { createBucket, listKeys, testS3Client } from '../helpers/s3.js';
import { contentDigest, loadSampleData } from '../helpers/sample-data.js';

/**
 * pg_dump 16 brought --compress=METHOD:LEVEL (zstd, lz4); before it, only a gzip level. Which of
 * these tests runs depends on the pg_dump found: zstd and lz4 round trips where it is 16+ (CI's
 * matrix), the refusal before any upload where it is older (this machine's 15).
 */
const pgDump = await pathClient('pg_dump');
const methodsAvailable = pgDump.major >= 16;

let source: { name: string; url: string };
let dir: string;

beforeAll(async () => {
  source = await createDatabase('compress');
  await loadSampleData(source.url, 1_000);
  dir = await mkdtemp(join(tmpdir(), 'dr-compress-'));
});

afterAll(async () => {
  await dropDatabase(source.name);
  await rm(dir, { recursive: true, force: true });
});

(methodsAvailable ? test.each(['zstd:3', 'lz4']) : test.skip.each(['zstd:3', 'lz4']))(
  `pg_dump ${pgDump.major}: %s backs up and pg_restore gives back the same data`,
  async (compression) => {
    const bucket = await createBucket('compress');
    const result = await backupWithInputs({ 'database-url': source.url, bucket, compression });
    expect(result.manifest.compression).toBe(compression);
    const object = await testS3Client().send(new GetObjectCommand({ Bucket: bucket, Key: result.key }));
    const file = join(dir, `${compression.replace(':', '_')}.dump`);
    await writeFile(
      file,
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    const { stdout: toc } = await execa('pg_restore', ['--list', file]);
    expect(toc).toMatch(new RegExp(`Compression: ${compression.split(':')[0]}`, 'i'));
    const restored = await createDatabase('restored');
    try {
      await execa('pg_restore', ['--no-owner', '--exit-on-error', '-d', restored.url, file]);
      expect(await contentDigest(restored.url)).toEqual(await contentDigest(source.url));
    } finally {
      await dropDatabase(restored.name);
    }
  },
);

(methodsAvailable ? test.skip : test)(
  `pg_dump ${pgDump.major}: zstd is refused with both versions and the fix, before anything is uploaded`,
  async () => {
    const bucket = await createBucket('compress');
    const error = await backupWithInputs({ 'database-url': source.url, bucket, compression: 'zstd:3' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      `compression zstd needs pg_dump 16 or newer, and this pg_dump is ${pgDump.version}: use auto or gzip:N, or install a PostgreSQL 16+ client`,
    );
    expect(await listKeys(bucket)).toEqual([]);
  },
);
