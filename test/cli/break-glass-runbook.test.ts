/**
 * docs/break-glass.md, run as written: its ```sh blocks, taken verbatim from the file section by
 * section, in one bash as an engineer would paste them, against the test stack (moto through
 * AWS_ENDPOINT_URL, PostgreSQL), with the tool the backup workflow's step stored in the bucket.
 * A changed tool, layout or manifest that the runbook no longer matches fails here.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import type { BackupManifest } from '../../src/storage/manifest.js';
import { createDatabase, databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, testS3Client } from '../helpers/s3.js';
import { rowCounts, sampleDatabase } from '../helpers/sample-data.js';
import { createTopology, recordSets } from '../../harness/aws-topology.js';
import { runBundledCli } from '../../harness/bundled-cli.js';
import { startHealthServer, type HealthServer } from '../../harness/health-server.js';
import { stackFromEnv } from '../../harness/stack.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { count, databaseNames, productionWithBackup } from '../recover-database/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECTIONS = {
  fetch: '1. Fetch the tool and check it',
  failover: '2. Failover with the tool',
  restore: '3. Restore a database with the tool',
  recover: '4. Recover the production database with the tool',
  byHand: '5. Restore by hand, with nothing of ours',
} as const;

/** The ```sh blocks of each `## ` section of the runbook, verbatim. */
function shellBlocks(markdown: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let section = '';
  for (const part of markdown.split(/^(## .*)$/m)) {
    if (part.startsWith('## ')) section = part.slice(3).trim();
    else
      sections.set(
        section,
        [...part.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string),
      );
  }
  return sections;
}

let runbook: Map<string, string[]>;

/** The tool as the nightly workflow stores it, beside the backups under `prefix`. */
async function storeTool(bucket: string, prefix: string): Promise<void> {
  const stored = await execa('bash', [join(ROOT, 'scripts', 'store-break-glass-tool.sh')], {
    env: {
      ...MOTO_CREDENTIALS,
      DR_ACTIONS_DIR: ROOT,
      BUCKET: bucket,
      REGION: 'us-east-1',
      PREFIX: prefix,
      ENDPOINT_URL: stackFromEnv().awsEndpoint,
      AWS_PAGER: '',
    },
    reject: false,
    all: true,
  });
  expect(stored.all).toContain('stored ');
}
const blocksOf = (...names: string[]) => names.flatMap((name) => runbook.get(name) ?? []).join('\n');

/** The sections' blocks in one bash, as pasted into a shell that stops at the first failure. */
async function runSections(
  names: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ exitCode: number; output: string }> {
  const result = await execa('bash', ['-euo', 'pipefail', '-c', blocksOf(...names)], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      AWS_PAGER: '',
      ...MOTO_CREDENTIALS,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: stackFromEnv().awsEndpoint,
      ...env,
    },
    extendEnv: false,
    cwd,
    reject: false,
    all: true,
    timeout: 240_000,
  });
  return { exitCode: result.exitCode ?? 1, output: result.all ?? '' };
}

describe('docs/break-glass.md, run as written against the stack', () => {
  const source = sampleDatabase('glass_src', 2_000);
  let bucket: string;
  let dir: string;
  let manifest: BackupManifest;
  let backupKey: string;

  beforeAll(async () => {
    runbook = shellBlocks(await readFile(join(ROOT, 'docs', 'break-glass.md'), 'utf8'));
    bucket = await createBucket('glass');
    dir = await mkdtemp(join(tmpdir(), 'dr-glass-'));
    const backup = await runBundledCli('backup', {
      'database-url': source.url,
      bucket,
      prefix: 'orders/',
      'endpoint-url': stackFromEnv().awsEndpoint,
    });
    expect(backup.exitCode).toBe(0);
    backupKey = backup.outputs.key as string;
    const object = await testS3Client().send(
      new GetObjectCommand({ Bucket: bucket, Key: `${backupKey}.manifest.json` }),
    );
    manifest = JSON.parse((await object.Body?.transformToString()) ?? '') as BackupManifest;
    await storeTool(bucket, 'orders/');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const caseDir = async (name: string) => mkdtemp(join(dir, `${name}-`));

  test('every section the runbook promises has shell blocks to run', () => {
    for (const name of Object.values(SECTIONS)) expect(runbook.get(name)?.length).toBeGreaterThan(0);
  });

  test('1 and 2: fetch and check the tool, plan the failover, execute it bound to the plan: the replica is promoted and the record moved', async () => {
    const topology = await createTopology();
    const health: HealthServer = await startHealthServer(200);
    try {
      const run = await runSections(
        [SECTIONS.fetch, SECTIONS.failover],
        {
          BUCKET: bucket,
          PREFIX: 'orders/',
          REPLICA_ID: topology.replicaId,
          SECONDARY_REGION: 'us-west-2',
          HOSTED_ZONE_ID: topology.zoneId,
          RECORD_NAME: topology.recordName,
          HEALTH_URL: health.url,
        },
        await caseDir('failover'),
      );
      expect(run.output).toMatch(/dr-actions-[\d.]+\.mjs: OK/);
      expect(run.output).toContain('failover succeeded.');
      expect(run.exitCode).toBe(0);
      expect((await recordSets(topology.zoneId, topology.recordName))[0]?.ResourceRecords).toEqual([
        { Value: topology.replicaAddress },
      ]);
    } finally {
      await health.close();
    }
  });

  test('1: a tool whose bytes differ from its SHA-256 is refused before it runs', async () => {
    const tampered = await createBucket('glass-bad');
    for (const key of ['orders/tools/dr-actions-9.9.9.mjs', 'orders/tools/dr-actions-9.9.9.mjs.sha256']) {
      const body = key.endsWith('.sha256') ? `${'0'.repeat(64)}  dr-actions-9.9.9.mjs\n` : 'console.log("ran")\n';
      await testS3Client().send(new PutObjectCommand({ Bucket: tampered, Key: key, Body: body }));
    }
    const run = await runSections(
      [SECTIONS.fetch],
      { BUCKET: tampered, PREFIX: 'orders/' },
      await caseDir('tampered-tool'),
    );
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('dr-actions-9.9.9.mjs: FAILED');
    expect(run.output).not.toContain('ran');
  });

  test("1 and 3: the tool restores the newest backup into a new database and keeps it; its rows are the source's", async () => {
    const target = `glass_tool_${Date.now()}`;
    try {
      const run = await runSections(
        [SECTIONS.fetch, SECTIONS.restore],
        { BUCKET: bucket, PREFIX: 'orders/', TARGET_DATABASE_URL: stackFromEnv().postgresUrl(target) },
        await caseDir('restore'),
      );
      expect(run.output).toContain('restore-verify succeeded.');
      expect(run.exitCode).toBe(0);
      expect(await rowCounts(stackFromEnv().postgresUrl(target))).toEqual(await rowCounts(source.url));
    } finally {
      if (await databaseExists(target)) await dropDatabase(target);
    }
  });

  test("5: by hand, the newest backup is checked, restored and proved: every table's rows equal the manifest's count", async () => {
    const target = await createDatabase('glass_hand');
    try {
      const run = await runSections(
        [SECTIONS.byHand],
        { BUCKET: bucket, PREFIX: 'orders/', TARGET_DATABASE_URL: target.url },
        await caseDir('by-hand'),
      );
      expect(run.output).toContain(`restoring s3://${bucket}/${backupKey}`);
      expect(run.output).toMatch(/: OK$/m);
      expect(run.output).toContain(`${manifest.tables.length} tables, 0 differ from the manifest`);
      expect(run.exitCode).toBe(0);
      const restored = await rowCounts(target.url);
      expect(manifest.tables.length).toBeGreaterThan(1);
      for (const table of manifest.tables)
        expect({ table: `${table.schema}.${table.name}`, rows: restored[`${table.schema}.${table.name}`] }).toEqual({
          table: `${table.schema}.${table.name}`,
          rows: table.rows,
        });
    } finally {
      await dropDatabase(target.name);
    }
  });

  test('1 and 4: the tool plans the recovery, then executes it bound to the plan: production holds the backup again, the damaged database is kept', async () => {
    const production = await productionWithBackup();
    await storeTool(production.bucket, 'database/');
    const health: HealthServer = await startHealthServer(200);
    const cwd = await caseDir('recover');
    try {
      const run = await runSections(
        [SECTIONS.fetch, SECTIONS.recover],
        {
          BUCKET: production.bucket,
          PREFIX: 'database/',
          DATABASE_URL: production.url,
          DATABASE_NAME: production.name,
          HEALTH_URL: health.url,
        },
        cwd,
      );
      expect(run.output).toContain('recover-database succeeded.');
      expect(run.exitCode).toBe(0);
      const recovery = JSON.parse(await readFile(join(cwd, 'recovery.json'), 'utf8')) as Record<string, string>;
      expect(recovery.recovered).toBe('true');
      // The payments the corruption deleted are back; the users written after the backup are not.
      expect(await count(production.url, 'payments')).toBeGreaterThan(0);
      expect(await count(production.url, 'users')).toBe(production.backedUpUsers);
      expect(await count(stackFromEnv().postgresUrl(recovery['kept-as'] as string), 'payments')).toBe(0);
    } finally {
      await health.close();
      for (const name of (await databaseNames()).filter((n) => n.startsWith(production.name))) await dropDatabase(name);
    }
  });

  describe('a backup in parts (jobs 2)', () => {
    let parallel: BackupManifest;

    beforeAll(async () => {
      const backup = await runBundledCli('backup', {
        'database-url': source.url,
        bucket,
        prefix: 'parallel/',
        jobs: '2',
        'endpoint-url': stackFromEnv().awsEndpoint,
      });
      expect(backup.exitCode).toBe(0);
      const object = await testS3Client().send(
        new GetObjectCommand({ Bucket: bucket, Key: `${backup.outputs.key as string}.manifest.json` }),
      );
      parallel = JSON.parse((await object.Body?.transformToString()) ?? '') as BackupManifest;
      expect(parallel.parts).toHaveLength(2);
    });

    test("5: by hand, the schema and every part are checked and restored: every table's rows equal the manifest's count", async () => {
      const target = await createDatabase('glass_hand_parts');
      try {
        const run = await runSections(
          [SECTIONS.byHand],
          { BUCKET: bucket, PREFIX: 'parallel/', TARGET_DATABASE_URL: target.url },
          await caseDir('by-hand-parts'),
        );
        expect(run.output).toContain(`restoring s3://${bucket}/${parallel.key}`);
        for (const part of parallel.parts ?? [])
          expect(run.output).toContain(`${part.key.split('/').at(-1) as string}: OK`);
        expect(run.output).toContain(`${parallel.tables.length} tables, 0 differ from the manifest`);
        expect(run.exitCode).toBe(0);
        expect(await rowCounts(target.url)).toEqual(await rowCounts(source.url));
      } finally {
        await dropDatabase(target.name);
      }
    });

    test('5: by hand, a backup one of whose parts differs from the manifest is not restored', async () => {
      const tampered = await createBucket('glass-parts-bad');
      const s3 = testS3Client();
      const copy = async (key: string, body?: string) => {
        const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const bytes = body ?? (await stored.Body?.transformToByteArray());
        await s3.send(new PutObjectCommand({ Bucket: tampered, Key: key, Body: bytes }));
      };
      const [first, second] = parallel.parts ?? [];
      await copy(parallel.key);
      await copy(`${parallel.key}.manifest.json`);
      await copy(first?.key as string);
      await copy(second?.key as string, 'not the part');
      const target = await createDatabase('glass_hand_parts_bad');
      try {
        const run = await runSections(
          [SECTIONS.byHand],
          { BUCKET: tampered, PREFIX: 'parallel/', TARGET_DATABASE_URL: target.url },
          await caseDir('by-hand-parts-bad'),
        );
        expect(run.exitCode).not.toBe(0);
        expect(run.output).toContain(`${second?.key.split('/').at(-1) as string}: FAILED`);
        expect(
          await sql(
            target.url,
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
          ),
        ).toBe('0');
      } finally {
        await dropDatabase(target.name);
      }
    });
  });

  test('5: by hand, a backup whose bytes differ from the manifest is not restored', async () => {
    const tampered = await createBucket('glass-hand-bad');
    const s3 = testS3Client();
    const manifestText =
      (await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${backupKey}.manifest.json` }))
      ).Body?.transformToString()) ?? '';
    await s3.send(new PutObjectCommand({ Bucket: tampered, Key: backupKey, Body: 'not the backup' }));
    await s3.send(new PutObjectCommand({ Bucket: tampered, Key: `${backupKey}.manifest.json`, Body: manifestText }));
    const target = await createDatabase('glass_hand_bad');
    try {
      const run = await runSections(
        [SECTIONS.byHand],
        { BUCKET: tampered, PREFIX: 'orders/', TARGET_DATABASE_URL: target.url },
        await caseDir('by-hand-bad'),
      );
      expect(run.exitCode).not.toBe(0);
      expect(run.output).toMatch(/: FAILED$/m);
      expect(
        await sql(
          target.url,
          "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
        ),
      ).toBe('0');
    } finally {
      await dropDatabase(target.name);
    }
  });
});
