import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CLAIM_KEY } from '../../src/postgres/target-claim.js';
import { stackFromEnv } from '../../harness/stack.js';
import { sql } from './postgres.js';

/**
 * Ends the session holding the claim on `name` on the stack's server, as a server restart, a
 * failover or a network stall of over a minute would end it; returns how many sessions it ended.
 */
export async function terminateClaimSession(name: string): Promise<number> {
  const ended = await sql(
    stackFromEnv().postgresUrl('postgres'),
    `SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted
       AND classid = ${CLAIM_KEY} AND objid = hashtext('${name.replace(/'/g, "''")}')::oid AND objsubid = 2`,
  );
  return Number(ended);
}

/**
 * A command that marks `file` when it starts, then waits until the test lets it go on
 * (releaseWaitingCommand), and exits 0: a step held open while the test acts, then left to succeed.
 */
export async function waitingCommand(file: string): Promise<string> {
  await promisify(execFile)('mkfifo', [`${file}.go`]);
  return `sh -c 'touch ${file} && cat ${file}.go > /dev/null'`;
}

/** Lets the waiting command at `file` finish: opening its FIFO for writing and closing it ends its read. */
export const releaseWaitingCommand = (file: string) => writeFile(`${file}.go`, '');
