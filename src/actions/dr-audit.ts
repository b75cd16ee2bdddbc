import { parseAuditInputs } from '../audit/inputs.js';
import { runAudit } from '../audit/run-audit.js';
import { auditMarkdown } from '../audit/summary.js';
import { runContextFromEnv } from '../github/run-context.js';
import { actionLogger, readInput, runAction, setOutputs, writeSummary } from './runtime.js';

/** The action: src/entrypoints/dr-audit.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = parseAuditInputs(readInput);
    const result = await runAudit({ ...settings, run: runContextFromEnv(), log: actionLogger });

    setOutputs({
      passed: result.passed,
      'findings-count': result.findingsCount,
      'failed-count': result.failedCount,
      'report-path': result.reportPath,
    });
    await writeSummary(auditMarkdown(result));

    if (!result.passed) {
      throw new Error(
        `${result.failedCount} of the plan's prerequisites at or above fail-on ${settings.failOn} are not in place: ${result.report.reasons.join('; ')}`,
      );
    }
  });
}
