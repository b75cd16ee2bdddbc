import { runContextFromEnv } from '../github/run-context.js';
import { parseRecoverDatabaseInputs } from '../recover-database/inputs.js';
import { runRecoverDatabase } from '../recover-database/run-recover-database.js';
import { recoverDatabaseMarkdown } from '../recover-database/summary.js';
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

/** The action: src/entrypoints/recover-database.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    maskDatabaseUrl('database-url');
    const settings = parseRecoverDatabaseInputs(readInput, process.env, process.cwd(), maskSecret);

    // Cancelled: the running step stops; what was done is in the report, and a re-run resumes.
    const result = await runRecoverDatabase({
      ...settings,
      run: runContextFromEnv(),
      log: actionLogger,
      signal: cancellation(),
    });

    setOutputs({
      mode: result.mode,
      'recovery-point': result.recoveryPoint,
      replaces: result.replaces,
      'kept-as': result.keptAs,
      'record-value': result.recordValue,
      recovered: result.recovered,
      'recovery-seconds': result.recoverySeconds,
      'report-path': result.reportPath,
    });
    await writeSummary(recoverDatabaseMarkdown(result.report));

    if (result.error) throw result.error;
  });
}
