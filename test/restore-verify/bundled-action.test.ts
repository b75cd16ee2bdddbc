import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { RestoreVerifyReport } from '../../src/restore/restore-report.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { createDatabase, databaseExists, dropDatabase } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { stackFromEnv } from '../../harness/stack.js';
import { scratchName } from './fixtures.js';
import { maskCommand, obeyedCommands } from '../helpers/workflow-commands.js';

describe('the bundled restore-verify action (node24, as the runner calls it)', () => {
  let source: { name: string; url: string };
  let bucket: string;
  let dir: string;
  let backupKey: string;

  beforeAll(async () => {
    source = await createDatabase('rv_e2e');
    await loadSampleData(source.url, 1_000);
    bucket = await createBucket('e2e');
    dir = await mkdtemp(join(tmpdir(), 'dr-e2e-'));
    // The backup comes from the bundled backup action too: the two actions as a workflow chains them.
    const backup = await runBundledAction('backup', {
      'database-url': source.url,
      bucket,
      'endpoint-url': stackFromEnv().awsEndpoint,
    });
    expect(backup.exitCode).toBe(0);
    backupKey = backup.outputs.key as string;
    await writeFile(
      join(dir, 'checks.sql'),
      '-- name: users were restored\n-- checklist: user-login\nSELECT count(*) = 1000 FROM users;\n',
    );
  });

  afterAll(async () => {
    await dropDatabase(source.name);
    await rm(dir, { recursive: true, force: true });
  });

  test('restores the latest backup, verifies it, sets every output and writes the summary and report', async () => {
    const stack = stackFromEnv();
    const target = scratchName();
    const reportPath = join(dir, 'report.json');
    const run = await runBundledAction('restore-verify', {
      bucket,
      'endpoint-url': stack.awsEndpoint,
      'target-database-url': stack.postgresUrl(target),
      'source-database-url': source.url,
      checks: join(dir, 'checks.sql'),
      'smoke-command': 'psql -X -At -c "select 1"',
      jobs: '2',
      'report-path': reportPath,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ passed: 'true', 'backup-key': backupKey, 'report-path': reportPath });
    for (const name of ['backup-age-seconds', 'max-gap-seconds', 'restore-seconds', 'recovery-seconds']) {
      expect(Number(run.outputs[name])).toBeGreaterThan(0);
    }
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RestoreVerifyReport;
    expect(report).toMatchObject({ version: 1, kind: 'restore-verify', passed: true, reasons: [] });
    expect(report.details.rto.seconds).toBe(Number(run.outputs['recovery-seconds']));
    expect(run.summary).toContain(`## ✅ Restore test of \`${backupKey}\`: passed`);
    expect(run.summary).toContain('| User login works | ✅ passed | users were restored: passed |');
    expect(run.summary).toContain(
      '| Application starts without errors | ✅ passed | smoke command exited with code 0 |',
    );
    expect(run.summary).not.toContain(stack.postgres.password);
    expect(await databaseExists(target)).toBe(false);
  });

  test('what the restored data says is shown in the log and never obeyed as a workflow command', async () => {
    const run = await runBundledAction('restore-verify', {
      bucket,
      'endpoint-url': stackFromEnv().awsEndpoint,
      'target-database-url': stackFromEnv().postgresUrl(scratchName()),
      // A row a customer wrote, printed by the smoke command: commands of its own on lines of their own.
      'smoke-command': `psql -X -At -c "SELECT 'alice' || chr(10) || '::add-mask::alice' || chr(10) || '::error::forged by a row'"`,
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('alice\n::add-mask::alice\n::error::forged by a row');
    expect(obeyedCommands(run.stdout).filter((line) => /alice|forged/.test(line))).toEqual([]);
  });

  test('a failed restore test fails the step, and still leaves outputs, report and summary', async () => {
    const reportPath = join(dir, 'failed.json');
    const run = await runBundledAction('restore-verify', {
      bucket,
      'endpoint-url': stackFromEnv().awsEndpoint,
      'target-database-url': stackFromEnv().postgresUrl(scratchName()),
      'smoke-command': "sh -c 'exit 7'",
      'report-path': reportPath,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("::error::restore test failed: smoke: sh -c 'exit 7' exited with code 7");
    expect(run.outputs.passed).toBe('false');
    expect(run.outputs['recovery-seconds']).toBe('');
    expect(run.summary).toContain('## ❌ Restore test');
    expect((JSON.parse(await readFile(reportPath, 'utf8')) as RestoreVerifyReport).passed).toBe(false);
  });

  test('a bad input fails at once with one clear message, and the password stays masked', async () => {
    const stack = stackFromEnv();
    const run = await runBundledAction('restore-verify', {
      bucket,
      'endpoint-url': stack.awsEndpoint,
      'target-database-url': stack.postgresUrl('postgres'),
      'report-path': join(dir, 'never.json'),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(maskCommand(stack.postgres.password));
    expect(run.stdout).toContain(
      "::error::target-database-url names 'postgres', a database every PostgreSQL server needs; name a scratch database such as restore_verify",
    );
    expect(run.outputs).toEqual({});
    await expect(readFile(join(dir, 'never.json'))).rejects.toThrow('ENOENT');
  });
});
