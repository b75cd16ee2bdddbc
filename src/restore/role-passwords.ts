import { ConfigurationError } from '../errors.js';

const EXAMPLE = `{"app": "\${{ secrets.APP_DB_PASSWORD }}"}`;

/**
 * role-passwords: a JSON object of role name to password, from a secret. The messages never quote
 * the input or a value: a malformed secret is still a secret.
 */
export function parseRolePasswords(input: string, rebuild: boolean): Record<string, string> {
  const text = input.trim();
  if (!text) return {};
  if (!rebuild)
    throw new ConfigurationError(
      'role-passwords is set, but rebuild is not: passwords are only set on the roles a rebuild creates; set rebuild: true or remove role-passwords',
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ConfigurationError(
      `role-passwords is not valid JSON; give an object of role name to password, e.g. ${EXAMPLE}`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigurationError(`role-passwords must be a JSON object of role name to password, e.g. ${EXAMPLE}`);
  }
  const passwords: Record<string, string> = {};
  for (const [role, password] of Object.entries(data)) {
    if (!role.trim()) throw new ConfigurationError('role-passwords has an empty role name; each key names a role');
    if (typeof password !== 'string' || password === '')
      throw new ConfigurationError(
        `role-passwords gives role '${role}' no password string; each value must be a non-empty string`,
      );
    passwords[role] = password;
  }
  return passwords;
}

/** Every form of the passwords that could be printed: the values, and the input as a whole. */
export function rolePasswordSecrets(input: string): string[] {
  const secrets = [input.trim()].filter(Boolean);
  try {
    const data: unknown = JSON.parse(input);
    if (data && typeof data === 'object')
      for (const value of Object.values(data))
        if (typeof value === 'string' && value) secrets.push(value, JSON.stringify(value).slice(1, -1));
  } catch {
    // not JSON: the whole input is masked
  }
  return secrets;
}
