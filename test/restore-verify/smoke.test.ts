import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { databaseEnv, runSmokeCommand } from '../../src/checks/smoke.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';

const now = () => new Date();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const waitUntilGone = (pid: number) => waitUntil(`process ${pid} is gone`, () => !alive(pid), { timeoutMs: 10_000 });

describe('smoke command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-smoke-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('connects to the restored database through DATABASE_URL and PG*, and passes on exit 0', async () => {
    const stack = stackFromEnv();
    const target = parseDatabaseUrl(stack.postgresUrl('postgres'), 'target-database-url');
    const script = 'psql -X -At -c "select current_database()" && psql -X -At "$DATABASE_URL" -c "select 2"';
    const result = await runSmokeCommand(['sh', '-c', script], target, {
      timeoutSeconds: 60,
      secrets: [target.password],
      now,
      // Inherited connection variables must not win over the restored database.
      env: { ...process.env, PGDATABASE: 'elsewhere', PGHOST: '10.255.255.1', DATABASE_URL: 'postgres://wrong/db' },
    });
    expect(result).toMatchObject({ passed: true, exitCode: 0, timedOut: false, detail: 'exited with code 0' });
    expect(result.output).toBe('postgres\n2\n');
    expect(result.command).toBe(`sh -c '${script}'`);
  });

  test("of the action's environment it gets PATH, HOME, locale, libpq settings and the variables smoke-env names: no input, token or credential", async () => {
    const target = parseDatabaseUrl('postgres://app:TargetPw1@127.0.0.1:1/restore_verify', 't');
    const env = {
      PATH: process.env.PATH,
      HOME: '/home/runner',
      LC_ALL: 'C.UTF-8',
      PGSSLMODE: 'require',
      PGPASSFILE: '/home/runner/.pgpass',
      'INPUT_ROLE-PASSWORDS': '{"app":"RolePw2"}',
      'INPUT_SOURCE-DATABASE-URL': 'postgres://app:SourcePw3@prod/saas',
      ACTIONS_RUNTIME_TOKEN: 'RuntimeToken4',
      AWS_SECRET_ACCESS_KEY: 'AwsSecret5',
      APP_DB_PASSWORD: 'AppPw6',
      OTHER: 'Other7',
    };
    const result = await runSmokeCommand(['sh', '-c', 'env | sort'], target, {
      timeoutSeconds: 60,
      secrets: [],
      now,
      env,
      passOn: ['APP_DB_PASSWORD'],
    });
    const names = result.output
      .trim()
      .split('\n')
      .map((line) => line.slice(0, line.indexOf('=')))
      .filter((name) => !['PWD', 'SHLVL', '_'].includes(name));
    expect(names).toEqual([
      'APP_DB_PASSWORD',
      'DATABASE_URL',
      'HOME',
      'LC_ALL',
      'PATH',
      'PGDATABASE',
      'PGHOST',
      'PGPASSWORD',
      'PGPORT',
      'PGSSLMODE',
      'PGUSER',
    ]);
    expect(result.output).toContain('PGPASSWORD=TargetPw1\n');
    expect(result.output).toContain('APP_DB_PASSWORD=AppPw6\n');
  });

  test('databaseEnv carries the password only where clients read it', async () => {
    const target = parseDatabaseUrl(
      'postgres://app:p%40ss%2Fw@db.example:6543/restore_verify?sslmode=require',
      'target-database-url',
    );
    const env = await databaseEnv(target);
    expect(env).toEqual({
      DATABASE_URL: 'postgres://app:p%40ss%2Fw@db.example:6543/restore_verify?sslmode=require',
      PGHOST: 'db.example',
      PGPORT: '6543',
      PGDATABASE: 'restore_verify',
      PGUSER: 'app',
      PGPASSWORD: 'p@ss/w',
    });
    expect(new URL(env.DATABASE_URL as string).password).toBe('p%40ss%2Fw');
  });

  test('with IAM authentication a fresh token reaches PGPASSWORD alone, never DATABASE_URL', async () => {
    let minted = 0;
    const target = {
      ...parseDatabaseUrl('postgres://app@db.example:6543/restore_verify?sslmode=require', 'target-database-url'),
      auth: { token: async () => `token-${(minted += 1)}` },
    };
    const first = await databaseEnv(target);
    const second = await databaseEnv(target);
    expect(first.PGPASSWORD).toBe('token-1');
    expect(second.PGPASSWORD).toBe('token-2');
    expect(first.DATABASE_URL).toBe('postgres://app@db.example:6543/restore_verify?sslmode=require');
  });

  test('a non-zero exit fails, with the output kept and the password masked', async () => {
    const target = parseDatabaseUrl('postgres://app:VerySecret99@127.0.0.1:1/restore_verify', 't');
    const result = await runSmokeCommand(
      ['sh', '-c', 'echo "login as $PGUSER with $PGPASSWORD"; echo "url $DATABASE_URL" >&2; exit 3'],
      target,
      {
        timeoutSeconds: 60,
        secrets: [target.password],
        now,
      },
    );
    expect(result).toMatchObject({ passed: false, exitCode: 3, timedOut: false, detail: 'exited with code 3' });
    expect(result.output).toContain('login as app with ***');
    expect(result.output).toContain('url postgres://app:***@127.0.0.1:1/restore_verify');
    expect(result.output).not.toContain('VerySecret99');
  });

  test('a hanging command times out and its whole process group is killed', async () => {
    const target = parseDatabaseUrl('postgres://app@127.0.0.1:1/restore_verify', 't');
    const pidFile = join(dir, 'hanging.pid');
    // The grandchild ignores nothing but would outlive a kill of the shell alone.
    const result = await runSmokeCommand(['sh', '-c', `sleep 300 & echo $! > ${pidFile}; echo started; wait`], target, {
      timeoutSeconds: 1,
      secrets: [],
      now,
    });
    expect(result).toMatchObject({
      passed: false,
      timedOut: true,
      detail: 'timed out after 1 s; its process group was killed',
    });
    expect(result.output).toBe('started\n');
    expect(result.durationSeconds).toBeGreaterThanOrEqual(1);
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    await waitUntilGone(grandchild);
  });

  test('a process ignoring SIGTERM is killed after the grace period', async () => {
    const target = parseDatabaseUrl('postgres://app@127.0.0.1:1/restore_verify', 't');
    const result = await runSmokeCommand(
      ['sh', '-c', "trap '' TERM; echo stubborn; while :; do sleep 0.1; done"],
      target,
      { timeoutSeconds: 1, secrets: [], now },
    );
    expect(result).toMatchObject({ passed: false, timedOut: true, signal: 'SIGKILL' });
  });

  test('what it leaves running after a clean exit is stopped', async () => {
    const target = parseDatabaseUrl('postgres://app@127.0.0.1:1/restore_verify', 't');
    const pidFile = join(dir, 'leftover.pid');
    const result = await runSmokeCommand(['sh', '-c', `sleep 300 > /dev/null 2>&1 & echo $! > ${pidFile}`], target, {
      timeoutSeconds: 60,
      secrets: [],
      now,
    });
    expect(result.passed).toBe(true);
    await waitUntilGone(Number(await readFile(pidFile, 'utf8')));
  });

  test('long output keeps its start and end, cut at line ends', async () => {
    const target = parseDatabaseUrl('postgres://app@127.0.0.1:1/restore_verify', 't');
    const result = await runSmokeCommand(
      [
        'sh',
        '-c',
        'echo FIRST; i=0; while [ $i -lt 5000 ]; do echo "line $i of some filler text"; i=$((i+1)); done; echo LAST',
      ],
      target,
      {
        timeoutSeconds: 60,
        secrets: [],
        now,
      },
    );
    expect(result.passed).toBe(true);
    expect(result.output.startsWith('FIRST\nline 0 of')).toBe(true);
    expect(result.output.endsWith('line 4999 of some filler text\nLAST\n')).toBe(true);
    expect(result.omittedCharacters).toBeGreaterThan(100_000);
    expect(result.output.length).toBeLessThan(33 * 1024);
    expect(result.output).toMatch(/\n\[\.\.\. \d+ characters omitted \.\.\.\]\nline \d+ of some filler text\n/);
  });

  test('a command that cannot start fails with why', async () => {
    const target = parseDatabaseUrl('postgres://app@127.0.0.1:1/restore_verify', 't');
    const result = await runSmokeCommand([join(dir, 'missing-binary')], target, {
      timeoutSeconds: 5,
      secrets: [],
      now,
    });
    expect(result.passed).toBe(false);
    expect(result.detail).toContain(
      `could not start ${join(dir, 'missing-binary')}: spawn ${join(dir, 'missing-binary')} ENOENT`,
    );
  });

  test('aborting kills the group at once', async () => {
    const target = parseDatabaseUrl('postgres://app@127.0.0.1:1/restore_verify', 't');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runSmokeCommand(['sleep', '300'], target, {
      timeoutSeconds: 600,
      secrets: [],
      now,
      signal: controller.signal,
    });
    expect(result).toMatchObject({ passed: false, timedOut: false, detail: 'cancelled; its process group was killed' });
  });
});
