import { parseBackupInputs } from '../../src/backup/inputs.js';
import { runBackup, type BackupResult } from '../../src/backup/run-backup.js';
import { clockStartingAt, systemClock, type Clock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { stackFromEnv } from '../../harness/stack.js';

/** A clock that reads `now()`, for a backup started at a chosen time. */
export function clockOf(now: () => Date): Clock {
  return { now: () => now().getTime(), sleep: systemClock.sleep };
}

let nextFreeSecond = 0;

/**
 * A clock that starts in a second no earlier backup of this test file started in: backups under one
 * prefix that start in the same second share a key, and the second would be refused.
 */
export function ownSecondClock(): Clock {
  const start = Math.max(Date.now(), nextFreeSecond);
  nextFreeSecond = (Math.floor(start / 1000) + 1) * 1000;
  return clockStartingAt(start);
}

/** Runs the backup domain code with action-style inputs against the stack's moto server. */
export function backupWithInputs(inputs: Record<string, string>, now?: () => Date): Promise<BackupResult> {
  const all: Record<string, string> = { 'endpoint-url': stackFromEnv().awsEndpoint, region: 'us-east-1', ...inputs };
  const settings = parseBackupInputs((name) => all[name] ?? '', {});
  return runBackup({
    ...settings,
    run: { repository: 'acme/saas', runId: '42' },
    log: silentLogger,
    clock: now ? clockOf(now) : ownSecondClock(),
  });
}
