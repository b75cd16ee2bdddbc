import { afterEach, describe, expect, test } from '@jest/globals';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { parseDatabaseSecretRef, secretRegion } from '../../src/aws/database-secret-ref.js';
import { parseSecretLogin, readSecretLogin } from '../../src/aws/database-secret.js';
import { ConfigurationError } from '../../src/errors.js';
import { parseRdsRestoreInputs } from '../../src/rds-restore/inputs.js';
import { refusalOf } from '../helpers/refusal.js';

const PASSWORD = 'q7:Zx!`{p}w~9#Lr';
const ARN = 'arn:aws:secretsmanager:us-west-2:111122223333:secret:rds!db-1f2e3d4c-aaaa-bbbb-cccc-0123456789ab-AbCdEf';
const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';
const base = { 'instance-id': 'saas-production', 'source-region': 'us-east-1' };
const parse = (values: Record<string, string>) => parseRdsRestoreInputs(reader({ ...base, ...values }), {});

describe('the master login from inputs', () => {
  test('master-password-secret: managed or a secret id, username optional; password with its username', () => {
    expect(parse({ 'master-password-secret': 'managed' })).toMatchObject({
      master: { from: 'secret', secret: { kind: 'managed' } },
    });
    expect(parse({ 'master-password-secret': ARN, username: 'dbadmin' })).toMatchObject({
      master: { from: 'secret', secret: { kind: 'id', id: ARN }, username: 'dbadmin' },
    });
    expect(parse({ 'master-password-secret': 'prod/db/master' })).toMatchObject({
      master: { from: 'secret', secret: { kind: 'id', id: 'prod/db/master' } },
    });
    expect(parse({ username: 'dbadmin', password: PASSWORD })).toMatchObject({
      master: { from: 'inputs', username: 'dbadmin', password: PASSWORD },
    });
  });

  test('exactly one of password and master-password-secret, each mistake one ConfigurationError that says what to change', () => {
    const both = refusalOf(() => parse({ 'master-password-secret': 'managed', username: 'a', password: PASSWORD }));
    expect(both).toContain('password and master-password-secret are both set: keep one');
    expect(both).not.toContain(PASSWORD);
    expect(refusalOf(() => parse({ username: 'dbadmin' }))).toContain('set master-password-secret to managed');
    expect(refusalOf(() => parse({ password: PASSWORD }))).toContain('username is required with password');
    expect(refusalOf(() => parse({ 'master-password-secret': 'arn:aws:ssm:us-east-1:111122223333:parameter/x' }))).toBe(
      "master-password-secret 'arn:aws:ssm:us-east-1:111122223333:parameter/x' is neither managed nor a Secrets Manager secret name or ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
    );
    expect(refusalOf(() => parseDatabaseSecretRef('my secret', 'master-password-secret'))).toContain('neither managed');
  });

  test('a secret ARN is read in its own region, a name in the source region', () => {
    expect(secretRegion(ARN, 'us-east-1')).toBe('us-west-2');
    expect(secretRegion('prod/db/master', 'us-east-1')).toBe('us-east-1');
  });
});

describe("a secret's text as a login", () => {
  test('the JSON RDS stores, other fields ignored; a plain string is the password alone', () => {
    expect(parseSecretLogin(ARN, JSON.stringify({ username: 'dbadmin', password: PASSWORD }))).toEqual({
      username: 'dbadmin',
      password: PASSWORD,
    });
    expect(
      parseSecretLogin(
        's',
        JSON.stringify({ engine: 'postgres', host: 'h', port: 5432, username: 'u', password: 'p' }),
      ),
    ).toEqual({ username: 'u', password: 'p' });
    expect(parseSecretLogin('s', JSON.stringify({ password: PASSWORD }))).toEqual({ password: PASSWORD });
    expect(parseSecretLogin('s', PASSWORD)).toEqual({ password: PASSWORD });
  });

  test('not JSON, no password field, empty: each says what to store, and never shows the secret', () => {
    const notJson = refusalOf(() => parseSecretLogin(ARN, `{"username": "dbadmin", "password": "${PASSWORD}"`));
    expect(notJson).toBe(
      `secret ${ARN} starts with { but is not JSON: store it as RDS does, {"username": "...", "password": "..."}, or the password alone as plain text`,
    );
    const noPassword = refusalOf(() => parseSecretLogin(ARN, JSON.stringify({ username: 'dbadmin', pass: PASSWORD })));
    expect(noPassword).toBe(
      `secret ${ARN} has no password field (it has username, pass): store it as RDS does, {"username": "...", "password": "..."}`,
    );
    expect(refusalOf(() => parseSecretLogin(ARN, JSON.stringify({ password: 42 })))).toContain('has no password field');
    expect(refusalOf(() => parseSecretLogin('s', `{"pwd": "zq-value"}`))).not.toContain('zq-value');
    expect(refusalOf(() => parseSecretLogin(ARN, ''))).toContain('is empty');
    for (const message of [notJson, noPassword]) expect(message).not.toContain(PASSWORD);
  });
});

/** Refusals moto cannot produce (it enforces no IAM and decrypts everything): aws-sdk-client-mock. */
describe('Secrets Manager refusing the read (aws-sdk-client-mock: moto enforces no IAM and no KMS)', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  afterEach(() => {
    secretsManager.reset();
  });
  const refusal = (name: string, message: string) =>
    Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
  const read = async () => {
    try {
      await readSecretLogin(new SecretsManagerClient({ region: 'us-west-2' }), ARN, 'us-west-2');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigurationError');
  };

  test('AccessDeniedException names the permissions to grant (aws-sdk-client-mock)', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(refusal('AccessDeniedException', 'User: arn:aws:sts::111122223333:assumed-role/x is not authorized'));
    expect(await read()).toBe(
      `the job's role may not read secret ${ARN}: allow it secretsmanager:GetSecretValue on the secret, and kms:Decrypt on the secret's KMS key when it is a customer-managed key (docs/iam)`,
    );
  });

  test('DecryptionFailure names kms:Decrypt through Secrets Manager (aws-sdk-client-mock)', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(refusal('DecryptionFailure', 'Access to KMS is not allowed'));
    expect(await read()).toContain("allow the job's role kms:Decrypt on that key, through Secrets Manager");
  });
});
