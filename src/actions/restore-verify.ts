import * as core from '@actions/core';
import { runContextFromEnv } from '../github/run-context.js';
import { parseRestoreVerifyInputs } from '../restore/inputs.js';
import { rolePasswordSecrets } from '../restore/role-passwords.js';
import { runRestoreVerify } from '../restore/run-restore-verify.js';
import { restoreVerifyMarkdown } from '../restore/summary.js';
import { actionLogger, maskDatabaseUrl, readInput, runAction, writeSummary } from './runtime.js';

const text = (value: number | null | undefined) => (value === null || value === undefined ? '' : String(value));

/** The action: src/entrypoints/restore-verify.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    maskDatabaseUrl('target-database-url');
    maskDatabaseUrl('source-database-url');
    for (const secret of rolePasswordSecrets(core.getInput('role-passwords'))) core.setSecret(secret);
    const settings = parseRestoreVerifyInputs(readInput);

    // A cancelled job gets SIGINT, then SIGTERM: stop the running step, still drop the scratch database.
    const cancel = new AbortController();
    const onSignal = () => cancel.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const result = await runRestoreVerify({ ...settings, run: runContextFromEnv(), log: actionLogger, signal: cancel.signal });

    core.setOutput('passed', String(result.passed));
    core.setOutput('backup-key', result.backupKey ?? '');
    core.setOutput('backup-age-seconds', text(result.backupAgeSeconds));
    core.setOutput('max-gap-seconds', text(result.maxGapSeconds));
    core.setOutput('restore-seconds', text(result.restoreSeconds));
    core.setOutput('recovery-seconds', text(result.recoverySeconds));
    core.setOutput('report-path', result.reportPath);
    await writeSummary(restoreVerifyMarkdown(result.report));

    if (!result.passed) throw new Error(`restore test failed: ${result.report.reasons.join(' | ')}`);
  });
}
