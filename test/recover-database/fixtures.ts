import { createServer, request, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RecoverDatabaseReport } from '../../src/recover-database/recover-report.js';
import { backupWithInputs } from '../helpers/backup-run.js';
import { createDatabase, sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { runBundledAction, type BundledActionRun } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';

/** Rows written to production after its backup: what a recovery from that backup loses. */
export const LOST_USERS = 7;

/** A production database with data, its backup, and writes made after the backup (then "corrupted" by a bad migration). */
export interface Production {
  name: string;
  url: string;
  bucket: string;
  key: string;
  /** users rows in the backup. */
  backedUpUsers: number;
}

/** `backupInputs` add to or override the backup's inputs (jobs: 2 makes a parallel backup). */
export async function productionWithBackup(backupInputs: Record<string, string> = {}): Promise<Production> {
  const { name, url } = await createDatabase('prod');
  await loadSampleData(url, 300);
  const bucket = await createBucket('recover');
  const backup = await backupWithInputs({ 'database-url': url, bucket, retention: 'off', ...backupInputs });
  await sql(
    url,
    `INSERT INTO users (org_id, email, created_at) SELECT 1, 'late' || g || '@example.com', now() FROM generate_series(1, ${LOST_USERS}) g`,
  );
  // The corruption: a bad migration deletes the payments.
  await sql(url, 'DELETE FROM payments');
  return { name, url, bucket, key: backup.key, backedUpUsers: 300 };
}

export const count = async (url: string, table: string) => Number(await sql(url, `SELECT count(*) FROM ${table}`));

export async function databaseOid(name: string): Promise<string | undefined> {
  const oid = await sql(
    stackFromEnv().postgresUrl('postgres'),
    `SELECT oid FROM pg_database WHERE datname = '${name}'`,
  );
  return oid || undefined;
}

/** Every database on the stack's server, by name. */
export async function databaseNames(): Promise<string[]> {
  return (await sql(stackFromEnv().postgresUrl('postgres'), 'SELECT datname FROM pg_database ORDER BY 1')).split('\n');
}

/** The production database and every database named after it (restored, damaged): other tests' databases on the shared server aside. */
export async function databasesOf(production: Production): Promise<string[]> {
  return (await databaseNames()).filter((name) => name.startsWith(production.name));
}

export function reportFile(): string {
  return join(tmpdir(), `recover-database-${randomBytes(5).toString('hex')}.json`);
}

export async function readReport(path: string): Promise<RecoverDatabaseReport> {
  return JSON.parse(await readFile(path, 'utf8')) as RecoverDatabaseReport;
}

/** The production database's inputs; `inputs` add or override. */
export function productionInputs(production: Production, inputs: Record<string, string>): Record<string, string> {
  return {
    bucket: production.bucket,
    'endpoint-url': stackFromEnv().awsEndpoint,
    region: 'us-east-1',
    'database-url': production.url,
    ...inputs,
  };
}

/** The bundled action with the production database's inputs; `inputs` add or override. */
export function recover(
  production: Production,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<BundledActionRun> {
  return runBundledAction('recover-database', productionInputs(production, inputs), { env });
}

/** Execute bound to the backup, as a workflow passes the plan's outputs. */
export function executeInputs(production: Production, inputs: Record<string, string> = {}): Record<string, string> {
  return { mode: 'execute', confirm: production.name, 'expected-recovery-point': production.key, ...inputs };
}

/**
 * An HTTP proxy in front of moto that records each request's method, path and, for the query
 * protocol (RDS), its Action: what an action asked of AWS.
 */
export interface RecordingProxy {
  url: string;
  requests: { method: string; path: string; action?: string }[];
  close(): Promise<void>;
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  const target = new URL(stackFromEnv().awsEndpoint);
  const requests: RecordingProxy['requests'] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? undefined;
      requests.push({ method: incoming.method ?? '', path: incoming.url ?? '', ...(action ? { action } : {}) });
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The RDS actions (Action= of the query protocol) the proxy saw, in order. */
export const actionsSeen = (proxy: RecordingProxy): string[] =>
  proxy.requests.flatMap((r) => (r.action ? [r.action] : []));
