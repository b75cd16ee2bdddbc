import { describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../src/errors.js';
import { parseReport } from '../../src/report/parse.js';
import { FIXTURES } from './helpers.js';

async function raw(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(FIXTURES, 'passing', 'restore-verify-report.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

function problem(document: unknown): string {
  try {
    parseReport(typeof document === 'string' ? document : JSON.stringify(document), 'reports/x.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('parseReport accepted it');
}

describe('reading a report against the shared contract', () => {
  test('a fixture report reads back whole, details untouched', async () => {
    const document = await raw();
    const report = parseReport(JSON.stringify(document), 'x.json');
    expect(report).toEqual(document);
  });

  test('each broken field is named, with the file', async () => {
    const document = await raw();
    expect(problem('{"version": 1,')).toMatch(/^reports\/x\.json is not JSON \(/);
    expect(problem([1, 2])).toBe('reports/x.json is not a dr-actions report: the document must be an object');
    expect(problem({ ...document, version: 2 })).toMatch(/report version 2, newer than this dr-actions reads \(1\)/);
    expect(problem({ ...document, version: undefined })).toBe(
      'reports/x.json is not a dr-actions report: version must be 1',
    );
    expect(problem({ ...document, kind: '' })).toBe(
      'reports/x.json is not a dr-actions report: kind must be a non-empty string',
    );
    expect(problem({ ...document, startedAt: 'yesterday' })).toBe(
      "reports/x.json is not a dr-actions report: startedAt must be an ISO-8601 time, got 'yesterday'",
    );
    expect(problem({ ...document, passed: 'yes' })).toBe(
      'reports/x.json is not a dr-actions report: passed must be true or false',
    );
    expect(problem({ ...document, steps: {} })).toBe('reports/x.json is not a dr-actions report: steps must be a list');
    const steps = document.steps as Record<string, unknown>[];
    expect(problem({ ...document, steps: [steps[0], { ...steps[1], status: 'ok' }] })).toBe(
      'reports/x.json is not a dr-actions report: steps[1].status must be one of passed, failed, skipped',
    );
    const objectives = document.objectives as Record<string, unknown>[];
    expect(problem({ ...document, objectives: [{ ...objectives[0], name: 'MTTR' }] })).toBe(
      'reports/x.json is not a dr-actions report: objectives[0].name must be RTO or RPO',
    );
    expect(problem({ ...document, objectives: [{ ...objectives[0], targetSeconds: -1 }] })).toBe(
      'reports/x.json is not a dr-actions report: objectives[0].targetSeconds must be a number of seconds (0 or more)',
    );
  });

  test('checklist rows under keys this version does not know are left out; known rows keep the plan’s wording', async () => {
    const document = await raw();
    const checklist = [
      { key: 'dnsSwitched', item: 'DNS switched', status: 'passed' },
      { key: 'rto', item: 'anything', status: 'passed', detail: 'd' },
    ];
    expect(parseReport(JSON.stringify({ ...document, checklist }), 'x.json').checklist).toEqual([
      { key: 'rto', item: 'Recovery time within RTO', status: 'passed', detail: 'd' },
    ]);
  });

  test('an objective that was not measured has no verdict, whatever its producer wrote', async () => {
    const document = await raw();
    const objectives = document.objectives as Record<string, unknown>[];
    const report = parseReport(
      JSON.stringify({ ...document, objectives: [{ ...objectives[0], measuredSeconds: null, passed: true }] }),
      'x.json',
    );
    expect(report.objectives[0]?.passed).toBeNull();
  });
});
