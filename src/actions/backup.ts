import { parseBackupInputs } from '../backup/inputs.js';
import { runBackup } from '../backup/run-backup.js';
import { backupMarkdown } from '../backup/summary.js';
import { runContextFromEnv } from '../github/run-context.js';
import { clockStartingAt, type Clock } from '../util/clock.js';
import {
  actionLogger,
  cancellation,
  maskDatabaseUrl,
  maskSecret,
  readInput,
  runAction,
  setOutputs,
  writeSummary,
} from './runtime.js';

/**
 * DR_ACTIONS_CLOCK_START (an ISO time) is what the run's clock reads when the run first asks it
 * (the backup's start), running at real speed from there: tests set it to start two runs in the
 * same second, which is otherwise luck.
 */
function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock | undefined {
  const start = env.DR_ACTIONS_CLOCK_START ? Date.parse(env.DR_ACTIONS_CLOCK_START) : Number.NaN;
  return Number.isNaN(start) ? undefined : clockStartingAt(start);
}

/** The action: src/entrypoints/backup.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    maskDatabaseUrl('database-url');
    const settings = parseBackupInputs(readInput, process.env, maskSecret);
    const result = await runBackup({
      ...settings,
      run: runContextFromEnv(),
      log: actionLogger,
      clock: clockFromEnv(),
      signal: cancellation(),
    });

    setOutputs({
      key: result.key,
      'manifest-key': result.manifestKey,
      sha256: result.manifest.sha256,
      'size-bytes': result.storedBytes,
      'duration-seconds': result.durationSeconds,
      tables: result.manifest.tables.length,
      'globals-key': result.manifest.globals?.status === 'stored' ? result.manifest.globals.key : '',
      'pruned-count': result.retention?.prunedCount ?? 0,
      'copy-key': result.copy && result.copy.status !== 'failed' ? result.copy.key : '',
      'copy-status': result.copy?.status ?? 'off',
    });
    await writeSummary(backupMarkdown(result));

    const failures = [
      ...(result.retentionError ? [`retention failed: ${result.retentionError}`] : []),
      ...(result.copy?.error
        ? [`its copy to s3://${result.copy.bucket} (${result.copy.region}) failed: ${result.copy.error}`]
        : []),
      ...(result.copy?.retentionError ? [`retention of the copy bucket failed: ${result.copy.retentionError}`] : []),
    ];
    if (failures.length) throw new Error(`the backup was stored (${result.key}), but ${failures.join('; ')}`);
  });
}
