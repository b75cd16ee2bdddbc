import { parseFailoverInputs } from '../failover/inputs.js';
import { runFailover } from '../failover/run-failover.js';
import { failoverMarkdown } from '../failover/summary.js';
import { runContextFromEnv } from '../github/run-context.js';
import {
  actionLogger,
  maskDatabaseUrl,
  maskSecret,
  readInput,
  runAction,
  setOutputs,
  writeSummary,
} from './runtime.js';

/** The action: src/entrypoints/failover.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    maskDatabaseUrl('replica-database-url');
    const settings = parseFailoverInputs(readInput, process.cwd(), maskSecret);
    const result = await runFailover({ ...settings, run: runContextFromEnv(), log: actionLogger });

    setOutputs({
      mode: result.mode,
      promoted: result.promoted,
      endpoint: result.endpoint,
      'previous-record-value': result.previousRecordValue,
      'record-value': result.recordValue,
      'change-id': result.changeId,
      'duration-seconds': result.durationSeconds,
      'report-path': result.reportPath,
    });
    await writeSummary(failoverMarkdown(result));

    if (result.error) throw result.error;
  });
}
