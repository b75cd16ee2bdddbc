import * as core from '@actions/core';
import { drillVerdict } from '../drill-report/drill.js';
import { parseDrillReportInputs } from '../drill-report/inputs.js';
import { SUMMARY_LIMIT, truncateMarkdown } from '../drill-report/pr-body.js';
import { runDrillReport } from '../drill-report/run-drill-report.js';
import { runContextFromEnv } from '../github/run-context.js';
import { actionLogger, maskInput, readInput, runAction, setOutputs, writeSummary } from './runtime.js';

/** The action: src/entrypoints/drill-report.ts runs it on the runner, @github/local-action runs it locally. */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Masked before anything is parsed or logged, so no later line can show it.
    maskInput('github-token');
    const settings = parseDrillReportInputs(readInput);
    const result = await runDrillReport({
      ...settings,
      workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
      run: runContextFromEnv(),
      log: actionLogger,
    });

    setOutputs({
      'report-path': result.files.markdownPath,
      'pr-url': result.pullRequest?.url,
      passed: result.report.passed,
    });
    const fullReport = result.pullRequest?.url ?? result.files.markdownPath;
    await writeSummary(truncateMarkdown(result.markdown, fullReport, SUMMARY_LIMIT));

    if (result.pullRequest) core.info(`pull request: ${result.pullRequest.url}`);
    const verdict = drillVerdict(result.report);
    if (verdict !== 'passed')
      core.warning(
        `the drill ${verdict === 'failed' ? 'failed' : 'is incomplete'}: ${result.report.reasons.join('; ')}`,
      );
  });
}
