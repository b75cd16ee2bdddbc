import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { backupKey, manifestKeyFor } from '../../src/storage/keys.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, listKeys, openMultipartUploads, testS3Client } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { manifestFor } from '../restore-verify/fixtures.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * Dumps that fail for want of rights, in the bundled action: nothing is stored, no upload is left
 * open, and retention prunes nothing.
 */

let source: { name: string; url: string };
const role = `dumper_${randomBytes(4).toString('hex')}`;

/** The source database as the dump role, who may read every table but one, and whom row-level security filters on another. */
function roleUrl(): string {
  const url = new URL(source.url);
  url.username = role;
  url.password = 'dumper-pw';
  return url.toString();
}

beforeAll(async () => {
  source = await createDatabase('faildump');
  await loadSampleData(source.url, 200);
  await sql(
    source.url,
    `CREATE ROLE ${role} LOGIN PASSWORD 'dumper-pw'; GRANT SELECT ON ALL TABLES IN SCHEMA public, "Billing Archive" TO ${role}; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}; GRANT USAGE ON SCHEMA "Billing Archive" TO ${role};`,
  );
}, 120_000);

afterAll(async () => {
  await dropDatabase(source.name);
  await sql(stackFromEnv().postgresUrl('postgres'), `DROP ROLE IF EXISTS ${role}`);
});

const backup = (inputs: Record<string, string>, endpoint = stackFromEnv().awsEndpoint) =>
  runBundledAction(
    'backup',
    { 'endpoint-url': endpoint, region: 'us-east-1', ...inputs },
    { env: { GITHUB_REPOSITORY: 'acme/saas', GITHUB_RUN_ID: '9' } },
  );

test('a dump role lacking SELECT on one table: the step fails naming it, stores nothing, and prunes nothing', async () => {
  await sql(source.url, `REVOKE SELECT ON payments FROM ${role}`);
  const bucket = await createBucket('faildump');
  // Two old complete backups that retention (daily 1 d, min-keep 1) would delete after a good backup.
  const client = testS3Client();
  const old = [new Date('2024-03-01T02:00:00Z'), new Date('2024-03-02T02:00:00Z')].map((at) =>
    backupKey('database/', at, 'custom'),
  );
  for (const [index, key] of old.entries()) {
    const manifest = manifestFor(key, { finishedAt: new Date(Date.UTC(2024, 2, 1 + index, 2, 1)) });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: manifestKeyFor(key), Body: JSON.stringify({ ...manifest, bucket }) }),
    );
  }
  try {
    const run = await backup({ 'database-url': roleUrl(), bucket, retention: 'daily=1', 'min-keep': '1' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/::error::.*permission denied for table payments/);
    expect(run.outputs).toEqual({});
    expect(await listKeys(bucket)).toEqual([...old.flatMap((key) => [key, manifestKeyFor(key)])].sort());
    expect(await openMultipartUploads(bucket)).toEqual([]);
  } finally {
    await sql(source.url, `GRANT SELECT ON payments TO ${role}`);
  }
});

/** An HTTP proxy in front of moto that records which S3 requests succeeded: the test knows what reached S3, without timing. */
async function recordingProxy(target: string): Promise<{ url: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const { expect: _continue, ...headers } = req.headers; // this server already answered 100-continue
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        seen.push(`${answer.statusCode} ${req.method} ${req.url}`);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

test('a dump that fails mid-stream on row-level security, after parts were uploaded, leaves 0 objects and 0 open uploads', async () => {
  // ~48 MiB of dump before the table that fails: pg_dump writes table data in name order.
  await sql(
    source.url,
    `CREATE TABLE aaa_bulk (id int PRIMARY KEY, body bytea);
     INSERT INTO aaa_bulk SELECT g, (SELECT decode(string_agg(md5(random()::text || g || i), ''), 'hex') FROM generate_series(1, 1024) i) FROM generate_series(1, 1500) g;
     CREATE TABLE zzz_private (id int, owner text); INSERT INTO zzz_private VALUES (1, 'a'), (2, 'b');
     ALTER TABLE zzz_private ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON zzz_private USING (owner = current_user);
     GRANT SELECT ON aaa_bulk, zzz_private TO ${role};`,
  );
  const bucket = await createBucket('rls');
  const proxy = await recordingProxy(stackFromEnv().awsEndpoint);
  try {
    const run = await backup({ 'database-url': roleUrl(), bucket, compression: 'none' }, proxy.url);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /::error::backup failed, nothing was stored: pg_dump exited with code 1: .*query would be affected by row-level security policy for table "zzz_private"/,
    );
    const partsUploaded = proxy.seen.filter((line) => /^200 PUT .*partNumber=\d+/.test(line));
    expect(partsUploaded.length).toBeGreaterThanOrEqual(2);
    expect(proxy.seen.some((line) => /^20\d DELETE .*uploadId=/.test(line))).toBe(true);
    expect(await listKeys(bucket)).toEqual([]);
    expect(await openMultipartUploads(bucket)).toEqual([]);
  } finally {
    proxy.server.close();
    await sql(source.url, 'DROP TABLE aaa_bulk, zzz_private');
  }
}, 300_000);
