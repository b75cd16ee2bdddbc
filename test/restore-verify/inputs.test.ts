import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseRestoreVerifyInputs, type RestoreVerifySettings } from '../../src/restore/inputs.js';
import { describeSelector, parseBackupSelector } from '../../src/storage/backup-selector.js';
import { refusalOf } from '../helpers/refusal.js';

const TARGET = 'postgres://restorer:s3cret@127.0.0.1:5432/restore_verify';
const BASE: Record<string, string> = { bucket: 'saas-backups', 'target-database-url': TARGET };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dr-inputs-'));
  await writeFile(join(dir, 'checks.sql'), '-- name: users exist\nSELECT count(*) > 0 FROM users;\n');
  await writeFile(join(dir, 'smoke.sh'), '#!/bin/sh\nexit 0\n');
  await chmod(join(dir, 'smoke.sh'), 0o755);
  await writeFile(join(dir, 'not-executable.sh'), '#!/bin/sh\n');
  await writeFile(join(dir, 'broken.sql'), "SELECT true;\nSELECT 'unterminated;\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function parse(
  inputs: Record<string, string>,
  env: NodeJS.ProcessEnv = { PATH: process.env.PATH },
): RestoreVerifySettings {
  const all = { ...BASE, ...inputs };
  return parseRestoreVerifyInputs((name) => all[name] ?? '', env, dir);
}

function errorOf(inputs: Record<string, string>, env?: NodeJS.ProcessEnv): string {
  return refusalOf(() => parse(inputs, env));
}

describe('restore-verify inputs', () => {
  test('defaults', () => {
    const settings = parse({}, { PATH: process.env.PATH, RUNNER_TEMP: '/runner/tmp' });
    expect(settings).toMatchObject({
      bucket: 'saas-backups',
      prefix: 'database/',
      aws: { region: 'us-east-1', endpointUrl: undefined },
      backup: { kind: 'latest' },
      source: undefined,
      allowOverwrite: false,
      keepDatabase: false,
      jobs: availableParallelism(),
      checks: undefined,
      smokeCommand: undefined,
      smokeTimeoutSeconds: 600,
      smokeEnv: [],
      rtoSeconds: 3600,
      rpoSeconds: 3600,
      reportPath: 'restore-verify-report.json',
      tempDir: '/runner/tmp',
    });
    expect(settings.target).toMatchObject({
      database: 'restore_verify',
      host: '127.0.0.1',
      port: 5432,
      user: 'restorer',
      password: 's3cret',
    });
    expect(settings.target.url).not.toContain('s3cret');
    expect(parse({}, { PATH: process.env.PATH }).tempDir).toBe(tmpdir());
  });

  test('every input read', () => {
    const settings = parse({
      prefix: 'prod/main/',
      region: 'eu-west-1',
      'endpoint-url': 'http://127.0.0.1:9000/',
      backup: 'random',
      'source-database-url': 'postgres://app:prod@db.internal:5432/saas_production',
      'allow-overwrite': 'true',
      'keep-database': 'TRUE',
      jobs: '3',
      checks: 'checks.sql',
      'smoke-command': `./smoke.sh --flag "two words"`,
      'smoke-timeout-seconds': '30',
      'rto-seconds': '1800',
      'rpo-seconds': '900',
      'report-path': 'out/report.json',
    });
    expect(settings).toMatchObject({
      prefix: 'prod/main/',
      aws: { region: 'eu-west-1', endpointUrl: 'http://127.0.0.1:9000' },
      backup: { kind: 'random' },
      allowOverwrite: true,
      keepDatabase: true,
      jobs: 3,
      smokeCommand: ['./smoke.sh', '--flag', 'two words'],
      smokeTimeoutSeconds: 30,
      smokeEnv: [],
      rtoSeconds: 1800,
      rpoSeconds: 900,
      reportPath: 'out/report.json',
    });
    expect(settings.source?.display).toBe('app@db.internal:5432/saas_production');
    expect(settings.checks?.checks.map((c) => c.name)).toEqual(['users exist']);
  });

  test("smoke-env: names of the step's variables, each set, passed on to the smoke command", () => {
    const env = { PATH: process.env.PATH, APP_DB_PASSWORD: 'x', RAILS_ENV: '' };
    expect(
      parse({ 'smoke-command': "sh -c 'exit 0'", 'smoke-env': 'APP_DB_PASSWORD, RAILS_ENV APP_DB_PASSWORD' }, env)
        .smokeEnv,
    ).toEqual(['APP_DB_PASSWORD', 'RAILS_ENV']);
    expect(errorOf({ 'smoke-env': 'APP_DB_PASSWORD' }, env)).toBe(
      'smoke-env is set but smoke-command is empty; give the command the variables are for, or remove smoke-env',
    );
    expect(errorOf({ 'smoke-command': "sh -c 'exit 0'", 'smoke-env': 'INPUT_ROLE-PASSWORDS' }, env)).toBe(
      "smoke-env: INPUT_ROLE-PASSWORDS is one of the action's own inputs, which are never passed on; set the value in the step's env under a name of its own",
    );
    expect(errorOf({ 'smoke-command': "sh -c 'exit 0'", 'smoke-env': 'APP-PASSWORD' }, env)).toBe(
      "smoke-env: 'APP-PASSWORD' is not an environment variable name; give names such as APP_DB_PASSWORD, separated by spaces or commas",
    );
    expect(errorOf({ 'smoke-command': "sh -c 'exit 0'", 'smoke-env': 'input_bucket' }, env)).toBe(
      "smoke-env: input_bucket is one of the action's own inputs, which are never passed on; set the value in the step's env under a name of its own",
    );
    expect(errorOf({ 'smoke-command': "sh -c 'exit 0'", 'smoke-env': 'DATABASE_URL' }, env)).toBe(
      'smoke-env: DATABASE_URL is set by the action to the restored database; remove it from smoke-env',
    );
    expect(errorOf({ 'smoke-command': "sh -c 'exit 0'", 'smoke-env': 'APP_PASSWORD' }, env)).toBe(
      "smoke-env names APP_PASSWORD, which the step's environment does not have; set it in the step's env (e.g. from a secret)",
    );
  });

  test('a command on PATH needs no path', () => {
    expect(parse({ 'smoke-command': "sh -c 'exit 0'" }).smokeCommand).toEqual(['sh', '-c', 'exit 0']);
    expect(parse({ 'smoke-command': '   ' }).smokeCommand).toBeUndefined();
  });

  test.each<[string, Record<string, string>, string]>([
    ['no bucket', { bucket: '' }, 'bucket is required: the S3 bucket that holds the backups'],
    ['a bad prefix', { prefix: 'database' }, "prefix 'database' must end with '/', e.g. 'database/'"],
    [
      'no target',
      { 'target-database-url': '' },
      'target-database-url is required, e.g. postgres://user:password@host:5432/database',
    ],
    [
      'a target that is not a URL',
      { 'target-database-url': 'restore_verify' },
      'target-database-url is not a valid URL; expected postgres://user:password@host:5432/database (percent-encode special characters in the password)',
    ],
    [
      'a target without a database',
      { 'target-database-url': 'postgres://u:p@host:5432/' },
      'target-database-url names no database; add it after the host, e.g. postgres://user:password@host:5432/database',
    ],
    [
      'a target name over 63 bytes',
      { 'target-database-url': `postgres://u@h/${'x'.repeat(64)}` },
      'target-database-url names a database of 64 bytes; PostgreSQL cuts names to 63 bytes, so use a shorter name',
    ],
    [
      'a target name with a control character',
      { 'target-database-url': 'postgres://u@h/bad%0Aname' },
      'target-database-url names a database with control characters; use letters, digits and underscores, e.g. restore_verify',
    ],
    [
      'the postgres database as target',
      { 'target-database-url': 'postgres://u@h/postgres' },
      "target-database-url names 'postgres', a database every PostgreSQL server needs; name a scratch database such as restore_verify",
    ],
    [
      'template1 as target',
      { 'target-database-url': 'postgres://u@h/template1' },
      "target-database-url names 'template1', a database every PostgreSQL server needs; name a scratch database such as restore_verify",
    ],
    [
      'a bad source',
      { 'source-database-url': 'mysql://x@y/z' },
      'source-database-url must start with postgres:// or postgresql://, e.g. postgres://user:password@host:5432/database',
    ],
    [
      'a source that is the target, spelled localhost',
      { 'source-database-url': 'postgresql://other:pw@LOCALHOST/restore_verify' },
      'target-database-url and source-database-url are the same database (restorer@127.0.0.1:5432/restore_verify); restore-verify creates and drops its target, so name a scratch database',
    ],
    [
      'a source that is the target, spelled ::1',
      { 'source-database-url': 'postgres://x@[::1]:5432/restore_verify' },
      'target-database-url and source-database-url are the same database (restorer@127.0.0.1:5432/restore_verify); restore-verify creates and drops its target, so name a scratch database',
    ],
    ['a bad region', { region: 'Frankfurt' }, "region 'Frankfurt' is not an AWS region name like us-east-1"],
    ['a bad endpoint', { 'endpoint-url': 'ftp://x' }, "endpoint-url must be an http:// or https:// URL, got 'ftp://x'"],
    [
      'a date without a time',
      { backup: '2026-03-01' },
      "backup '2026-03-01' is a date without a time; write the instant, e.g. 2026-03-01T23:59:59Z for the end of that day (UTC)",
    ],
    [
      'month 13',
      { backup: '2026-13-01T00:00:00Z' },
      "backup '2026-13-01T00:00:00Z' is not a time: there is no month 13; correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      'February 30',
      { backup: '2026-02-30T12:00Z' },
      "backup '2026-02-30T12:00Z' is not a time: February 2026 has no day 30 (it has 28 days); correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      'hour 24',
      { backup: '2026-02-03T24:00:00Z' },
      "backup '2026-02-03T24:00:00Z' is not a time: the hour is 24, past 23; correct it, e.g. 2026-03-01T02:00:00Z",
    ],
    [
      'a time without its zone',
      { backup: '2026-03-01 02:00' },
      "backup '2026-03-01 02:00' has no zone, so the instant it means is a guess; add Z for UTC (2026-03-01T02:00:00Z) or the offset it was written in, e.g. +02:00",
    ],
    [
      'a manifest key',
      { backup: 'database/backup_20260301_020000.dump.manifest.json' },
      "backup 'database/backup_20260301_020000.dump.manifest.json' is a manifest; name the backup object it describes: database/backup_20260301_020000.dump",
    ],
    [
      'a URL in another bucket',
      { backup: 's3://other-bucket/database/backup_20260301_020000.dump' },
      "backup 's3://other-bucket/database/backup_20260301_020000.dump' is in bucket 'other-bucket', but bucket is 'saas-backups'; set bucket to 'other-bucket' or give the key alone",
    ],
    [
      'a key under another prefix',
      { backup: 'staging/backup_20260301_020000.sql.gz' },
      "backup 'staging/backup_20260301_020000.sql.gz' is not under prefix 'database/'; set prefix to 'staging/'",
    ],
    [
      'something else',
      { backup: 'yesterday' },
      "backup 'yesterday' is not understood: use latest, random, an ISO-8601 time with its zone (e.g. 2026-03-01T02:00:00Z), or a backup key such as database/backup_20260301_020000.dump",
    ],
    ['a bad boolean', { 'allow-overwrite': 'yes' }, "allow-overwrite must be true or false, got 'yes'"],
    ['a bad keep-database', { 'keep-database': '1' }, "keep-database must be true or false, got '1'"],
    ['jobs not a number', { jobs: 'four' }, "jobs must be a whole number, got 'four'"],
    ['zero jobs', { jobs: '0' }, 'jobs must be at least 1, got 0'],
    ['too many jobs', { jobs: '65' }, 'jobs must be at most 64, got 65'],
    [
      'a missing checks file',
      { checks: 'missing.sql' },
      `checks file 'missing.sql' does not exist (looked for ${'DIR'}/missing.sql)`,
    ],
    [
      'a checks file that cannot be split',
      { checks: 'broken.sql' },
      "checks file 'broken.sql' line 2: this string opened with ' is never closed",
    ],
    [
      'an unterminated quote in the smoke command',
      { 'smoke-command': "sh -c 'exit 0" },
      "smoke-command has an unterminated ' quote",
    ],
    [
      'a smoke command not on PATH',
      { 'smoke-command': 'no-such-command-xyz --check' },
      "smoke-command: 'no-such-command-xyz' was not found on PATH; install it in an earlier step or give its path",
    ],
    [
      'a smoke script that is not executable',
      { 'smoke-command': './not-executable.sh' },
      `smoke-command: './not-executable.sh' is not an executable file (looked for ${'DIR'}/not-executable.sh)`,
    ],
    ['a zero smoke timeout', { 'smoke-timeout-seconds': '0' }, 'smoke-timeout-seconds must be at least 1, got 0'],
    ['a fractional RTO', { 'rto-seconds': '1.5' }, "rto-seconds must be a whole number, got '1.5'"],
    ['a negative RPO', { 'rpo-seconds': '-1' }, 'rpo-seconds must be at least 1, got -1'],
    [
      'a report path that is a folder',
      { 'report-path': 'reports/' },
      "report-path 'reports/' is a folder; name a file, e.g. reports/restore-verify-report.json",
    ],
  ])('%s is refused', (_what, inputs, message) => {
    expect(errorOf(inputs)).toBe(message.replace(/DIR/g, dir));
  });

  test('the password never appears in an error message', () => {
    const message = errorOf({ 'target-database-url': 'postgres://u:hunter2secret@h:99999/db' });
    expect(message).toBe(
      'target-database-url is not a valid URL; expected postgres://user:password@host:5432/database (percent-encode special characters in the password)',
    );
    expect(message).not.toContain('hunter2secret');
  });
});

describe('the backup input', () => {
  const select = (text: string) => parseBackupSelector(text, 'saas-backups', 'database/');

  test('latest and random, in any case', () => {
    expect(select('')).toEqual({ kind: 'latest' });
    expect(select('LATEST')).toEqual({ kind: 'latest' });
    expect(select(' Random ')).toEqual({ kind: 'random' });
  });

  test.each([
    ['2026-03-01T02:00:00Z', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01T02:00:00z', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01 02:00Z', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01T04:00:00+02:00', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01T04:00:00+0200', '2026-03-01T02:00:00.000Z'],
    ['2026-02-28T21:00:00-05:00', '2026-03-01T02:00:00.000Z'],
    ['2026-03-01T02:00:00.123456Z', '2026-03-01T02:00:00.123Z'],
    ['2026-03-01T02:00:00.5Z', '2026-03-01T02:00:00.500Z'],
  ])('%s is a point in time (%s)', (text, iso) => {
    const selector = select(text);
    expect(selector.kind).toBe('point-in-time');
    expect(selector.kind === 'point-in-time' && selector.at.toISOString()).toBe(iso);
    expect(describeSelector(selector)).toBe(`finished at or before ${iso}`);
  });

  test.each([
    ['database/backup_20260301_020000.dump', 'database/backup_20260301_020000.dump'],
    ['backup_20260301_020000.sql.gz', 'database/backup_20260301_020000.sql.gz'],
    ['s3://saas-backups/database/backup_20260301_020000.dump', 'database/backup_20260301_020000.dump'],
  ])('%s names the key %s', (text, key) => {
    expect(select(text)).toEqual({ kind: 'key', key });
  });

  test('with an empty prefix, keys are at the top of the bucket', () => {
    expect(parseBackupSelector('backup_20260301_020000.dump', 'saas-backups', '')).toEqual({
      kind: 'key',
      key: 'backup_20260301_020000.dump',
    });
  });
});
