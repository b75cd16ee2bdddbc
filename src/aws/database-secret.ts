import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../errors.js';
import { controlPlaneConfig } from './clients.js';
import { isAwsError } from './errors.js';
import type { AwsSettings } from './settings.js';
import { reportUnreachablePlainly } from './unreachable.js';

/** Secrets Manager is regional: a secret is read in the region it lives in (an ARN names it). */
export function createSecretsManagerClient(settings: AwsSettings): SecretsManagerClient {
  const client = new SecretsManagerClient(controlPlaneConfig(settings.region, settings));
  reportUnreachablePlainly(client, 'Secrets Manager', settings);
  return client;
}

/** What a secret gives: the password, and the user when the secret names one (RDS's JSON does). */
export interface SecretLogin {
  username?: string;
  password: string;
}

function fieldsOf(secretId: string, text: string): Record<string, unknown> {
  try {
    // Text that starts with { and parses is a JSON object.
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    // The parser's message quotes the text around the fault, which is the secret: never shown.
    throw new ConfigurationError(
      `secret ${secretId} starts with { but is not JSON: store it as RDS does, {"username": "...", "password": "..."}, or the password alone as plain text`,
    );
  }
}

/**
 * A secret's text as a login: the JSON object RDS stores (`username`, `password`, and for secrets
 * made by hand often `host`, `port`, `dbname`, which are ignored), or a plain string that is the
 * password itself. Messages name the secret and its fields, never a value.
 */
export function parseSecretLogin(secretId: string, text: string): SecretLogin {
  if (!text.trim().startsWith('{')) {
    if (!text) throw new ConfigurationError(`secret ${secretId} is empty: put the master password in it`);
    return { password: text };
  }
  const fields = fieldsOf(secretId, text);
  const { password, username } = fields;
  if (typeof password !== 'string' || !password) {
    const names = Object.keys(fields);
    throw new ConfigurationError(
      `secret ${secretId} has no password field (it has ${names.length ? names.join(', ') : 'no fields'}): store it as RDS does, {"username": "...", "password": "..."}`,
    );
  }
  if (username !== undefined && (typeof username !== 'string' || !username))
    throw new ConfigurationError(`secret ${secretId}: its username field is not a user name`);
  return username === undefined ? { password } : { username, password };
}

/** What to change when Secrets Manager refuses the read, by its error code. */
function refusal(error: unknown, secretId: string, region: string): ConfigurationError | undefined {
  if (isAwsError(error, 'ResourceNotFoundException'))
    return new ConfigurationError(
      `no secret ${secretId} in ${region}: give the secret's name or ARN as Secrets Manager lists it (for an RDS-managed password, the instance's MasterUserSecret.SecretArn), or managed`,
    );
  if (isAwsError(error, 'AccessDeniedException'))
    return new ConfigurationError(
      `the job's role may not read secret ${secretId}: allow it secretsmanager:GetSecretValue on the secret, and kms:Decrypt on the secret's KMS key when it is a customer-managed key (docs/iam)`,
    );
  if (isAwsError(error, 'DecryptionFailure'))
    return new ConfigurationError(
      `secret ${secretId} could not be decrypted with its KMS key: allow the job's role kms:Decrypt on that key, through Secrets Manager (kms:ViaService)`,
    );
  if (isAwsError(error, 'InvalidRequestException'))
    return new ConfigurationError(
      `secret ${secretId} cannot be read now (deleted, or scheduled for deletion?): restore it, or name the secret that holds the current password`,
    );
  return undefined;
}

async function secretText(
  client: SecretsManagerClient,
  secretId: string,
  region: string,
  stage: 'AWSCURRENT' | 'AWSPREVIOUS',
): Promise<string> {
  let text: string | undefined;
  try {
    const response = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    text = response.SecretString;
  } catch (error) {
    throw refusal(error, secretId, region) ?? error;
  }
  if (text === undefined)
    throw new ConfigurationError(
      `secret ${secretId} holds binary data, not text: store the login as RDS does, {"username": "...", "password": "..."}`,
    );
  return text;
}

/** Reads the secret's current version (AWSCURRENT) as a login; a refusal is a ConfigurationError saying what to change. */
export async function readSecretLogin(
  client: SecretsManagerClient,
  secretId: string,
  region: string,
): Promise<SecretLogin> {
  return parseSecretLogin(secretId, await secretText(client, secretId, region, 'AWSCURRENT'));
}

/**
 * The login a rotation left behind (AWSPREVIOUS): what a copy of the database from before the
 * rotation still accepts. Undefined when the secret was never rotated or that version is not a
 * login: it is only ever tried after the current one, so it never fails a run by itself.
 */
export async function readPreviousSecretLogin(
  client: SecretsManagerClient,
  secretId: string,
  region: string,
): Promise<SecretLogin | undefined> {
  try {
    return parseSecretLogin(secretId, await secretText(client, secretId, region, 'AWSPREVIOUS'));
  } catch (error) {
    if (error instanceof ConfigurationError) return undefined;
    throw error;
  }
}
