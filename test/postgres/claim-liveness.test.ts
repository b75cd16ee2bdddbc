/**
 * TargetClaim.assertHeld: the proof, before a step that cannot be undone, that this run's session
 * still holds its claim, on the stack's PostgreSQL.
 */
import { beforeAll, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { findClient } from '../../src/postgres/binaries.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../../src/postgres/connection.js';
import { claimTarget, ClaimLostError, type ClaimedStep } from '../../src/postgres/target-claim.js';
import { stackFromEnv } from '../../harness/stack.js';
import { terminateClaimSession } from '../helpers/claim-session.js';

let psql: string;
let target: DatabaseTarget;

const STEP: ClaimedStep = {
  before: 'dropping the scratch database',
  done: 'created it and restored into it',
  next: 'Run again.',
};

beforeAll(async () => {
  psql = (await findClient('psql')).path;
  target = parseDatabaseUrl(stackFromEnv().postgresUrl(`liveness_${randomBytes(4).toString('hex')}`), 'url');
});

test('a held claim proves itself, as often as asked, and a second run is still refused', async () => {
  const claim = await claimTarget(target, psql);
  try {
    await claim.assertHeld(STEP);
    await claim.assertHeld(STEP);
    expect(await claim.isHeld()).toBe(true);
    await expect(claimTarget(target, psql)).rejects.toThrow('another restore-verify run is using the target database');
  } finally {
    await claim.release();
  }
});

test('a claim whose session was terminated is lost: the message says before what, why, what was done and how to go on; another run may claim it', async () => {
  const claim = await claimTarget(target, psql);
  try {
    expect(await terminateClaimSession(target.database)).toBe(1);
    const lost = claim.assertHeld(STEP);
    await expect(lost).rejects.toBeInstanceOf(ClaimLostError);
    await expect(lost).rejects.toThrow(
      new RegExp(
        `^this run's claim on ${target.display.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was lost before dropping the scratch database: ` +
          'its session has ended \\(FATAL: +terminating connection due to administrator command\\)\\. ' +
          "A claim ends when the runner's network stalls for over a minute, when the server restarts or fails over, or when its session is terminated \\(pg_terminate_backend\\); " +
          'another run may hold it now, so this run stopped here and changed nothing further\\. ' +
          'Done so far: created it and restored into it\\. Run again\\.$',
      ),
    );
    const next = await claimTarget(target, psql);
    await next.release();
  } finally {
    await claim.release();
  }
});

test('isHeld says a terminated session lost its claim, and the claim can be taken again', async () => {
  const claim = await claimTarget(target, psql);
  expect(await terminateClaimSession(target.database)).toBe(1);
  expect(await claim.isHeld()).toBe(false);
  await claim.release();
  const again = await claimTarget(target, psql);
  expect(await again.isHeld()).toBe(true);
  await again.release();
});
