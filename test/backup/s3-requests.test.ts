import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backupWithInputs } from '../helpers/backup-run.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { stackFromEnv } from '../../harness/stack.js';

/** A proxy in front of moto that records each S3 request as "METHOD key?subresources" (the backup's time in a key as T). */
async function recordingProxy(): Promise<{ endpoint: string; requests: string[]; close: () => Promise<void> }> {
  const target = new URL(stackFromEnv().awsEndpoint);
  const requests: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    const subresources = [...url.searchParams.keys()]
      .filter((name) => !['x-id', 'partNumber', 'uploadId'].includes(name))
      .sort()
      .join('&');
    const key = url.pathname
      .split('/')
      .slice(2)
      .join('/')
      .replace(/\d{8}_\d{6}/, 'T');
    requests.push(`${incoming.method} ${key}${subresources ? `?${subresources}` : ''}`);
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('a small backup with retention makes 8 S3 requests: the key checked free, the lock looked up, one PUT, the publishing, one listing; its own manifest is not read back', async () => {
  const db = await createDatabase('requests');
  await sql(db.url, 'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);');
  const bucket = await createBucket();
  const proxy = await recordingProxy();
  try {
    await backupWithInputs({ 'database-url': db.url, bucket, 'endpoint-url': proxy.endpoint });
    expect(proxy.requests).toEqual([
      'GET ?list-type&max-keys&prefix', // the key is free
      'GET ?object-lock', // lock-mode auto: does the bucket lock?
      'PUT database/backup_T.dump', // the dump, one part
      'HEAD database/backup_T.dump', // S3 holds what was hashed
      'PUT database/backup_T.dump.globals.sql',
      'PUT database/backup_T.dump?tagging',
      'PUT database/backup_T.dump.manifest.json',
      'GET ?delimiter&list-type&prefix', // retention's listing
    ]);
  } finally {
    await proxy.close();
    await dropDatabase(db.name);
  }
});
