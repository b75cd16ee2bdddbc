import { join } from 'node:path';
import { createGitHubClient, type GitHubClient } from '../github/client.js';
import type { RunContext } from '../github/run-context.js';
import type { Logger } from '../util/logger.js';
import { VERDICT_MARK } from './coverage.js';
import { buildDrillReport, drillVerdict, type DrillReport } from './drill.js';
import { drillFiles, drillJson, writeDrillFiles, type DrillFiles } from './files.js';
import { loadPastDrills } from './history.js';
import type { DrillReportSettings } from './inputs.js';
import { openDrillPullRequest, type DrillPullRequest } from './pull-request.js';
import { renderDrillMarkdown } from './render.js';
import { loadSourceReports } from './sources.js';

export interface DrillReportOptions extends DrillReportSettings {
  /** Where globs, history-dir and the written files are relative to (the checkout). */
  workspace: string;
  run: RunContext;
  log: Logger;
  now?: Date;
  /** Built from the pull request settings when absent. */
  client?: GitHubClient;
}

export interface DrillReportResult {
  report: DrillReport;
  markdown: string;
  files: DrillFiles;
  /** How many earlier drills the trend drew on. */
  pastDrills: number;
  pullRequest?: DrillPullRequest;
}

function commitMessage(report: DrillReport, files: DrillFiles): string {
  const verdict = drillVerdict(report);
  const lines = [
    `${report.details.title} ${report.startedAt.slice(0, 10)}: ${verdict}`,
    '',
    `Adds ${files.markdownPath} and its JSON record.`,
  ];
  if (report.run.url) lines.push(`Gathered by ${report.run.url}`);
  return lines.join('\n');
}

/**
 * Gathers a drill's reports, renders the report against the earlier drills in history-dir,
 * writes <history-dir>/<date>-<run id>.md and .json, and, when asked, opens the pull request
 * that records them.
 */
export async function runDrillReport(options: DrillReportOptions): Promise<DrillReportResult> {
  const sources = await loadSourceReports(options.reports, options.workspace, options.log);
  options.log.info(`read ${sources.length} report(s): ${sources.map((s) => `${s.label} (${s.file})`).join(', ')}`);
  const report = buildDrillReport({ title: options.title, reports: sources, run: options.run, now: options.now });
  const files = drillFiles(report, options.historyDir);
  const past = await loadPastDrills(join(options.workspace, options.historyDir), options.log, files.name);
  const markdown = renderDrillMarkdown(report, { past: past.map((p) => p.report), historyDir: options.historyDir });
  const json = drillJson(report);
  await writeDrillFiles(options.workspace, files, markdown, json);
  options.log.info(`wrote ${files.markdownPath} and ${files.jsonPath} (${past.length} earlier drill(s) in the trend)`);

  const result: DrillReportResult = { report, markdown, files, pastDrills: past.length };
  if (!options.pullRequest) return result;

  const client = options.client ?? createGitHubClient(options.pullRequest.token, options.pullRequest.apiUrl);
  const date = report.startedAt.slice(0, 10);
  result.pullRequest = await openDrillPullRequest(
    client,
    options.pullRequest,
    {
      branch: `dr-drill/${files.name}`,
      title: `${VERDICT_MARK[drillVerdict(report)]} ${report.details.title} ${date}: ${drillVerdict(report)}`,
      commitMessage: commitMessage(report, files),
      files: [
        { path: files.markdownPath, content: markdown },
        { path: files.jsonPath, content: json },
      ],
      markdown,
      markdownPath: files.markdownPath,
    },
    options.log,
  );
  return result;
}
