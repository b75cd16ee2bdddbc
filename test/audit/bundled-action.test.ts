import { readFile, mkdtemp, rm } from 'node:fs/promises';
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
});
