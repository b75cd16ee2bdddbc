import { code, codeBlock, MARK, table, text } from '../report/markdown.js';
import { checklistSection, objectivesSection, reasonsSection, stepsSection } from '../report/report-sections.js';
import { formatDuration } from '../util/format.js';
import { describeProbe } from '../health/wait.js';
import { SCENARIO, type RecoverApplicationReport } from './application-report.js';

function heading(report: RecoverApplicationReport): string {
  const what = code(report.details.application);
  if (report.details.mode === 'plan') return `## 📋 Application recovery plan for ${what}`;
  const drill = report.details.drill ? ' (drill)' : '';
  return report.passed
    ? `## ${MARK.passed} Application ${what} recovered${drill}`
    : `## ${MARK.failed} Application recovery of ${what} failed${drill}`;
}

function commandsSection(report: RecoverApplicationReport): string[] {
  const { commands, health, passEnv } = report.details;
  const rows = [
    ...(commands.crash ? [['1. crash (drill)', code(commands.crash)]] : []),
    ['restart', code(commands.restart)],
    [
      'wait for health',
      `${code(health.url)} answering HTTP ${health.expectStatus}, for at most ${formatDuration(health.timeoutSeconds)}`,
    ],
    ['check the logs', commands.log ? code(commands.log) : 'no log-command'],
  ];
  const env = passEnv.length
    ? `The commands see the documented variables and ${passEnv.map(code).join(', ')} (pass-env), nothing else.`
    : 'The commands see only the documented variables (no pass-env).';
  return [
    report.details.mode === 'plan' ? '### What execute would run, in order' : '### The commands, in order',
    '',
    table(['step', 'command'], rows),
    '',
    env,
    '',
  ];
}

function logSection(report: RecoverApplicationReport): string[] {
  const scan = report.details.logScan;
  if (!scan || scan.matches === 0) return [];
  const more =
    scan.matches > scan.shown.length ? `\n\n…and ${scan.matches - scan.shown.length} more (see the job log)` : '';
  return [`### Log lines matching ${code(scan.pattern)}`, '', codeBlock(scan.shown.join('\n'), 'text') + more, ''];
}

function overview(report: RecoverApplicationReport): string[] {
  const { details } = report;
  if (details.mode === 'plan') {
    const before = details.health.before ? text(describeProbe(details.health.before)) : 'not probed';
    return [
      table(
        ['', ''],
        [
          ['Mode', 'plan (nothing was run)'],
          ['Health now', before],
          ['Plan digest', code(details.planDigest)],
        ],
      ),
      '',
    ];
  }
  const rto = details.rto;
  return [
    table(
      ['', ''],
      [
        ['Mode', details.drill ? 'execute, drill (crash-command first)' : 'execute'],
        ['RTO measured from', `${rto.from}${rto.startedAt ? ` (${rto.startedAt})` : ''}`],
        ['Recovered', rto.recoveredAt ? `${rto.recoveredAt}, after ${formatDuration(rto.recoverySeconds ?? 0)}` : 'no'],
        ['Duration of this run', formatDuration(report.durationSeconds)],
      ],
    ),
    '',
  ];
}

/** The job summary: what ran (or would), how it ended, the RTO, the log lines that failed it. */
export function recoverApplicationMarkdown(report: RecoverApplicationReport): string {
  const lines = [
    heading(report),
    '',
    ...reasonsSection(report.reasons),
    ...overview(report),
    ...commandsSection(report),
    ...logSection(report),
    ...stepsSection(report.steps),
  ];
  if (report.details.mode === 'execute')
    lines.push(...objectivesSection(report.objectives, SCENARIO), ...checklistSection(report.checklist));
  return `${lines.join('\n')}\n`;
}
