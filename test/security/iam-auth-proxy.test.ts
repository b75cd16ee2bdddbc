import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { rdsAuthTokens } from '../../src/aws/rds-auth-tokens.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../../src/postgres/connection.js';
import { withDatabaseAuth } from '../../src/postgres/database-auth.js';
import { runPsqlScript } from '../../src/postgres/psql-script.js';
import { IAM_PROXY_REGION, startStackIamProxy, type IamAuthProxy } from '../../harness/iam-auth-proxy.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * The stack's stand-in for RDS IAM authentication: the proxy lets psql in only with a token that
 * verifies, over TLS, and answers RDS's PAM failure otherwise. Its clock is the test's.
 */

const credentials = {
  accessKeyId: MOTO_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: MOTO_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
};
let clock = new Date();
let proxy: IamAuthProxy;

beforeAll(async () => {
  proxy = await startStackIamProxy(stackFromEnv().postgres, credentials, () => clock);
});

afterAll(async () => {
  await proxy?.stop();
});

function iamTarget(url: string, region = IAM_PROXY_REGION): DatabaseTarget {
  const tokens = () => rdsAuthTokens({ region, onToken: () => undefined });
  return withDatabaseAuth(parseDatabaseUrl(url, 'database-url'), 'iam', tokens, 'database-url', {});
}

const query = (target: DatabaseTarget, tokens?: DatabaseTarget['auth']) =>
  runPsqlScript(
    { ...target, ...(tokens ? { auth: tokens } : {}) },
    'SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    { psqlPath: 'psql', applicationName: 'iam test', timeoutSeconds: 30 },
  );

test('a valid token connects over TLS, as the user it was signed for', async () => {
  clock = new Date();
  const result = await query(iamTarget(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`));
  // The relay reaches the cluster over its Unix socket: TLS ends at the proxy, as it does at RDS.
  expect(result).toEqual({ ok: true, rows: [['postgres', 'f']] });
  expect(proxy.outcomes.at(-1)).toBe('accepted');
});

test('an expired token is refused with RDS PAM failure', async () => {
  const target = iamTarget(`postgres://postgres@127.0.0.1:${proxy.port}/postgres`);
  const signed: string[] = [];
  const tokens = {
    token: async (endpoint: Parameters<NonNullable<DatabaseTarget['auth']>['token']>[0]) => {
      clock = new Date();
      const token = await rdsAuthTokens({ region: IAM_PROXY_REGION, onToken: () => undefined }).token(endpoint);
      signed.push(token);
      clock = new Date(clock.getTime() + 15 * 60_000 + 5_000);
      return token;
    },
  };
  const result = await query(target, tokens);
  expect(result).toMatchObject({
    ok: false,
    error: expect.stringContaining('PAM authentication failed for user "postgres"'),
  });
  expect(proxy.outcomes.at(-1)).toBe('expired');
  expect(signed).toHaveLength(1);
});

test('an altered token, one for another port, user or region, and plaintext are refused', async () => {
  clock = new Date();
  const url = `postgres://postgres@127.0.0.1:${proxy.port}/postgres`;
  const altering = (change: (token: string) => string) => ({
    token: async (endpoint: { host: string; port: number; user: string }) =>
      change(await rdsAuthTokens({ region: IAM_PROXY_REGION, onToken: () => undefined }).token(endpoint)),
  });
  const flipLastSignatureChar = (token: string) =>
    token.replace(
      /(X-Amz-Signature=[0-9a-f]*)([0-9a-f])/,
      (_, head: string, last: string) => `${head}${last === '0' ? '1' : '0'}`,
    );
  const otherPort = {
    token: (endpoint: { host: string; port: number; user: string }) =>
      rdsAuthTokens({ region: IAM_PROXY_REGION, onToken: () => undefined }).token({
        ...endpoint,
        port: endpoint.port + 1,
      }),
  };
  const otherUser = {
    token: (endpoint: { host: string; port: number; user: string }) =>
      rdsAuthTokens({ region: IAM_PROXY_REGION, onToken: () => undefined }).token({ ...endpoint, user: 'dr_other' }),
  };
  const cases: [DatabaseTarget, DatabaseTarget['auth'], string][] = [
    [iamTarget(url), altering(flipLastSignatureChar), 'signature does not match'],
    [iamTarget(url), otherPort, `signed for 127.0.0.1:${proxy.port + 1}, not 127.0.0.1:${proxy.port}`],
    [iamTarget(url), otherUser, 'signed for user dr_other, not postgres'],
    [iamTarget(url, 'eu-west-1'), undefined, `credential scope is not ${IAM_PROXY_REGION}/rds-db on the token's date`],
    [iamTarget(`${url}?sslmode=disable`), undefined, 'not over TLS'],
  ];
  for (const [target, tokens, reason] of cases) {
    const result = await query(target, tokens);
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining('PAM authentication failed') });
    expect(proxy.outcomes.at(-1)).toBe(reason);
  }
});
