import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import type { AuditReport } from '../../src/audit/audit-report.js';
import { ALL_CHECKS } from '../../src/audit/catalog.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import {
  auditInputsFor,
  createAuditTopology,
  PRIMARY_REGION,
  setVersioning,
  type AuditTopology,
} from '../../harness/audit-topology.js';
import { stackFromEnv } from '../../harness/stack.js';
import { MOTO_CREDENTIALS } from '../../harness/moto.js';

function inputsFor(t: AuditTopology, reportPath: string): Record<string, string> {
  return {
    ...auditInputsFor(t, { endpointUrl: stackFromEnv().awsEndpoint, reportPath }),
    // No cache-replication-group-id: the cache area is skipped, with its reason.
    skip: 'cache: no Redis in this stack',
  };
}

describe('actions/dr-audit/dist/index.js as the runner runs it', () => {
  test('the plan as written passes; media versioning suspended fails the step with its fix; outputs, summary and report', async () => {
    const t = await createAuditTopology();
    const dir = await mkdtemp(join(tmpdir(), 'dr-audit-e2e-'));
    const env = { ...MOTO_CREDENTIALS };
    try {
      const passing = await runBundledAction('dr-audit', inputsFor(t, join(dir, 'passing.json')), { env });
      expect(passing.stdout).not.toContain('::error::');
      expect(passing.exitCode).toBe(0);
      expect(passing.outputs).toEqual({
        passed: 'true',
        'findings-count': '0',
        'failed-count': '0',
        'report-path': join(dir, 'passing.json'),
      });
      expect(passing.summary.split('\n')[0]).toBe("## ✅ The plan's prerequisites are in place");
      expect(passing.summary).toContain('skipped: no Redis in this stack');
      const passed = JSON.parse(await readFile(join(dir, 'passing.json'), 'utf8')) as AuditReport;
      expect(passed.details.counts).toEqual({ passed: ALL_CHECKS.length - 1, failed: 0, skipped: 1, failingStep: 0 });

      await setVersioning(t.mediaBucket, PRIMARY_REGION, 'Suspended');
      const failing = await runBundledAction('dr-audit', inputsFor(t, join(dir, 'failing.json')), { env });
      expect(failing.exitCode).toBe(1);
      expect(failing.stdout).toContain(
        "::error::1 of the plan's prerequisites at or above fail-on high are not in place: media.versioning (high): versioning Suspended",
      );
      expect(failing.outputs).toEqual({
        passed: 'false',
        'findings-count': '1',
        'failed-count': '1',
        'report-path': join(dir, 'failing.json'),
      });
      expect(failing.summary).toContain('### media: 1 failed');
      expect(failing.summary).toContain(
        `\`aws s3api put-bucket-versioning --region us-east-1 --bucket ${t.mediaBucket} --versioning-configuration Status=Enabled\``,
      );
      const failed = JSON.parse(await readFile(join(dir, 'failing.json'), 'utf8')) as AuditReport;
      expect(failed).toMatchObject({
        kind: 'dr-audit',
        passed: false,
        checklist: [{ key: 'prerequisites', status: 'failed' }],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['backup-retention', 'daily=7d', 'backup-retention daily=7d: days must be a whole number, 0 or more'],
    ['backup-min-keep', '0', 'backup-min-keep must be at least 1, got 0'],
  ])('%s: %j is one configuration error before any AWS call', async (name, value, message) => {
    let requests = 0;
    // Stands where AWS would be: any request the action makes is counted.
    const aws = createServer((_request, response) => {
      requests += 1;
      response.writeHead(500).end();
    });
    await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve));
    const dir = await mkdtemp(join(tmpdir(), 'dr-audit-refused-'));
    try {
      const run = await runBundledAction(
        'dr-audit',
        {
          'primary-region': 'us-east-1',
          'secondary-region': 'us-west-2',
          'backup-bucket': 'saas-backups',
          skip: 'database: none here\nmedia: none here\ndns: none here\ncache: none here',
          'endpoint-url': `http://127.0.0.1:${(aws.address() as AddressInfo).port}`,
          'report-path': join(dir, 'report.json'),
          [name]: value,
        },
        { env: { ...MOTO_CREDENTIALS } },
      );
      expect(run.exitCode).toBe(1);
      expect(run.stdout.split('\n').filter((line) => line.startsWith('::error::'))).toEqual([`::error::${message}`]);
      expect(requests).toBe(0);
      await expect(readFile(join(dir, 'report.json'))).rejects.toThrow('ENOENT');
    } finally {
      await new Promise((resolve) => aws.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
