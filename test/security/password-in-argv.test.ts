import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { runBundledAction } from '../../harness/bundled-action.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * Any process on a runner can read every other process's command line (/proc/<pid>/cmdline),
 * so a password must reach pg_dump, pg_restore and psql only through their environment.
 * While the bundled actions run, every command line on the machine is read, again and again.
 */
class CommandLineWatch {
  private readonly seen = new Set<string>();
  private running = true;
  private readonly done: Promise<void>;
  scans = 0;

  constructor(private readonly secret: string) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
      await Promise.all(
        pids.map(async (pid) => {
          const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
          if (cmdline.includes(this.secret)) this.seen.add(cmdline.replaceAll('\0', ' '));
        }),
      );
      this.scans += 1;
    }
  }

  async stop(): Promise<string[]> {
    this.running = false;
    await this.done;
    return [...this.seen];
  }
}

let source: { name: string; url: string };
/**
 * A role of this test's own, with a password no other process knows: the suites running beside
 * this one put the stack's own password on their psql command lines.
 */
const role = { name: `argv_${randomBytes(4).toString('hex')}`, password: `Argv-${randomBytes(12).toString('hex')}` };

beforeAll(async () => {
  source = await createDatabase('argv');
  await loadSampleData(source.url, 20_000);
  await sql(
    stackFromEnv().postgresUrl('postgres'),
    `CREATE ROLE ${role.name} LOGIN SUPERUSER PASSWORD '${role.password}'`,
  );
});

afterAll(async () => {
  await dropDatabase(source.name);
  await sql(stackFromEnv().postgresUrl('postgres'), `DROP ROLE IF EXISTS ${role.name}`);
});

/** A URL of the test's role with its password as libpq's ?password= parameter instead of in the userinfo. */
function withPasswordParameter(database: string): string {
  const { postgres } = stackFromEnv();
  return `postgres://${role.name}@${postgres.host}:${postgres.port}/${database}?password=${encodeURIComponent(role.password)}`;
}

const outsideMasks = (text: string, secret: string) =>
  text.split('\n').filter((line) => line.includes(secret) && !line.startsWith('::add-mask::'));

test('a password given as ?password= never reaches a command line, a log or a summary (backup, then restore-verify)', async () => {
  const stack = stackFromEnv();
  const secret = role.password;
  const bucket = await createBucket('argv');
  const watch = new CommandLineWatch(secret);
  const backup = await runBundledAction('backup', {
    'database-url': withPasswordParameter(source.name),
    bucket,
    'endpoint-url': stack.awsEndpoint,
    region: 'us-east-1',
  });
  const restore = await runBundledAction('restore-verify', {
    bucket,
    'endpoint-url': stack.awsEndpoint,
    region: 'us-east-1',
    'target-database-url': withPasswordParameter(`argv_scratch_${process.pid}`),
    'source-database-url': withPasswordParameter(source.name),
    'rpo-seconds': '86400',
  });
  const leaks = await watch.stop();

  expect([backup.exitCode, backup.stderr]).toEqual([0, '']);
  expect([restore.exitCode, restore.stderr]).toEqual([0, '']);
  expect(watch.scans).toBeGreaterThan(5);
  expect(leaks).toEqual([]);
  for (const run of [backup, restore]) {
    expect(outsideMasks(run.stdout + run.summary + JSON.stringify(run.outputs), secret)).toEqual([]);
    expect(run.stdout).toContain(`::add-mask::${secret}`);
  }
});

test('the watch sees a password on a command line (so its silence above means something)', async () => {
  const watch = new CommandLineWatch(role.password);
  const { execa } = await import('execa');
  const { postgres } = stackFromEnv();
  await execa('psql', [
    '-X',
    '-A',
    '-t',
    '-c',
    'SELECT pg_sleep(0.5)',
    '-d',
    `postgres://${role.name}:${role.password}@${postgres.host}:${postgres.port}/postgres`,
  ]);
  expect((await watch.stop()).some((line) => /\bpsql /.test(line))).toBe(true);
});
