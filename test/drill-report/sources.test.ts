import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../../src/errors.js';
import { loadSourceReports, sourceLabels } from '../../src/drill-report/sources.js';
import { recordingLogger, workspaceWith } from './helpers.js';

let workspace: { dir: string; cleanup: () => Promise<void> };

beforeEach(async () => {
  workspace = await workspaceWith('passing', true);
});

afterEach(async () => {
  await workspace.cleanup();
});

describe('gathering the reports of a drill', () => {
  test('a glob that also reaches history-dir gathers the reports and leaves the drill records out, saying so', async () => {
    const log = recordingLogger();
    const sources = await loadSourceReports(['**/*.json'], workspace.dir, log);
    expect(sources.map((s) => [s.label, s.file])).toEqual([
      ['failover', 'reports/failover-report.json'],
      ['restore-verify', 'reports/restore-verify-report.json'],
    ]);
    const warnings = log.lines.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings).toEqual([
      'docs/dr-drills/2025-04-01-14100000001.json is the record of a drill, not a report of one; left out',
      'docs/dr-drills/2025-07-01-17900000002.json is the record of a drill, not a report of one; left out',
      'docs/dr-drills/2025-10-01-19800000003.json is the record of a drill, not a report of one; left out',
    ]);
  });

  test('only drill records matched: an error, not an empty drill', async () => {
    const error = await loadSourceReports(['docs/**/*.json'], workspace.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /^reports matched only drill records \(docs\/dr-drills\/2025-04-01-14100000001\.json, /,
    );
  });

  test('a file that is not a report: an error naming it', async () => {
    const notAReport = fileURLToPath(new URL('../../package.json', import.meta.url));
    const error = await loadSourceReports([notAReport, 'reports/*.json'], workspace.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/package\.json is not a dr-actions report: version must be 1$/);
  });
});

describe('labels', () => {
  test('a kind alone when it is alone; otherwise what differs in the paths, the kind said once', () => {
    expect(
      sourceLabels([
        { kind: 'restore-verify', file: 'reports/restore-verify-orders/restore-verify-report.json' },
        { kind: 'restore-verify', file: 'reports/restore-verify-billing/restore-verify-report.json' },
        { kind: 'failover', file: 'reports/failover-plan/failover-report.json' },
      ]),
    ).toEqual(['restore-verify (orders)', 'restore-verify (billing)', 'failover']);
    expect(
      sourceLabels([
        { kind: 'failover', file: 'a/plan.json' },
        { kind: 'failover', file: 'a/execute.json' },
      ]),
    ).toEqual(['failover (plan)', 'failover (execute)']);
  });
});
