import * as core from '@actions/core';
import { runContextFromEnv } from '../github/run-context.js';
import { parseRestoreVerifyInputs } from '../restore/inputs.js';
import { rolePasswordSecrets } from '../restore/role-passwords.js';
import { runRestoreVerify } from '../restore/run-restore-verify.js';
import { restoreVerifyMarkdown } from '../restore/summary.js';
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

/** The action: src/entrypoints/restore-verify.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    maskDatabaseUrl('target-database-url');
    maskDatabaseUrl('source-database-url');
    for (const secret of rolePasswordSecrets(core.getInput('role-passwords'))) core.setSecret(secret);
    const settings = parseRestoreVerifyInputs(readInput, process.env, process.cwd(), maskSecret);

    // Cancelled: the running step stops, the scratch database is still dropped.
    const result = await runRestoreVerify({
      ...settings,
      run: runContextFromEnv(),
      log: actionLogger,
      signal: cancellation(),
    });

    setOutputs({
      passed: result.passed,
      'backup-key': result.backupKey,
      'backup-age-seconds': result.backupAgeSeconds,
      'max-gap-seconds': result.maxGapSeconds,
      'restore-seconds': result.restoreSeconds,
      'recovery-seconds': result.recoverySeconds,
      'report-path': result.reportPath,
    });
    await writeSummary(restoreVerifyMarkdown(result.report));

    if (!result.passed) throw new Error(`restore test failed: ${result.report.reasons.join(' | ')}`);
  });
}
