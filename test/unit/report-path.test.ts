import { describe, expect, test, beforeAll, afterAll } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReportPath } from '../../src/report/report-path.js';
import { refusalOf } from '../helpers/refusal.js';

describe('parseReportPath, the report-path input of every action that writes a report', () => {
  let workspace: string;
  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'report-path-'));
    mkdirSync(join(workspace, 'reports'));
    writeFileSync(join(workspace, 'notes.txt'), '');
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  const parse = (input: string) => parseReportPath(input, 'x-report.json', workspace);

  test.each([
    ['', 'x-report.json'],
    ['  out/run.json \n', 'out/run.json'],
    ['reports/run.json', 'reports/run.json'],
    ['reports/new/deeper/run.json', 'reports/new/deeper/run.json'],
    ['../outside.json', '../outside.json'],
    ['/tmp/runner/x.json', '/tmp/runner/x.json'],
  ])('%j is a file to write: %s', (input, path) => {
    expect(parse(input)).toBe(path);
  });

  test.each([
    ['reports/', "report-path 'reports/' is a folder; name a file, e.g. reports/x-report.json"],
    ['reports', "report-path 'reports' is a folder; name a file, e.g. reports/x-report.json"],
    ['.', "report-path '.' is a folder; name a file, e.g. ./x-report.json"],
    ['out/..', "report-path 'out/..' is a folder; name a file, e.g. out/../x-report.json"],
    ['out\\', "report-path 'out\\' is a folder; name a file, e.g. out\\x-report.json"],
    [
      'out/a\nb.json',
      'report-path contains a line break or another control character; name a file on one line, e.g. x-report.json',
    ],
    [
      'out/a\u0000.json',
      'report-path contains a line break or another control character; name a file on one line, e.g. x-report.json',
    ],
  ])('%j is refused', (input, message) => {
    expect(refusalOf(() => parse(input))).toBe(message);
  });

  test('a path under a file is refused, naming the file', () => {
    expect(refusalOf(() => parse('notes.txt/run.json'))).toBe(
      `report-path 'notes.txt/run.json' is under ${join(workspace, 'notes.txt')}, which is a file, not a folder; name a file in a folder`,
    );
  });
});
