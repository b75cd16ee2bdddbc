import * as core from '@actions/core';
import { runContextFromEnv } from '../github/run-context.js';
import { parseRecoverApplicationInputs } from '../recover-application/inputs.js';
import { runRecoverApplication } from '../recover-application/run-recover-application.js';
import { recoverApplicationMarkdown } from '../recover-application/summary.js';
import { actionLogger, cancellation, readInput, runAction, setOutputs, writeSummary } from './runtime.js';

/** The action: src/entrypoints/recover-application.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = parseRecoverApplicationInputs(readInput);
    // What the commands are given by name may be a token: masked before any command prints it.
    for (const secret of settings.commandEnv.secrets) core.setSecret(secret);
    const result = await runRecoverApplication({
      ...settings,
      run: runContextFromEnv(),
      log: actionLogger,
      signal: cancellation(),
    });
    const { report } = result;

    setOutputs({
      mode: settings.mode,
      recovered: result.recovered,
      'recovery-seconds': result.recoverySeconds,
      'plan-digest': settings.planDigest,
      'log-errors-found': report.details.logScan?.matches,
      'report-path': result.reportPath,
    });
    await writeSummary(recoverApplicationMarkdown(report));

    if (!report.passed) throw new Error(report.reasons.join('; '));
  });
}
