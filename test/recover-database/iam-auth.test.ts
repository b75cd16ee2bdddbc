import { maskCommand } from '../helpers/workflow-commands.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { dropDatabase } from '../helpers/postgres.js';
import { startHealthServer, type HealthServer } from '../../harness/health-server.js';
import { IAM_PROXY_REGION, startStackIamProxy, type IamAuthProxy } from '../../harness/iam-auth-proxy.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { verifyRdsToken } from '../../harness/rds-token-verifier.js';
import { stackFromEnv } from '../../harness/stack.js';
import {
  count,
  databaseNames,
  executeInputs,
  productionWithBackup,
  readReport,
  recover,
  reportFile,
} from './fixtures.js';

/**
 * recover-database with database-auth iam, the bundled action against production behind the
 * stack's stand-in for RDS IAM authentication: every client and the application's commands sign
 * in with tokens that verify as RDS verifies them; none is shown.
 */

const credentials = {
  accessKeyId: MOTO_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: MOTO_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
};
let proxy: IamAuthProxy;
let health: HealthServer;
let dir: string;
let name: string | undefined;

beforeAll(async () => {
  [proxy, health, dir] = await Promise.all([
    startStackIamProxy(stackFromEnv().postgres, credentials),
    startHealthServer(200),
    mkdtemp(join(tmpdir(), 'dr-recover-iam-')),
  ]);
});

afterAll(async () => {
  await Promise.all([proxy?.stop(), health?.close()]);
  if (name)
    for (const found of (await databaseNames()).filter((n) => n.startsWith(name as string))) await dropDatabase(found);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('execute recovers production signing in with a token per client; the commands get one in PGPASSWORD alone', async () => {
  const prod = await productionWithBackup();
  name = prod.name;
  const iamUrl = `postgres://${stackFromEnv().postgres.user}@127.0.0.1:${proxy.port}/${prod.name}`;
  const commandEnv = join(dir, 'stop-command.env');
  const reportPath = reportFile();
  const run = await recover(
    { ...prod, url: iamUrl },
    executeInputs(prod, {
      'database-auth': 'iam',
      'stop-command': `sh -c 'printf "%s\\n%s" "$PGPASSWORD" "$DATABASE_URL" > ${commandEnv}'`,
      'health-url': health.url,
      'report-path': reportPath,
    }),
  );
  expect(run.stdout).not.toContain('::error::');
  expect([run.exitCode, run.stderr, run.outputs.recovered]).toEqual([0, '', 'true']);
  expect(await count(prod.url, 'users')).toBe(300);

  expect(proxy.outcomes.length).toBeGreaterThan(2);
  expect(proxy.outcomes.filter((outcome) => outcome !== 'accepted')).toEqual([]);
  const [commandToken, commandUrl] = (await readFile(commandEnv, 'utf8')).split('\n') as [string, string];
  const endpoint = `127.0.0.1:${proxy.port}`;
  const user = stackFromEnv().postgres.user;
  expect(
    verifyRdsToken(commandToken, { endpoint, user, region: IAM_PROXY_REGION, credentials, now: new Date() }),
  ).toEqual({ valid: true });
  expect(commandUrl).toBe(`${iamUrl}?sslmode=require`);

  const masks = run.stdout.split('\n').filter((line) => line.startsWith('::add-mask::127.0.0.1:'));
  // One token per process (pg_restore's parallel workers share their process's); each masked before use.
  for (const token of [...proxy.passwords, commandToken]) expect(masks).toContain(maskCommand(token));
  const shown = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  const report = await readFile(reportPath, 'utf8');
  for (const token of new Set([...proxy.passwords, commandToken])) {
    const signature = /X-Amz-Signature=([0-9a-f]+)/.exec(token)?.[1] as string;
    for (const text of [shown, run.summary, report]) expect(text).not.toContain(signature);
  }
  expect((await readReport(reportPath)).passed).toBe(true);
});
