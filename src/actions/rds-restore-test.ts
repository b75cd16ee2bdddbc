import { runContextFromEnv } from '../github/run-context.js';
import { runHourlySnapshots } from '../rds-restore/hourly-snapshots.js';
import { parseRdsRestoreInputs } from '../rds-restore/inputs.js';
import { runRdsRestoreTest } from '../rds-restore/run-rds-restore-test.js';
import { hourlySnapshotsMarkdown } from '../rds-restore/snapshot-summary.js';
import { rdsRestoreMarkdown } from '../rds-restore/summary.js';
import {
  actionLogger,
  cancellation,
  maskInput,
  maskSecret,
  readInput,
  runAction,
  setOutputs,
  writeSummary,
} from './runtime.js';

/** The action: src/entrypoints/rds-restore-test.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    maskInput('password');
    const settings = parseRdsRestoreInputs(readInput, process.env, process.cwd(), maskSecret);
    const run = runContextFromEnv();

    if (settings.mode === 'snapshot') {
      const result = await runHourlySnapshots({ ...settings, run, log: actionLogger });
      setOutputs({
        passed: result.passed,
        'snapshot-id': result.snapshotId,
        'copied-snapshot-id': result.copiedSnapshotId,
        'report-path': result.reportPath,
      });
      await writeSummary(hourlySnapshotsMarkdown(result.report));
      if (!result.passed) throw new Error(`hourly snapshot failed: ${result.report.reasons.join(' | ')}`);
      return;
    }

    // Cancelled: the running step stops, the temporary instance is still deleted.
    const result = await runRdsRestoreTest({
      ...settings,
      run,
      log: actionLogger,
      signal: cancellation(),
      maskSecret,
    });

    setOutputs({
      passed: result.passed,
      'restored-instance-id': result.restoredInstanceId,
      'recovery-point-time': result.recoveryPointTime,
      'recovery-seconds': result.recoverySeconds,
      'report-path': result.reportPath,
    });
    await writeSummary(rdsRestoreMarkdown(result.report));

    if (result.configurationError) throw result.configurationError;
    if (!result.passed) throw new Error(`RDS restore test failed: ${result.report.reasons.join(' | ')}`);
  });
}
