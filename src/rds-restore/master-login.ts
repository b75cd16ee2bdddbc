import type { RDSClient } from '@aws-sdk/client-rds';
import { createSecretsManagerClient, readPreviousSecretLogin, readSecretLogin } from '../aws/database-secret.js';
import { secretRegion, type DatabaseSecretRef } from '../aws/database-secret-ref.js';
import { describeInstance } from '../aws/rds.js';
import { ConfigurationError } from '../errors.js';
import type { MasterLogin } from './inputs.js';

/** The user and password the restored instance is proven with (no password with database-auth iam). */
export interface DatabaseLogin {
  username: string;
  password: string;
  /** Where it came from, for the log: never the password. */
  source: string;
  /**
   * The secret's password before its last rotation (AWSPREVIOUS), with the same user: an instance
   * restored to a point before that rotation still has it.
   */
  previousPassword?: string;
}

export interface MasterLoginContext {
  instanceId: string;
  sourceRegion: string;
  /** Describes the source instance in its region (for `managed`). */
  sourceClient: RDSClient;
  endpointUrl?: string;
  /** Called with the password the moment it is read, before anything can print it (the action masks it). */
  maskSecret: (secret: string) => void;
}

/** The secret RDS keeps the source's master login in: its MasterUserSecret, read from DescribeDBInstances. */
async function managedSecretArn(context: MasterLoginContext): Promise<string> {
  const { instanceId, sourceRegion } = context;
  const source = await describeInstance(context.sourceClient, { id: instanceId, region: sourceRegion });
  if (!source)
    throw new ConfigurationError(
      `master-password-secret is managed but instance ${instanceId} does not exist in ${sourceRegion}: check instance-id and source-region, or give the secret's ARN`,
    );
  if (!source.masterUserSecretArn)
    throw new ConfigurationError(
      `master-password-secret is managed but ${instanceId} has no MasterUserSecret: RDS does not manage its master password; turn that on (aws rds modify-db-instance --db-instance-identifier ${instanceId} --manage-master-user-password --apply-immediately), or name the secret that holds it, or use password`,
    );
  return source.masterUserSecretArn;
}

async function secretLogin(
  secret: DatabaseSecretRef,
  username: string | undefined,
  context: MasterLoginContext,
): Promise<DatabaseLogin> {
  const secretId = secret.kind === 'managed' ? await managedSecretArn(context) : secret.id;
  const region = secretRegion(secretId, context.sourceRegion);
  const client = createSecretsManagerClient({ region, endpointUrl: context.endpointUrl });
  const login = await readSecretLogin(client, secretId, region);
  context.maskSecret(login.password);
  if (username && login.username && username !== login.username)
    throw new ConfigurationError(
      `username '${username}' is not the user of secret ${secretId} ('${login.username}'), whose password it holds: leave username empty to take the secret's, or name the secret of '${username}'`,
    );
  const user = username || login.username;
  if (!user)
    throw new ConfigurationError(
      `secret ${secretId} holds a password but no username field: set username to the source instance's master user`,
    );
  const what = secret.kind === 'managed' ? `the source's MasterUserSecret, ${secretId}` : `secret ${secretId}`;
  const previous = await readPreviousSecretLogin(client, secretId, region);
  if (previous) context.maskSecret(previous.password);
  const previousPassword =
    previous && (previous.username ?? user) === user && previous.password !== login.password
      ? previous.password
      : undefined;
  return {
    username: user,
    password: login.password,
    source: `Secrets Manager (${what})`,
    ...(previousPassword ? { previousPassword } : {}),
  };
}

/**
 * The source's master login, which the restored instance keeps: as given, or read from Secrets
 * Manager (the secret's current version, and the one before it for a point before a rotation). Read before anything is created; a secret that cannot
 * be read is a ConfigurationError saying what to change.
 */
export async function resolveMasterLogin(master: MasterLogin, context: MasterLoginContext): Promise<DatabaseLogin> {
  if (master.from === 'inputs') return { username: master.username, password: master.password, source: 'password' };
  if (master.from === 'iam') return { username: master.username, password: '', source: 'an IAM token per connection' };
  return secretLogin(master.secret, master.username, context);
}
