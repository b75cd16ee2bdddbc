import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { createDatabase, dropDatabase } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { createRolesAndSchema, dropRoles, roleFixture } from '../restore-verify/rebuild-roles.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';
import { startPostgres, type PostgresServer } from '../../harness/postgres.js';

/**
 * Every child process the actions start (pg_dump, pg_dumpall, psql, pg_restore, the smoke command)
 * has its environment read while it runs: wrappers first on PATH write it to a file and exec the
 * real tool. The action's environment holds its inputs (database URLs with passwords,
 * role-passwords), the runner's tokens and AWS credentials; a child may hold only its own
 * connection's password, and the smoke command the variables smoke-env names.
 */

const TOOLS = ['pg_dump', 'pg_dumpall', 'psql', 'pg_restore'];
const secret = (name: string) => `${name}-${randomBytes(10).toString('hex')}`;
const planted = {
  runtimeToken: secret('runtime-token'),
  idToken: secret('id-token'),
  githubToken: secret('github-token'),
  awsSecret: secret('aws-secret'),
  awsSession: secret('aws-session'),
  unnamed: secret('not-for-the-smoke-command'),
  sourceUrlPassword: secret('production-password'),
  appPassword: secret('app-password'),
};
/** What the runner gives every step of a job besides its inputs. */
const runnerEnv = {
  ACTIONS_RUNTIME_TOKEN: planted.runtimeToken,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: planted.idToken,
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.actions.example/abc',
  GITHUB_TOKEN: planted.githubToken,
  AWS_SECRET_ACCESS_KEY: planted.awsSecret,
  AWS_SESSION_TOKEN: planted.awsSession,
  UNRELATED_SECRET: planted.unnamed,
  APP_DB_PASSWORD: planted.appPassword,
  GITHUB_REPOSITORY: 'acme/saas',
  GITHUB_RUN_ID: '28',
};

const roles = roleFixture();
let source: { name: string; url: string };
let empty: PostgresServer;
let dir: string;
let wrappers: string;
let captured: string;

/** A wrapper per tool that writes its environment (NUL-separated) to `captured`, then becomes the real tool. */
async function writeWrappers(): Promise<void> {
  const { stdout: bindir } = await execa('pg_config', ['--bindir']);
  for (const tool of TOOLS) {
    const path = join(wrappers, tool);
    await writeFile(
      path,
      `#!/bin/sh\n/usr/bin/env -0 > "${captured}/${tool}.$$.env"\nexec "${bindir.trim()}/${tool}" "$@"\n`,
    );
    await chmod(path, 0o755);
  }
}

beforeAll(async () => {
  [source, empty] = await Promise.all([createDatabase('childenv'), startPostgres()]);
  await createRolesAndSchema(roles, stackFromEnv().postgresUrl('postgres'), source.name, source.url);
  dir = await mkdtemp(join(tmpdir(), 'dr-child-env-'));
  wrappers = join(dir, 'bin');
  captured = join(dir, 'captured');
  await execa('mkdir', ['-p', wrappers, captured]);
  await writeWrappers();
});

afterAll(async () => {
  await empty?.stop();
  if (source) await dropDatabase(source.name);
  await dropRoles(roles, stackFromEnv().postgresUrl('postgres'));
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface CapturedEnv {
  file: string;
  env: Map<string, string>;
}

async function readCaptured(): Promise<CapturedEnv[]> {
  const files = (await readdir(captured)).sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(join(captured, file), 'utf8');
      const env = new Map<string, string>();
      for (const entry of text.split('\0').filter(Boolean)) {
        const at = entry.indexOf('=');
        env.set(entry.slice(0, at), entry.slice(at + 1));
      }
      return { file, env };
    }),
  );
}

/** Each variable that holds one of `secrets`, as `name`, except those `allowed` says may hold it. */
function leaks(captures: CapturedEnv[], secrets: string[], allowed: (file: string, name: string) => boolean): string[] {
  const found: string[] = [];
  for (const { file, env } of captures) {
    for (const [name, value] of env) {
      if (secrets.some((s) => value.includes(s) || name.includes(s)) && !allowed(file, name))
        found.push(`${file}: ${name}`);
    }
  }
  return found;
}

test('pg_dump, pg_dumpall, psql, pg_restore and the smoke command get their own connection and no input, token or credential of the action', async () => {
  const stack = stackFromEnv();
  const backupPassword = stack.postgres.password;
  const targetPassword = empty.password;
  const path = `${wrappers}:${process.env.PATH ?? ''}`;
  const bucket = await createBucket('child-env');
  const smokeFile = join(captured, 'smoke.env');

  const backup = await runBundledAction(
    'backup',
    { 'database-url': source.url, bucket, 'endpoint-url': stack.awsEndpoint, region: 'us-east-1' },
    { env: { ...runnerEnv, PATH: path } },
  );
  expect([backup.exitCode, backup.stderr]).toEqual([0, '']);
  const backupChildren = await readCaptured();
  for (const { file } of backupChildren) await rm(join(captured, file));

  const restore = await runBundledAction(
    'restore-verify',
    {
      bucket,
      'endpoint-url': stack.awsEndpoint,
      region: 'us-east-1',
      'target-database-url': empty.url('saas_rebuilt'),
      'source-database-url': `postgres://app:${planted.sourceUrlPassword}@production.example:5432/saas`,
      rebuild: 'true',
      'role-passwords': JSON.stringify({ [roles.app]: planted.appPassword }),
      'smoke-env': 'APP_DB_PASSWORD',
      'smoke-command': `sh -c '/usr/bin/env -0 > ${smokeFile}'`,
      'rpo-seconds': '86400',
    },
    { env: { ...runnerEnv, PATH: path } },
  );
  expect(restore.stdout).not.toContain('::error::');
  expect([restore.exitCode, restore.stderr]).toEqual([0, '']);
  const restoreChildren = await readCaptured();

  const tools = (captures: CapturedEnv[]) => [...new Set(captures.map((c) => c.file.split('.')[0]))].sort();
  expect(tools(backupChildren)).toEqual(['pg_dump', 'pg_dumpall', 'psql', 'pg_restore'].sort());
  expect(tools(restoreChildren)).toEqual(['pg_dump', 'pg_restore', 'psql', 'smoke'].sort());

  // What passes is what a program needs: PATH (the wrappers are found through it) and HOME.
  for (const { env } of [...backupChildren, ...restoreChildren]) {
    expect(env.get('PATH')).toBe(path);
    expect(env.get('HOME')).toBe(process.env.HOME);
  }
  const runnerNames = /^(INPUT_|ACTIONS_|AWS_|GITHUB_|RUNNER_)/;
  for (const { file, env } of [...backupChildren, ...restoreChildren])
    expect([file, [...env.keys()].filter((name) => runnerNames.test(name))]).toEqual([file, []]);

  const everySecret = [...Object.values(planted), backupPassword, targetPassword];
  // The backup's clients hold the backup's password as PGPASSWORD (the --version calls hold none).
  expect(leaks(backupChildren, everySecret, (_file, name) => name === 'PGPASSWORD')).toEqual([]);
  expect(
    leaks(
      backupChildren,
      everySecret.filter((s) => s !== backupPassword),
      () => false,
    ),
  ).toEqual([]);
  // The restore's clients hold the target's, and the smoke command its database and the variable smoke-env named.
  const smokeMay = new Set(['PGPASSWORD', 'DATABASE_URL', 'APP_DB_PASSWORD']);
  expect(
    leaks(
      restoreChildren,
      everySecret,
      (file, name) => name === 'PGPASSWORD' || (file === 'smoke.env' && smokeMay.has(name)),
    ),
  ).toEqual([]);
  expect(
    leaks(
      restoreChildren,
      everySecret.filter((s) => s !== targetPassword && s !== planted.appPassword),
      () => false,
    ),
  ).toEqual([]);
  const smoke = restoreChildren.find((c) => c.file === 'smoke.env')?.env;
  expect(smoke?.get('APP_DB_PASSWORD')).toBe(planted.appPassword);
  expect(smoke?.get('PGPASSWORD')).toBe(targetPassword);
  expect(smoke?.get('UNRELATED_SECRET')).toBeUndefined();
});
