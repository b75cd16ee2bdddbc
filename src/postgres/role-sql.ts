import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** An identifier as pg_dump and pg_dumpall write it: "quoted" (with "" for a quote) or bare. */
export const IDENT = '"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*';

/** The name an identifier token stands for. Bare names are as written: pg_dump quotes any that would fold. */
export function unquoteIdent(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token;
}

const SCRAM_ITERATIONS = 4096;

/**
 * A SCRAM-SHA-256 verifier of the password, as psql's \password computes it: the server stores it
 * as it is, so the password itself never reaches the server, its logs or pg_stat_statements.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
