import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ConfigurationError } from '../../src/errors.js';
import { loadChecksFile, parseChecks } from '../../src/checks/checks-file.js';
import { splitSqlStatements, SqlSplitError } from '../../src/checks/sql-statements.js';

const sqls = (text: string) => splitSqlStatements(text).statements.map((s) => s.sql);

describe('splitting SQL into statements', () => {
  test('splits at top-level semicolons and keeps a last statement without one', () => {
    expect(sqls('SELECT 1; SELECT 2;\n\nSELECT 3')).toEqual(['SELECT 1', 'SELECT 2', 'SELECT 3']);
  });

  test('semicolons inside strings, identifiers, dollar quotes and comments do not split', () => {
    const text = [
      "SELECT 'a;b' = 'a;b';",
      "SELECT 'it''s; fine' IS NOT NULL;",
      "SELECT E'escaped \\' quote; still inside' <> '';",
      'SELECT count(*) >= 0 FROM "odd;name";',
      'SELECT $$ body; with ; semicolons $$ <> $$$$;',
      'SELECT $fn$ inner $$ not the end; $fn$ IS NOT NULL;',
      'SELECT true -- a comment; with a semicolon\n  AND true;',
      'SELECT /* outer /* nested; */ still comment; */ true;',
    ].join('\n');
    expect(sqls(text)).toEqual([
      "SELECT 'a;b' = 'a;b'",
      "SELECT 'it''s; fine' IS NOT NULL",
      "SELECT E'escaped \\' quote; still inside' <> ''",
      'SELECT count(*) >= 0 FROM "odd;name"',
      'SELECT $$ body; with ; semicolons $$ <> $$$$',
      'SELECT $fn$ inner $$ not the end; $fn$ IS NOT NULL',
      'SELECT true -- a comment; with a semicolon\n  AND true',
      'SELECT /* outer /* nested; */ still comment; */ true',
    ]);
  });

  test('a backslash in a standard string is an ordinary character', () => {
    expect(sqls("SELECT 'C:\\'; SELECT 2")).toEqual(["SELECT 'C:\\'", 'SELECT 2']);
  });

  test('$1 and identifiers holding $ are not dollar quotes', () => {
    expect(sqls('SELECT a$b$ FROM t; SELECT $1;')).toEqual(['SELECT a$b$ FROM t', 'SELECT $1']);
  });

  test("line numbers are those of each statement's first token, across multi-line strings and comments", () => {
    const text = "-- header\n\nSELECT 'one\ntwo';\n/* a\nb */\nSELECT $$x\ny$$;\n\n  SELECT 3;";
    expect(splitSqlStatements(text).statements.map((s) => s.line)).toEqual([3, 7, 10]);
  });

  test('directive comments stand before their statement; inside a statement they are plain comments', () => {
    const { statements, trailing } = splitSqlStatements(
      '-- name: first\n-- checklist: payments\nSELECT\n-- name: not a directive\ntrue;\nSELECT false;\n-- name: dangling\n',
    );
    expect(statements.map((s) => s.directives.map((d) => `${d.key}=${d.value}@${d.line}`))).toEqual([
      ['name=first@1', 'checklist=payments@2'],
      [],
    ]);
    expect(trailing).toEqual([{ key: 'name', value: 'dangling', line: 7 }]);
  });

  test.each([
    ["SELECT 'open", "line 1: this string opened with ' is never closed"],
    ['SELECT 1;\nSELECT "open', 'line 2: this quoted identifier opened with " is never closed'],
    ['SELECT 1;\n\nSELECT $tag$ open $other$', 'line 3: this dollar-quoted string $tag$ is never closed'],
    ['SELECT 1 /* open /* nested */', 'line 1: this /* comment is never closed'],
    ['SELECT 1;\n\\set x 1', 'line 2: psql meta-commands (\\set) are not supported: write plain SQL'],
  ])('%j cannot be split: %s', (text, message) => {
    let error: unknown;
    try {
      splitSqlStatements(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SqlSplitError);
    expect(`line ${(error as SqlSplitError).line}: ${(error as Error).message}`).toBe(message);
  });
});

describe('checks files', () => {
  test('names, default names and checklist tags', () => {
    const file = parseChecks(
      '-- name: users exist\n-- checklist: user-login, Payments\nSELECT count(*) > 0 FROM users;\n\nSELECT   true\n  AND   false;\n',
      'checks.sql',
    );
    expect(file).toEqual({
      path: 'checks.sql',
      checks: [
        { name: 'users exist', line: 3, sql: 'SELECT count(*) > 0 FROM users', checklist: ['user-login', 'payments'] },
        { name: 'line 5: SELECT true AND false', line: 5, sql: 'SELECT   true\n  AND   false', checklist: [] },
      ],
    });
  });

  test('a long unnamed statement gets a shortened name', () => {
    const sql = `SELECT ${'x'.repeat(100)} IS NULL`;
    expect(parseChecks(sql, 'c.sql').checks[0]?.name).toBe(`line 1: ${sql.slice(0, 60)}...`);
  });

  test('unknown comment keys are ordinary comments', () => {
    expect(parseChecks('-- TODO: more checks\n-- note: x\nSELECT true', 'c.sql').checks[0]?.name).toBe(
      'line 3: SELECT true',
    );
  });

  test.each([
    ["SELECT 1;\nSELECT 'open", "checks file 'c.sql' line 2: this string opened with ' is never closed"],
    [
      '-- only a comment\n',
      "checks file 'c.sql' holds no SQL statements; write one query per check, e.g. SELECT count(*) > 0 FROM users;",
    ],
    [
      'SELECT true;\n-- name: orphan',
      "checks file 'c.sql' line 2: '-- name: orphan' stands before no statement; put it right before the statement it describes",
    ],
    ['-- name:\nSELECT true', "checks file 'c.sql' line 1: '-- name:' needs a name after the colon"],
    [
      '-- name: a\n-- name: b\nSELECT true',
      "checks file 'c.sql' line 2: the statement on line 3 already has a name ('a'); give it one name",
    ],
    [
      '-- checklist: login\nSELECT true',
      "checks file 'c.sql' line 1: unknown checklist item 'login'; use user-login or payments",
    ],
    [
      '-- name: same\nSELECT true;\n-- name: same\nSELECT false;',
      "checks file 'c.sql' names two checks 'same' (lines 2 and 4); give each its own name",
    ],
  ])('%j is refused', (text, message) => {
    let error: unknown;
    try {
      parseChecks(text, 'c.sql');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(message);
  });

  describe('on disk', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'dr-checks-'));
      await writeFile(join(dir, 'checks.sql'), '-- name: ok\nSELECT true;\n');
      await mkdir(join(dir, 'folder.sql'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    test('a relative path is read from the working directory', () => {
      expect(loadChecksFile('checks.sql', dir).checks.map((c) => c.name)).toEqual(['ok']);
    });

    test('a missing file names the file and where it was looked for', () => {
      expect(() => loadChecksFile('missing.sql', dir)).toThrow(
        new ConfigurationError(`checks file 'missing.sql' does not exist (looked for ${join(dir, 'missing.sql')})`),
      );
    });

    test('a folder is refused', () => {
      expect(() => loadChecksFile('folder.sql', dir)).toThrow(
        new ConfigurationError("checks 'folder.sql' is not a file; name a .sql file of checks"),
      );
    });
  });
});
