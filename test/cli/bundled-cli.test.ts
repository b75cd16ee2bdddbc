/**
 * dist/cli/dr-actions.mjs run as a person runs it from a shell (a laptop, CloudShell): only Node
 * and AWS credentials, on Node 20 (the oldest we support) and Node 24, against the test stack.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { parse } from 'yaml';
import type { RestoreVerifyReport } from '../../src/restore/restore-report.js';
import type { BackupManifest } from '../../src/storage/manifest.js';
import { createBucket, listKeys, testS3Client } from '../helpers/s3.js';
import { sampleDatabase } from '../helpers/sample-data.js';
import { createTopology, snapshot } from '../../harness/aws-topology.js';
import { inputFlags, runCli } from '../../harness/bundled-cli.js';
import { stackFromEnv } from '../../harness/stack.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';
import { node24Path } from '../../harness/node24.js';

interface ActionYaml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
}

const ACTIONS = new URL('../../actions/', import.meta.url).pathname;

/** Node 20 is the `node` on PATH here (checked below), Node 24 the runner's. */
const NODES = [
  ['Node 20', 'node'],
  ['Node 24', node24Path()],
] as const;

/** Every line the runner would have obeyed as a workflow command: none may reach the terminal as one. */
const commandLines = (text: string) => text.split('\n').filter((line) => line.trim().startsWith('::'));

/** Only what a shell on a laptop has: PATH, HOME, and AWS credentials through the default chain (environment variables here). */
const shellEnv = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/root',
  ...MOTO_CREDENTIALS,
  ...extra,
});

test('Node 20 is the node on PATH', async () => {
  expect((await execa('node', ['--version'])).stdout).toMatch(/^v20\./);
});

describe.each(NODES)('dr-actions on %s', (_, node) => {
  const source = sampleDatabase('cli_src', 500);
  let dir: string;
  let bucket: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dr-cli-'));
    bucket = await createBucket('cli');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const cli = (argv: string[], env: Record<string, string> = {}) =>
    runCli(argv, { node, env: shellEnv(env), cwd: dir, timeoutMs: 240_000 });

  test("--help lists every action of actions/*/action.yml; an action's --help lists its inputs, required ones and defaults", async () => {
    const names = (await readdir(ACTIONS)).sort();
    const help = await cli(['--help']);
    expect(help.exitCode).toBe(0);
    for (const name of names) expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));

    for (const name of names) {
      const { inputs } = parse(await readFile(join(ACTIONS, name, 'action.yml'), 'utf8')) as ActionYaml;
      const own = await cli([name, '--help']);
      expect(own.exitCode).toBe(0);
      for (const [input, spec] of Object.entries(inputs)) {
        const facts = spec.required ? 'required' : spec.default ? `default: ${spec.default}` : 'optional';
        expect(own.stdout).toContain(`  --${input} <value>   (${facts};`);
        expect(own.stdout.replace(/\s+/g, ' ')).toContain(spec.description.replace(/\s+/g, ' '));
      }
    }
  });

  test('a backup then a restore-verify of it: progress, summary as text, outputs, the report; the password never shown', async () => {
    const endpoint = stackFromEnv().awsEndpoint;
    const password = new URL(source.url).password;
    expect(password.length).toBeGreaterThan(3);
    // The URL with its password comes from the environment, not argv.
    const backup = await cli(['backup', '--bucket', bucket, '--endpoint-url', endpoint], {
      DR_ACTIONS_DATABASE_URL: source.url,
    });
    expect(backup.stderr).not.toMatch(/^(Error|Warning):/m);
    expect(backup.exitCode).toBe(0);
    expect(backup.stdout).toContain('Inputs from the environment: database-url (DR_ACTIONS_DATABASE_URL)');
    const key = /^ {2}key +(\S+)$/m.exec(backup.stdout)?.[1] as string;
    expect(key).toMatch(/^database\/backup_\d{8}_\d{6}\.dump$/);
    expect(await listKeys(bucket)).toEqual(expect.arrayContaining([key, `${key}.manifest.json`]));
    const stored = await testS3Client().send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.manifest.json` }));
    const manifest = JSON.parse((await stored.Body?.transformToString()) ?? '') as BackupManifest;
    expect(manifest.run).toEqual({
      workflow: 'dr-actions command line',
      actor: `${userInfo().username}@${hostname()}`,
    });
    expect(backup.stdout).toContain('backup succeeded.');
    expect(backup.stdout).not.toContain(password);
    expect(commandLines(backup.stdout)).toEqual([]);
    // The summary's tables are columns, not markdown.
    expect(backup.stdout).not.toMatch(/^\|.*\|$/m);
    expect(backup.stdout).not.toContain('<details>');

    const verify = await cli([
      'restore-verify',
      '--bucket',
      bucket,
      '--endpoint-url',
      endpoint,
      '--target-database-url',
      stackFromEnv().postgresUrl(`cli_scratch_${node === 'node' ? 20 : 24}`),
    ]);
    expect(verify.exitCode).toBe(0);
    expect(verify.stdout).toMatch(/^ {2}passed +true$/m);
    expect(verify.stdout).toContain(`  backup-key          ${key}`);
    expect(commandLines(verify.stdout)).toEqual([]);
    // The report lands where action.yml's default puts it: restore-verify-report.json in the working directory.
    const report = JSON.parse(await readFile(join(dir, 'restore-verify-report.json'), 'utf8')) as RestoreVerifyReport;
    expect(report.passed).toBe(true);
    expect(report.details.backup?.key).toBe(key);
  });

  test("a failure exits 1 and shows the action's error as plain text", async () => {
    const empty = await createBucket('cli-empty');
    const target = stackFromEnv().postgresUrl('cli_never_created');
    const run = await cli([
      'restore-verify',
      '--bucket',
      empty,
      '--endpoint-url',
      stackFromEnv().awsEndpoint,
      '--target-database-url',
      target,
      '--report-path',
      join(dir, 'empty.json'),
    ]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^Error: .*no .*backup/im);
    expect(run.stderr).toContain('restore-verify failed (exit status 1).');
    expect(commandLines(run.stdout + run.stderr)).toEqual([]);
  });

  test('failover plan changes nothing and prints the plan and the record value to pass to execute', async () => {
    const topology = await createTopology();
    const before = await snapshot(topology);
    const run = await cli([
      'failover',
      ...inputFlags({
        'replica-id': topology.replicaId,
        region: 'us-west-2',
        'hosted-zone-id': topology.zoneId,
        'record-name': topology.recordName,
        'endpoint-url': stackFromEnv().awsEndpoint,
      }),
    ]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('What execute would do');
    expect(run.stdout).toMatch(
      new RegExp(`^ {2}record-value +${topology.primaryAddress.toLowerCase().replace(/\./g, '\\.')}$`, 'm'),
    );
    expect(run.stdout).toMatch(/^ {2}mode +plan$/m);
    expect(await snapshot(topology)).toEqual(before);
  });

  test('command-line mistakes exit 2, name what is wrong and what is valid, and run nothing', async () => {
    const unknownFlag = await cli(['backup', '--bucket', bucket, '--prefx', 'x/', '--database-url', source.url]);
    expect(unknownFlag.exitCode).toBe(2);
    expect(unknownFlag.stderr).toContain(
      'backup has no input --prefx. Did you mean --prefix? Its inputs: --database-url, --database-auth, --bucket, --prefix,',
    );
    expect(unknownFlag.stdout).toBe('');

    const missing = await cli(['failover', '--region', 'us-west-2']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('failover needs --replica-id (required; or set DR_ACTIONS_REPLICA_ID)');

    const unknownAction = await cli(['restore', '--bucket', bucket]);
    expect(unknownAction.exitCode).toBe(2);
    expect(unknownAction.stderr).toMatch(/unknown action 'restore'\. .*Actions: backup, dr-audit, .*restore-verify/);

    const noValue = await cli(['backup', '--database-url', source.url, '--bucket']);
    expect(noValue.exitCode).toBe(2);
    expect(noValue.stderr).toContain('--bucket needs a value');
    expect(noValue.stderr).not.toContain(new URL(source.url).password);

    const nothing = await cli([]);
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr).toContain('Usage: dr-actions');
    expect((await listKeys(bucket)).filter((k) => k.startsWith('x/'))).toEqual([]);
  });
});
