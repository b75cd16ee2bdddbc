import * as core from '@actions/core';
import { parseFailoverInputs } from '../failover/inputs.js';
import { runFailover } from '../failover/run-failover.js';
import { failoverMarkdown } from '../failover/summary.js';
import { runContextFromEnv } from '../github/run-context.js';
import { actionLogger, maskDatabaseUrl, readInput, runAction, writeSummary } from './runtime.js';

/** The action: src/entrypoints/failover.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    maskDatabaseUrl('replica-database-url');
    const settings = parseFailoverInputs(readInput);
    const result = await runFailover({ ...settings, run: runContextFromEnv(), log: actionLogger });

    core.setOutput('mode', result.mode);
    core.setOutput('promoted', String(result.promoted));
    core.setOutput('endpoint', result.endpoint);
    core.setOutput('previous-record-value', result.previousRecordValue);
    core.setOutput('record-value', result.recordValue);
    core.setOutput('change-id', result.changeId);
    core.setOutput('duration-seconds', String(result.durationSeconds));
    core.setOutput('report-path', result.reportPath);
    await writeSummary(failoverMarkdown(result));

    if (result.error) throw result.error;
  });
}
