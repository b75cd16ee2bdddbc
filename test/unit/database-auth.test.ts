import { describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { databaseAuthFor, rdsAuthTokens, tokenRegion } from '../../src/aws/rds-auth-tokens.js';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { parseFailoverInputs } from '../../src/failover/inputs.js';
import { parseRdsRestoreInputs } from '../../src/rds-restore/inputs.js';
import { parseRecoverDatabaseInputs } from '../../src/recover-database/inputs.js';
import { parseRestoreVerifyInputs } from '../../src/restore/inputs.js';
import { ConfigurationError } from '../../src/errors.js';
import { clientEnv, parseDatabaseUrl } from '../../src/postgres/connection.js';
import { parseDatabaseAuth, withDatabaseAuth } from '../../src/postgres/database-auth.js';
import { verifyRdsToken, type TokenExpectation } from '../../harness/rds-token-verifier.js';

const credentials = { accessKeyId: 'AKIAEXAMPLEIAMAUTH', secretAccessKey: 'iam-auth-secret-key' };
const awsEnv = { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
const noTokens = () => ({ token: async () => 'unused' });

describe('database-auth', () => {
  test('defaults to password, takes iam, and refuses anything else naming both', () => {
    expect(parseDatabaseAuth('')).toBe('password');
    expect(parseDatabaseAuth(' iam ')).toBe('iam');
    expect(() => parseDatabaseAuth('IAM')).toThrow(/database-auth must be password .* or iam/);
  });

  test('password leaves the target as it is', () => {
    const target = parseDatabaseUrl('postgres://u:pw@db:5432/app', 'database-url');
    expect(withDatabaseAuth(target, 'password', noTokens, 'database-url')).toBe(target);
  });

  test('iam with a password in the URL is one ConfigurationError saying what to change', () => {
    const target = parseDatabaseUrl('postgres://u:pw@db:5432/app', 'database-url');
    const attempt = () => withDatabaseAuth(target, 'iam', noTokens, 'database-url', {});
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/database-url holds a password, but database-auth is iam: remove the password/);
    expect(attempt).not.toThrow(/pw/);
  });

  test('iam without a user in the URL is refused', () => {
    const target = parseDatabaseUrl('postgres://db:5432/app', 'target-database-url');
    expect(() => withDatabaseAuth(target, 'iam', noTokens, 'target-database-url', {})).toThrow(
      /target-database-url names no user, which database-auth: iam needs/,
    );
  });

  test('iam requires TLS unless the URL or PGSSLMODE says how; a root certificate makes it verify-full', () => {
    const iam = (url: string, env: NodeJS.ProcessEnv = {}) =>
      withDatabaseAuth(parseDatabaseUrl(url, 'database-url'), 'iam', noTokens, 'database-url', env).url;
    expect(iam('postgres://u@db:5432/app')).toBe('postgres://u@db:5432/app?sslmode=require');
    expect(iam('postgres://u@db:5432/app?sslrootcert=/etc/rds.pem')).toBe(
      'postgres://u@db:5432/app?sslrootcert=%2Fetc%2Frds.pem&sslmode=verify-full',
    );
    expect(iam('postgres://u@db:5432/app?sslmode=verify-ca')).toBe('postgres://u@db:5432/app?sslmode=verify-ca');
    expect(iam('postgres://u@db:5432/app', { PGSSLMODE: 'verify-full' })).toBe('postgres://u@db:5432/app');
  });

  test('every client gets a fresh token as PGPASSWORD, masked before use, and never an inherited PGPASSWORD', async () => {
    const masked: string[] = [];
    const tokens = rdsAuthTokens({ region: 'eu-west-1', onToken: (token) => masked.push(token) });
    const target = withDatabaseAuth(
      parseDatabaseUrl('postgres://dr_backup@db.example:5432/app', 'database-url'),
      'iam',
      () => tokens,
      'database-url',
      {},
    );
    const saved = { ...process.env };
    Object.assign(process.env, awsEnv);
    try {
      const first = await clientEnv(target, {}, { PGPASSWORD: 'stale', PATH: '/bin' });
      const second = await clientEnv(target, {}, { PATH: '/bin' });
      expect(first.PGPASSWORD).toMatch(/^db\.example:5432\/\?Action=connect&DBUser=dr_backup&X-Amz-/);
      expect(masked).toEqual([first.PGPASSWORD, second.PGPASSWORD]);
    } finally {
      process.env = saved;
    }
  });
});

describe('an RDS IAM token verifies as RDS verifies it', () => {
  const signedAt = new Date();
  const expect_ = (overrides: Partial<TokenExpectation> = {}): TokenExpectation => ({
    endpoint: 'db.example:5432',
    user: 'dr_backup',
    region: 'eu-west-1',
    credentials,
    now: signedAt,
    ...overrides,
  });
  let token: string;

  const mint = async (): Promise<string> => {
    const saved = { ...process.env };
    Object.assign(process.env, awsEnv);
    try {
      return await rdsAuthTokens({ region: 'eu-west-1', onToken: () => undefined }).token({
        host: 'db.example',
        port: 5432,
        user: 'dr_backup',
      });
    } finally {
      process.env = saved;
    }
  };

  test('a token from the SDK signer, and one from the aws CLI (the reference client), are valid', async () => {
    token = await mint();
    expect(verifyRdsToken(token, expect_())).toEqual({ valid: true });
    const { stdout } = await execa(
      'aws',
      ['rds', 'generate-db-auth-token', '--region', 'eu-west-1', '--hostname', 'db.example', '--port', '5432'].concat([
        '--username',
        'dr_backup',
      ]),
      { env: { ...awsEnv, AWS_CONFIG_FILE: '/dev/null', PATH: process.env.PATH } },
    );
    expect(verifyRdsToken(stdout.trim(), expect_())).toEqual({ valid: true });
  });

  test('it expires 15 minutes after it was signed', async () => {
    token ??= await mint();
    const fifteen = new Date(signedAt.getTime() + 15 * 60_000 - 1000);
    const past = new Date(signedAt.getTime() + 15 * 60_000 + 1000);
    expect(verifyRdsToken(token, expect_({ now: fifteen }))).toEqual({ valid: true });
    expect(verifyRdsToken(token, expect_({ now: past }))).toEqual({ valid: false, reason: 'expired' });
  });

  test('an altered token, or one for another user, endpoint, region or key, is refused', async () => {
    token ??= await mint();
    const signature = /X-Amz-Signature=([0-9a-f]+)/.exec(token)?.[1] as string;
    const altered = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    expect(verifyRdsToken(token.replace(signature, altered), expect_())).toMatchObject({
      valid: false,
      reason: 'signature does not match',
    });
    expect(
      verifyRdsToken(token.replace('DBUser=dr_backup', 'DBUser=postgres'), expect_({ user: 'postgres' })),
    ).toMatchObject({ valid: false, reason: 'signature does not match' });
    expect(verifyRdsToken(token, expect_({ user: 'postgres' }))).toMatchObject({ valid: false });
    expect(verifyRdsToken(token, expect_({ endpoint: 'db.example:5433' }))).toMatchObject({ valid: false });
    expect(verifyRdsToken(token, expect_({ region: 'us-east-1' }))).toMatchObject({ valid: false });
    const otherSecret = { ...credentials, secretAccessKey: 'another-secret' };
    expect(verifyRdsToken(token, expect_({ credentials: otherSecret }))).toMatchObject({
      valid: false,
      reason: 'signature does not match',
    });
  });
});

/** Each action that connects, with the least it needs, its database URL input, and where that target lands. */
const ACTIONS: [string, (inputs: Record<string, string>) => unknown, string, (settings: never) => unknown][] = [
  [
    'backup',
    (inputs) => parseBackupInputs(reader({ bucket: 'saas-backups', ...inputs }), {}),
    'database-url',
    (s: { database: unknown }) => s.database,
  ],
  [
    'restore-verify',
    (inputs) => parseRestoreVerifyInputs(reader({ bucket: 'saas-backups', ...inputs }), {}, '/'),
    'target-database-url',
    (s: { target: unknown }) => s.target,
  ],
  [
    'failover',
    (inputs) =>
      parseFailoverInputs(reader({ 'replica-id': 'saas-production-replica', region: 'us-west-2', ...inputs })),
    'replica-database-url',
    (s: { replicaDatabase: unknown }) => s.replicaDatabase,
  ],
  [
    'recover-database',
    (inputs) => parseRecoverDatabaseInputs(reader({ bucket: 'saas-backups', ...inputs }), {}, '/'),
    'database-url',
    (s: { database: unknown }) => s.database,
  ],
];
const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';

describe.each(ACTIONS)('%s reads database-auth', (_action, parse, urlInput, targetOf) => {
  const database = urlInput === 'target-database-url' ? 'restore_verify' : 'saas_production';
  test('iam: the URL without a password gets IAM tokens over TLS', () => {
    const target = targetOf(
      parse({ [urlInput]: `postgres://dr_user@db.example:5432/${database}`, 'database-auth': 'iam' }) as never,
    ) as { url: string; auth?: unknown };
    expect(target.url).toBe(`postgres://dr_user@db.example:5432/${database}?sslmode=require`);
    expect(target.auth).toBeDefined();
  });

  test('iam with a password, or with no user, is one ConfigurationError; anything but password or iam too', () => {
    const attempt =
      (url: string, auth = 'iam') =>
      () =>
        parse({ [urlInput]: url, 'database-auth': auth });
    expect(attempt(`postgres://u:pw@db.example:5432/${database}`)).toThrow(
      new RegExp(`^${urlInput} holds a password, but database-auth is iam`),
    );
    expect(attempt(`postgres://db.example:5432/${database}`)).toThrow(new RegExp(`^${urlInput} names no user`));
    expect(attempt(`postgres://u:pw@db.example:5432/${database}`, 'token')).toThrow(ConfigurationError);
  });

  test('password (the default) keeps the URL as given', () => {
    const target = targetOf(parse({ [urlInput]: `postgres://u:pw@db.example:5432/${database}` }) as never) as {
      url: string;
      password?: string;
      auth?: unknown;
    };
    expect([target.url, target.password, target.auth]).toEqual([
      `postgres://u@db.example:5432/${database}`,
      'pw',
      undefined,
    ]);
  });
});

describe('rds-restore-test reads database-auth', () => {
  const base = { 'instance-id': 'saas-production', username: 'dr_restore_check', 'source-region': 'us-east-1' };
  const parse = (inputs: Record<string, string>) => parseRdsRestoreInputs(reader({ ...base, ...inputs }), {});
  test('iam needs no password and refuses one; password needs one', () => {
    expect(parse({ 'database-auth': 'iam' })).toMatchObject({ databaseAuth: { auth: 'iam' } });
    expect(parse({ 'database-auth': 'iam' })).toHaveProperty('master.from', 'iam');
    expect(() => parse({ 'database-auth': 'iam', password: 'pw' })).toThrow(
      /^password is set, but database-auth is iam: remove it/,
    );
    expect(() => parse({ 'database-auth': 'iam', 'master-password-secret': 'managed' })).toThrow(
      /^master-password-secret is set, but database-auth is iam: remove it/,
    );
    expect(() => parse({})).toThrow(/master password is required .*or database-auth: iam/);
  });

  test('the restored instance is signed in to as username with a token, over TLS', () => {
    const settings = parse({ 'database-auth': 'iam' }) as { databaseAuth: ReturnType<typeof databaseAuthFor> };
    const target = settings.databaseAuth.apply(
      parseDatabaseUrl(
        'postgres://dr_restore_check@rt.abc.us-west-2.rds.amazonaws.com:5432/postgres',
        'the restored instance',
      ),
      'the restored instance',
      {},
    );
    expect(target.url).toBe(
      'postgres://dr_restore_check@rt.abc.us-west-2.rds.amazonaws.com:5432/postgres?sslmode=require',
    );
    expect(target.auth).toBeDefined();
  });

  test('a token is signed for the region an RDS endpoint names, else the action region', () => {
    expect(tokenRegion('rt.abc123.us-west-2.rds.amazonaws.com', 'us-east-1')).toBe('us-west-2');
    expect(tokenRegion('prod.proxy-abc.eu-central-1.rds.amazonaws.com', 'us-east-1')).toBe('eu-central-1');
    expect(tokenRegion('db.internal.example.com', 'us-east-1')).toBe('us-east-1');
  });
});
