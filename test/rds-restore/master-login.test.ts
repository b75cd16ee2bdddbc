import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { parseDatabaseSecretRef } from '../../src/aws/database-secret-ref.js';
import { ConfigurationError } from '../../src/errors.js';
import type { MasterLogin } from '../../src/rds-restore/inputs.js';
import { resolveMasterLogin } from '../../src/rds-restore/master-login.js';
import { PRIMARY_REGION, rdsIn, SECONDARY_REGION } from '../../harness/aws-topology.js';
import { stackFromEnv } from '../../harness/stack.js';
import { createSource, managedMasterLogin, rotateSecret, secretsIn } from './fixtures.js';

/** Reads the login as rds-restore-test does, recording what it asked to mask. */
async function resolve(secret: string, username?: string, instanceId = managedId) {
  const masked: string[] = [];
  const master = {
    from: 'secret',
    secret: parseDatabaseSecretRef(secret, 'master-password-secret'),
    ...(username ? { username } : {}),
  } as MasterLogin;
  const login = await resolveMasterLogin(master, {
    instanceId,
    sourceRegion: PRIMARY_REGION,
    sourceClient: rdsIn(PRIMARY_REGION),
    endpointUrl: stackFromEnv().awsEndpoint,
    maskSecret: (value) => masked.push(value),
  });
  return { login, masked };
}

async function refusal(secret: string, username?: string, instanceId = managedId): Promise<string> {
  const outcome = await resolve(secret, username, instanceId).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(ConfigurationError);
  return (outcome as Error).message;
}

const PASSWORD = `Pw-${randomBytes(9).toString('base64')}`;
let managedId: string;
let plainId: string;

async function createSecret(region: string, value: { text?: string; binary?: Uint8Array }): Promise<string> {
  const created = await secretsIn(region).send(
    new CreateSecretCommand({
      Name: `dr-test/${randomBytes(4).toString('hex')}`,
      ...(value.binary ? { SecretBinary: value.binary } : { SecretString: value.text }),
    }),
  );
  return created.ARN as string;
}

beforeAll(async () => {
  managedId = await createSource(PRIMARY_REGION, { managedMasterUser: 'dbadmin' });
  plainId = await createSource(PRIMARY_REGION);
});

describe('the master login from Secrets Manager, against moto', () => {
  test("managed: the source's MasterUserSecret from DescribeDBInstances, its user and password, masked as soon as read", async () => {
    const secret = await managedMasterLogin(managedId);
    expect(secret.arn).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:rds!db-/);
    expect(secret.username).toBe('dbadmin');
    const { login, masked } = await resolve('managed');
    expect(login).toEqual({
      username: 'dbadmin',
      password: secret.password,
      source: `Secrets Manager (the source's MasterUserSecret, ${secret.arn})`,
    });
    expect(masked).toEqual([secret.password]);
  });

  test('an ARN is read in its own region; a JSON secret made by hand gives its user and password', async () => {
    const arn = await createSecret(SECONDARY_REGION, {
      text: JSON.stringify({ engine: 'postgres', username: 'ops', password: PASSWORD, host: 'db.example' }),
    });
    const { login, masked } = await resolve(arn);
    expect(login).toMatchObject({ username: 'ops', password: PASSWORD });
    expect(masked).toEqual([PASSWORD]);
    // By name it is looked for in the source region, where it does not exist.
    const name = arn.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, '') as string;
    expect(await refusal(name)).toContain(`no secret ${name} in us-east-1`);
  });

  test("a rotated secret's previous version (AWSPREVIOUS) comes along, masked too; not when it is another user's or never was", async () => {
    const arn = await createSecret(PRIMARY_REGION, { text: JSON.stringify({ username: 'ops', password: PASSWORD }) });
    expect((await resolve(arn)).login.previousPassword).toBeUndefined();
    const rotated = `${PASSWORD}-rotated`;
    await rotateSecret(arn, { username: 'ops', password: rotated });
    const { login, masked } = await resolve(arn);
    expect(login).toMatchObject({ username: 'ops', password: rotated, previousPassword: PASSWORD });
    expect(masked).toEqual([rotated, PASSWORD]);
    // A previous version that was another user's login opens nothing for this one.
    await rotateSecret(arn, { username: 'admin', password: 'x' });
    await rotateSecret(arn, { username: 'ops', password: rotated });
    expect((await resolve(arn)).login.previousPassword).toBeUndefined();
  });

  test('a plain-string secret is the password; username then comes from the input', async () => {
    const arn = await createSecret(PRIMARY_REGION, { text: PASSWORD });
    expect((await resolve(arn, 'postgres')).login).toMatchObject({ username: 'postgres', password: PASSWORD });
    expect(await refusal(arn)).toBe(
      `secret ${arn} holds a password but no username field: set username to the source instance's master user`,
    );
  });

  test('each secret that cannot give a login is a ConfigurationError saying what to change, never showing the secret', async () => {
    expect(await refusal('dr-test/no-such-secret')).toBe(
      "no secret dr-test/no-such-secret in us-east-1: give the secret's name or ARN as Secrets Manager lists it (for an RDS-managed password, the instance's MasterUserSecret.SecretArn), or managed",
    );
    const notJson = await createSecret(PRIMARY_REGION, { text: `{"username": "ops", "password": "${PASSWORD}"` });
    expect(await refusal(notJson)).toContain(`secret ${notJson} starts with { but is not JSON`);
    const noPassword = await createSecret(PRIMARY_REGION, { text: JSON.stringify({ username: 'ops', pw: PASSWORD }) });
    expect(await refusal(noPassword)).toContain(`secret ${noPassword} has no password field (it has username, pw)`);
    const binary = await createSecret(PRIMARY_REGION, { binary: new TextEncoder().encode(PASSWORD) });
    expect(await refusal(binary)).toContain(`secret ${binary} holds binary data, not text`);
    const managed = await managedMasterLogin(managedId);
    expect(await refusal('managed', 'postgres')).toBe(
      `username 'postgres' is not the user of secret ${managed.arn} ('dbadmin'), whose password it holds: leave username empty to take the secret's, or name the secret of 'postgres'`,
    );
    for (const message of [await refusal(notJson), await refusal(noPassword)]) expect(message).not.toContain(PASSWORD);
  });

  test('managed names an instance whose master password RDS manages, and says how to turn that on', async () => {
    expect(await refusal('managed', undefined, plainId)).toContain(
      `${plainId} has no MasterUserSecret: RDS does not manage its master password; turn that on (aws rds modify-db-instance --db-instance-identifier ${plainId} --manage-master-user-password --apply-immediately)`,
    );
    expect(await refusal('managed', undefined, 'shop-missing')).toContain(
      'master-password-secret is managed but instance shop-missing does not exist in us-east-1',
    );
  });
});
