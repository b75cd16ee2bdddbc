import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDrillReport, type SourceReport } from '../../src/drill-report/drill.js';
import { loadPastDrills } from '../../src/drill-report/history.js';
import { renderIncidentMarkdown, timeline } from '../../src/drill-report/incident.js';
import { TEAM_FILLS_IN } from '../../src/drill-report/post-mortem.js';
import { checklistItem } from '../../src/report/checklist.js';
import { newReport, objective, type ReportStep } from '../../src/report/report.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { firstPullRequestCalls, GitHubRecorder } from './github-recorder.js';
import { recordingLogger, workspaceWith } from './helpers.js';
import { sections } from './markdown-structure.js';

const RUN = {
  repository: 'acme/shop',
  workflow: 'Recover the application',
  runId: '21450009001',
  url: 'https://github.com/acme/shop/actions/runs/21450009001',
};

const step = (
  name: string,
  startedAt: string,
  finishedAt: string,
  detail?: string,
  status: ReportStep['status'] = 'passed',
): ReportStep => ({
  name,
  status,
  startedAt,
  finishedAt,
  durationSeconds: (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000,
  ...(detail ? { detail } : {}),
});

/** A real application recovery, as recover-application reports it: restart, health, logs; the RTO from outage-started-at. */
function applicationRecovery(measuredSeconds: number): SourceReport {
  const steps = [
    step(
      'Restart the application',
      '2026-03-14T09:40:00.000Z',
      '2026-03-14T09:42:30.000Z',
      "ssh deploy@app 'docker compose up -d' exited with code 0",
    ),
    step(
      'Wait for health',
      '2026-03-14T09:42:30.000Z',
      '2026-03-14T09:43:10.000Z',
      'https://api.acme.example/api/v1/health/ answered HTTP 200 after 4 attempts',
    ),
    step(
      'Check the logs for errors',
      '2026-03-14T09:43:10.000Z',
      '2026-03-14T09:43:12.000Z',
      'none of 812 log lines matches log-errors',
    ),
  ];
  const rto = objective(
    'RTO',
    'application crash',
    'outage-started-at to https://api.acme.example/api/v1/health/ answering HTTP 200',
    1800,
    measuredSeconds,
  );
  return {
    label: 'recover-application',
    file: 'reports/recover-application-execute/recover-application-report.json',
    report: newReport({
      kind: 'recover-application',
      run: { ...RUN, job: 'execute' },
      startedAt: '2026-03-14T09:40:00.000Z',
      finishedAt: '2026-03-14T09:43:12.000Z',
      passed: rto.passed === true,
      reasons: rto.passed ? [] : [`the application recovered in ${measuredSeconds} s, over the RTO`],
      steps,
      objectives: [rto],
      checklist: [
        checklistItem('applicationStarts', 'passed', 'health answered; no log errors'),
        checklistItem('rto', rto.passed ? 'passed' : 'failed'),
      ],
      details: {
        mode: 'execute',
        application: 'api.acme.example',
        drill: false,
        rto: { recoveredAt: '2026-03-14T09:43:10.000Z' },
      },
    }),
  };
}

/** A failover whose steps interleave with nothing: it ran first. */
function failover(): SourceReport {
  return {
    label: 'failover',
    file: 'reports/failover-execute/failover-report.json',
    report: newReport({
      kind: 'failover',
      run: { ...RUN, job: 'execute' },
      startedAt: '2026-03-14T09:31:00.000Z',
      finishedAt: '2026-03-14T09:38:00.000Z',
      passed: true,
      reasons: [],
      steps: [
        step('preflight', '2026-03-14T09:31:00.000Z', '2026-03-14T09:31:05.000Z'),
        step('promote', '2026-03-14T09:31:05.000Z', '2026-03-14T09:38:00.000Z', 'saas-production-replica promoted'),
      ],
      objectives: [
        objective('RTO', 'regional outage', 'start of execute to the new primary being available', 28_800, 420),
      ],
      checklist: [checklistItem('rto', 'passed')],
      details: { mode: 'execute', promoted: true, replica: { id: 'saas-production-replica' } },
    }),
  };
}

const incident = (reports: SourceReport[]) =>
  buildDrillReport({ title: 'Disaster recovery incident', reports, run: RUN, incident: true });

describe('drill-report kind incident: the post-mortem of a real recovery', () => {
  test('a recovery is recovered or not, never incomplete, and its record says it is an incident', () => {
    const report = incident([applicationRecovery(1510)]);
    expect(report).toMatchObject({
      kind: 'drill-report',
      passed: true,
      reasons: [],
      details: { incident: true, verdict: 'passed', meantToCheck: [], unchecked: [] },
    });
    // The same reports as a drill: the recover-application report is meant to check its rows, which it did.
    expect(buildDrillReport({ title: 'drill', reports: [applicationRecovery(1510)], run: RUN }).details).toMatchObject({
      verdict: 'passed',
      meantToCheck: ['applicationStarts', 'rto'],
    });
    // A failover alone is no rehearsal of the checklist, but it is a recovery.
    expect(incident([failover()]).details.verdict).toBe('passed');
    expect(buildDrillReport({ title: 'drill', reports: [failover()], run: RUN }).details.verdict).toBe('passed');
  });

  test('the markdown: verdict, reports, a timeline of every step in the order it started, objectives, steps, the post-mortem; no trend', () => {
    const markdown = renderIncidentMarkdown(incident([applicationRecovery(1510), failover()]));
    expect(markdown.split('\n')[0]).toBe('# ✅ Disaster recovery incident, 2026-03-14: recovered');
    expect(markdown.split('\n')[2]).toBe(
      '**Recovered.** 2 reports: ✅ failover, ✅ recover-application. Objectives met: RTO for regional outage, RTO for application crash; missed: none.',
    );
    expect([...sections(markdown).keys()]).toEqual([
      'Reports',
      'Timeline',
      'Objectives against measured values',
      'Step timings',
      'Post-mortem',
    ]);
    expect(sections(markdown).get('Timeline')?.trim().split('\n')).toEqual([
      '- 2026-03-14 09:31:00 UTC: failover: preflight (passed, 5.00 s)',
      '- 2026-03-14 09:31:05 UTC: failover: promote (passed, 6 min 55 s): saas-production-replica promoted',
      "- 2026-03-14 09:40:00 UTC: recover-application: Restart the application (passed, 2 min 30 s): ssh deploy@app 'docker compose up -d' exited with code 0",
      '- 2026-03-14 09:42:30 UTC: recover-application: Wait for health (passed, 40.0 s): https://api.acme.example/api/v1/health/ answered HTTP 200 after 4 attempts',
      '- 2026-03-14 09:43:10 UTC: recover-application: Check the logs for errors (passed, 2.00 s): none of 812 log lines matches log-errors',
    ]);
    expect(markdown).not.toContain('## Trend');
    expect(markdown).not.toContain('drill was scheduled');
  });

  test("the plan's post-mortem questions answered from the reports: when, the outage, each step with its time, the objectives met or missed; the cause left to the team", () => {
    const postMortem = sections(renderIncidentMarkdown(incident([applicationRecovery(2400)]))).get('Post-mortem') ?? '';
    expect(postMortem).toContain(
      `   - What happened? ${TEAM_FILLS_IN} The recovery that ran:\n     - recover-application failed: the application recovered in 2400 s, over the RTO (api.acme.example restarted: healthy at 2026-03-14T09:43:10.000Z), in 3 min 12 s.`,
    );
    expect(postMortem).toContain(
      `   - When did it happen? The recovery ran 2026-03-14 09:40:00 UTC to 2026-03-14 09:43:12 UTC ([run](${RUN.url})); the outage began: ${TEAM_FILLS_IN}`,
    );
    // Measured from outage-started-at: the outage is the measurement, nothing to add.
    expect(postMortem).toContain(
      '   - How long was the outage?\n     - 40 min 0 s for application crash (outage-started-at to https://api.acme.example/api/v1/health/ answering HTTP 200)\n\n',
    );
    expect(postMortem).toContain(
      '     - 2026-03-14 09:42:30 UTC: recover-application: Wait for health (passed, 40.0 s)',
    );
    expect(postMortem).toContain(
      '   - How long did each step take?\n     - recover-application: Restart the application 2 min 30 s, Wait for health 40.0 s, Check the logs for errors 2.00 s',
    );
    expect(postMortem).toContain(
      '   - Objectives:\n     - RTO for application crash: 40 min 0 s (outage-started-at to https://api.acme.example/api/v1/health/ answering HTTP 200), 133% of the target 30 min 0 s: ❌ missed',
    );
    expect(postMortem).toContain(
      '   - Were procedures effective? No: objectives missed: RTO for application crash (outage-started-at to https://api.acme.example/api/v1/health/ answering HTTP 200).',
    );
    for (const question of ['Why did it happen?', 'What was the root cause?', 'What were contributing factors?'])
      expect(postMortem).toContain(`${question} ${TEAM_FILLS_IN}`);
    expect(postMortem).toContain(
      '   - [ ] Fix: recover-application: the application recovered in 2400 s, over the RTO',
    );
    expect(postMortem).not.toContain('Cover in the next drill');
  });

  test('an RTO measured from the start of the run asks for the time before it', () => {
    const postMortem = sections(renderIncidentMarkdown(incident([failover()]))).get('Post-mortem') ?? '';
    expect(postMortem).toContain(
      `     - 7 min 0 s for regional outage (start of execute to the new primary being available)\n     - Add the time from the first alert to the start of the recovery (2026-03-14 09:31:00 UTC): ${TEAM_FILLS_IN}`,
    );
    expect(timeline([])).toEqual([]);
  });
});

describe('incidents and the drills’ history', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  test("an incident's record found among the drills is left out of their trend", async () => {
    const workspace = await workspaceWith('passing', true);
    cleanups.push(workspace.cleanup);
    const dir = join(workspace.dir, 'docs', 'dr-drills');
    await writeFile(join(dir, '2026-03-14-21450009001.json'), JSON.stringify(incident([failover()])));
    const log = recordingLogger();
    const past = await loadPastDrills(dir, log);
    expect(past.map((p) => p.name)).toEqual([
      '2025-04-01-14100000001',
      '2025-07-01-17900000002',
      '2025-10-01-19800000003',
    ]);
    expect(log.lines.filter((l) => l.message.includes('2026-03-14-21450009001'))).toEqual([
      {
        level: 'info',
        message: `${join(dir, '2026-03-14-21450009001.json')} is the record of an incident, not of a drill; left out of the trend`,
      },
    ]);
  });

  test('the bundled action with kind incident writes docs/dr-incidents and opens the post-mortem pull request', async () => {
    const TOKEN = 'ghs_incidentToken0123456789abcdef0123';
    const github = await new GitHubRecorder({ token: TOKEN }).start();
    const workspace = await workspaceWith('passing', true);
    cleanups.push(() => github.stop(), workspace.cleanup);
    await mkdir(join(workspace.dir, 'incident'));
    await writeFile(
      join(workspace.dir, 'incident', 'recover-application-report.json'),
      JSON.stringify(applicationRecovery(1510).report),
    );
    const run = await runBundledAction(
      'drill-report',
      {
        reports: 'incident/*.json',
        kind: 'incident',
        'open-pr': 'true',
        'github-token': TOKEN,
        labels: 'disaster-recovery, incident',
      },
      {
        cwd: workspace.dir,
        env: {
          GITHUB_REPOSITORY: 'acme/shop',
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_RUN_ID: '21450009001',
          GITHUB_API_URL: github.url,
        },
      },
    );
    expect([run.exitCode, run.stderr]).toEqual([0, '']);
    const name = '2026-03-14-21450009001';
    expect(run.outputs).toEqual({
      'report-path': `docs/dr-incidents/${name}.md`,
      'pr-url': 'https://github.com/acme/shop/pull/1',
      passed: 'true',
    });
    const markdown = await readFile(join(workspace.dir, 'docs/dr-incidents', `${name}.md`), 'utf8');
    expect(markdown.split('\n')[0]).toBe('# ✅ Disaster recovery incident, 2026-03-14: recovered');
    expect(github.sequence()).toEqual(firstPullRequestCalls(github.baseSha));
    expect(github.pulls[0]).toMatchObject({
      head: `dr-incident/${name}`,
      title: '✅ Post-mortem: Disaster recovery incident 2026-03-14: recovered',
      body: markdown,
      labels: ['disaster-recovery', 'incident'],
    });
    expect(run.stdout).not.toContain('earlier drill(s) in the trend');
  });
});
