import { ConfigurationError } from '../errors.js';

// Naming a secret is apart from reading it (database-secret.ts): what parses the inputs reaches no Secrets Manager call.

/**
 * A database login kept in Secrets Manager: `managed` is the secret RDS keeps for an instance
 * created or modified with ManageMasterUserPassword (its MasterUserSecret), anything else the
 * secret's name or ARN.
 */
export type DatabaseSecretRef = { kind: 'managed' } | { kind: 'id'; id: string };

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:secret:[\w/+=.@!-]+$/;
/** Secrets Manager's names: up to 512 of these characters (RDS's own are `rds!db-<uuid>`). */
const SECRET_NAME = /^[\w/+=.@!-]{1,512}$/;

/** `managed`, a secret's ARN or its name; anything else is refused with what to write. */
export function parseDatabaseSecretRef(input: string, inputName: string): DatabaseSecretRef | undefined {
  const text = input.trim();
  if (!text) return undefined;
  if (text === 'managed') return { kind: 'managed' };
  if (text.startsWith('arn:') ? SECRET_ARN.test(text) : SECRET_NAME.test(text)) return { kind: 'id', id: text };
  throw new ConfigurationError(
    `${inputName} '${text}' is neither managed nor a Secrets Manager secret name or ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`,
  );
}

/** A secret ARN names its region, and the secret is read there; a name is read in `fallback`. */
export function secretRegion(secretId: string, fallback: string): string {
  return SECRET_ARN.exec(secretId)?.[1] ?? fallback;
}
