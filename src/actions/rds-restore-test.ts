import * as core from '@actions/core';
import { runContextFromEnv } from '../github/run-context.js';
import { runHourlySnapshots } from '../rds-restore/hourly-snapshots.js';
import { parseRdsRestoreInputs } from '../rds-restore/inputs.js';
import { runRdsRestoreTest } from '../rds-restore/run-rds-restore-test.js';
import { hourlySnapshotsMarkdown } from '../rds-restore/snapshot-summary.js';
import { rdsRestoreMarkdown } from '../rds-restore/summary.js';
import { actionLogger, readInput, runAction, writeSummary } from './runtime.js';

/** The action: src/entrypoints/rds-restore-test.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const password = core.getInput('password');
    if (password) core.setSecret(password);
    const settings = parseRdsRestoreInputs(readInput);
    const run = runContextFromEnv();

    if (settings.mode === 'snapshot') {
      const result = await runHourlySnapshots({ ...settings, run, log: actionLogger });
      core.setOutput('passed', String(result.passed));
      core.setOutput('snapshot-id', result.snapshotId ?? '');
      core.setOutput('copied-snapshot-id', result.copiedSnapshotId ?? '');
      core.setOutput('report-path', result.reportPath);
      await writeSummary(hourlySnapshotsMarkdown(result.report));
      if (!result.passed) throw new Error(`hourly snapshot failed: ${result.report.reasons.join(' | ')}`);
      return;
    }

    // A cancelled job gets SIGINT, then SIGTERM: stop the running step, still delete the temporary instance.
    const cancel = new AbortController();
    const onSignal = () => cancel.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const result = await runRdsRestoreTest({ ...settings, run, log: actionLogger, signal: cancel.signal });

    core.setOutput('passed', String(result.passed));
    core.setOutput('restored-instance-id', result.restoredInstanceId);
    core.setOutput('recovery-point-time', result.recoveryPointTime ?? '');
    core.setOutput('recovery-seconds', result.recoverySeconds === null ? '' : String(result.recoverySeconds));
    core.setOutput('report-path', result.reportPath);
    await writeSummary(rdsRestoreMarkdown(result.report));

    if (result.configurationError) throw result.configurationError;
    if (!result.passed) throw new Error(`RDS restore test failed: ${result.report.reasons.join(' | ')}`);
  });
}
