import { describe, expect, test } from '@jest/globals';
import { parseRecoverApplicationInputs } from '../../src/recover-application/inputs.js';
import { DEFAULT_LOG_ERRORS } from '../../src/recover-application/log-scan.js';
import { refusalOf } from '../helpers/refusal.js';

const ENV = {
  PATH: process.env.PATH,
  HOME: '/home/runner',
  GITHUB_TOKEN: 'ghs_secret',
  INPUT_RESTART_COMMAND: 'true',
  DEPLOY_TOKEN: 'deploy-secret-1',
};
const NOW = new Date('2026-03-14T10:00:00Z');
const base = { 'restart-command': 'true', 'health-url': 'https://API.example.com:8443/api/v1/health/?token=abc' };
const parse = (inputs: Record<string, string>, env: NodeJS.ProcessEnv = ENV) =>
  parseRecoverApplicationInputs((name) => inputs[name] ?? '', env, process.cwd(), NOW);
const refusal = (inputs: Record<string, string>, env?: NodeJS.ProcessEnv) => refusalOf(() => parse(inputs, env));

describe('recover-application inputs', () => {
  test("defaults follow the plan: plan mode, RTO 30 min, health 200 within 10 min, no log check; confirm is the health URL's host", () => {
    const settings = parse(base);
    expect(settings).toMatchObject({
      mode: 'plan',
      application: 'api.example.com:8443',
      restartCommand: ['true'],
      rtoSeconds: 1800,
      commandTimeoutSeconds: 1200,
      reportPath: 'recover-application-report.json',
    });
    expect(settings.health).toMatchObject({
      expectStatus: 200,
      timeoutSeconds: 600,
      display: 'https://api.example.com:8443/api/v1/health/?…',
    });
    expect(settings.logCheck).toBeUndefined();
    expect(settings.planDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(parse({ ...base, mode: 'execute', confirm: 'API.EXAMPLE.COM:8443' }).mode).toBe('execute');
  });

  test('the commands see the documented basics and pass-env, never the inputs or other variables; passed values are secrets', () => {
    const { commandEnv } = parse({ ...base, 'pass-env': 'DEPLOY_TOKEN' });
    expect(commandEnv.env).toEqual({ PATH: process.env.PATH, HOME: '/home/runner', DEPLOY_TOKEN: 'deploy-secret-1' });
    expect(commandEnv.secrets).toEqual(['deploy-secret-1']);
  });

  test('the plan digest changes with what execute would run, and not with the rest', () => {
    const digest = (extra: Record<string, string>) => parse({ ...base, ...extra }).planDigest;
    const plain = digest({});
    expect(digest({ 'rto-seconds': '60', mode: 'execute', confirm: 'api.example.com:8443' })).toBe(plain);
    const changes: Record<string, string>[] = [
      { 'restart-command': 'true --now' },
      { 'crash-command': 'true' },
      { 'log-command': 'true' },
      { 'health-expect-status': '204' },
      { 'pass-env': 'DEPLOY_TOKEN' },
    ];
    for (const change of changes) {
      expect([change, digest(change)]).not.toEqual([change, plain]);
    }
    expect(digest({ 'log-command': 'true' })).not.toBe(digest({ 'log-command': 'true', 'log-errors': 'boom' }));
  });

  test('the default log-errors finds what the plan stack prints on failure, and not ordinary lines', () => {
    const { pattern } = parse({ ...base, 'log-command': 'true' }).logCheck ?? {};
    expect(pattern?.source).toBe(DEFAULT_LOG_ERRORS);
    for (const line of [
      '2026-03-14 ERROR django.request: Internal Server Error',
      'Traceback (most recent call last):',
      'celery CRITICAL worker lost',
      'panic: nil map',
    ])
      expect([line, pattern?.test(line)]).toEqual([line, true]);
    for (const line of ['INFO Booting worker with pid: 7', 'GET /api/v1/errors/ 200', 'error_count=0'])
      expect([line, pattern?.test(line)]).toEqual([line, false]);
  });

  test.each([
    [
      'execute without confirm',
      { mode: 'execute' },
      /^mode is execute but confirm is empty, so nothing was run: set confirm to 'api\.example\.com:8443'/,
    ],
    [
      'execute with another host',
      { mode: 'execute', confirm: 'api.example.com' },
      /^confirm 'api\.example\.com' does not equal the health-url's host 'api\.example\.com:8443'/,
    ],
    ['no health-url', { 'health-url': '' }, /^health-url is required/],
    [
      'a health-url with credentials',
      { 'health-url': 'https://u:p@api.example.com/' },
      /^health-url must not hold credentials/,
    ],
    ['no restart-command', { 'restart-command': '' }, /^restart-command is required/],
    [
      'a restart program not on PATH',
      { 'restart-command': 'no-such-deploy-tool --now' },
      /^restart-command: 'no-such-deploy-tool' was not found on PATH/,
    ],
    [
      'a crash program that is not executable',
      { 'crash-command': './missing-crash.sh' },
      /^crash-command: '\.\/missing-crash\.sh' is not an executable file/,
    ],
    ['log-errors without log-command', { 'log-errors': 'ERROR' }, /^log-errors is set but log-command is not/],
    [
      'log-errors that is no regular expression',
      { 'log-command': 'true', 'log-errors': 'ERROR(' },
      /^log-errors is not a regular expression: /,
    ],
    [
      'log-errors matching every line',
      { 'log-command': 'true', 'log-errors': 'ERROR|' },
      /^log-errors \/ERROR\|\/ matches an empty line/,
    ],
    [
      'pass-env naming an unset variable',
      { 'pass-env': 'DEPLOY_TOKEN, APP_KEY' },
      /^pass-env names APP_KEY, which is not set/,
    ],
    [
      'pass-env naming an input',
      { 'pass-env': 'INPUT_RESTART_COMMAND' },
      /^pass-env: INPUT_RESTART_COMMAND is one of the action's inputs/,
    ],
    ['pass-env with a bad name', { 'pass-env': 'A-B' }, /^pass-env: 'A-B' is not a variable name/],
    [
      'outage-started-at with crash-command',
      { 'outage-started-at': '2026-03-14T09:00:00Z', 'crash-command': 'true' },
      /^outage-started-at and crash-command are both set/,
    ],
    [
      'outage-started-at that is no time',
      { 'outage-started-at': 'an hour ago' },
      /^outage-started-at must be an ISO-8601 time/,
    ],
    [
      'outage-started-at in the future',
      { 'outage-started-at': '2026-03-14T11:00:00Z' },
      /^outage-started-at 2026-03-14T11:00:00\.000Z is in the future/,
    ],
    [
      'an expected-plan-digest that is no digest',
      { 'expected-plan-digest': 'abc' },
      /^expected-plan-digest must be the plan's plan-digest output/,
    ],
    [
      'execute against another plan',
      { mode: 'execute', confirm: 'api.example.com:8443', 'expected-plan-digest': 'a'.repeat(64) },
      /^the commands, health check or log check differ from the plan the reviewers approved/,
    ],
    ['rto-seconds 0', { 'rto-seconds': '0' }, /^rto-seconds must be at least 1/],
  ])('%s is refused, saying what to change', (_label, inputs, message) => {
    expect(refusal({ ...base, ...inputs })).toMatch(message);
  });
});
