/** skip and fail-on against moto: what the report, the outputs and the summary say. */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { parseAuditInputs } from '../../src/audit/inputs.js';
import { runAudit } from '../../src/audit/run-audit.js';
import { auditMarkdown } from '../../src/audit/summary.js';
import { silentLogger } from '../../src/util/logger.js';
import { rdsIn } from '../../harness/aws-topology.js';
import {
  auditInputsFor,
  createAuditTopology,
  PRIMARY_REGION,
  type AuditTopology,
} from '../../harness/audit-topology.js';
import { stackFromEnv } from '../../harness/stack.js';

let t: AuditTopology;

/** The inputs the action would get for the topology, with deletion protection (a medium check) switched off. */
function inputs(extra: Record<string, string>): Record<string, string> {
  return {
    ...auditInputsFor(t, {
      endpointUrl: stackFromEnv().awsEndpoint,
      reportPath: `/tmp/dr-audit-options-${t.primaryId}.json`,
    }),
    'health-check-domain': t.primaryAddress,
    'cache-replication-group-id': t.cacheGroupId,
    ...extra,
  };
}

const auditWith = (extra: Record<string, string>) => {
  const all = inputs(extra);
  return runAudit({ ...parseAuditInputs((name) => all[name] ?? '', {}), run: { workflow: 'test' }, log: silentLogger });
};

beforeAll(async () => {
  t = await createAuditTopology();
  await rdsIn(PRIMARY_REGION).send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: t.primaryId,
      DeletionProtection: false,
      ApplyImmediately: true,
    }),
  );
});

describe('fail-on', () => {
  test('high (the default): a medium finding is reported and counted, and the step passes', async () => {
    const result = await auditWith({});
    expect(result).toMatchObject({ passed: true, findingsCount: 1, failedCount: 0 });
    expect(result.report.checklist).toEqual([
      {
        key: 'prerequisites',
        item: 'Plan prerequisites in place',
        status: 'passed',
        detail: expect.stringContaining('db.deletion-protection (medium): deletion protection off'),
      },
    ]);
    expect(auditMarkdown(result)).toContain('⚠️ failed (below fail-on)');
  });

  test('medium: the same finding fails the step, with the reason and its fix first in the summary', async () => {
    const result = await auditWith({ 'fail-on': 'medium' });
    expect(result).toMatchObject({ passed: false, findingsCount: 1, failedCount: 1 });
    expect(result.report.reasons).toEqual([
      expect.stringMatching(/^db\.deletion-protection \(medium\): deletion protection off/),
    ]);
    const summary = auditMarkdown(result);
    expect(summary.split('\n')[0]).toBe("## ❌ The plan's prerequisites are not all in place");
    // Areas with failures come first, and within one, failures first.
    expect(summary.indexOf('### database: 1 failed')).toBeLessThan(summary.indexOf('### media'));
    const databaseRows =
      summary
        .split('### database: 1 failed')[1]
        ?.split('\n')
        .filter((l) => l.startsWith('| ')) ?? [];
    expect(databaseRows[1]).toMatch(
      /^\| ❌ failed \| `db\.deletion-protection` \| 🟠 medium \| deletion protection off.*\| `aws rds modify-db-instance .*--deletion-protection --apply-immediately` \|/,
    );
  });

  test('none: nothing fails the step', async () => {
    expect(await auditWith({ 'fail-on': 'none', 'rpo-seconds': '1' })).toMatchObject({ passed: true, failedCount: 0 });
  });
});

describe('skip', () => {
  test('a skipped area makes no calls and needs no inputs; a skipped check that would fail shows as skipped, with the reason, in the report and the summary', async () => {
    const result = await auditWith({
      'cache-replication-group-id': '',
      skip: 'cache: no Redis in this stack\ndb.deletion-protection: an SCP denies DeleteDBInstance',
      'fail-on': 'low',
    });
    const byId = new Map(result.report.details.checks.map((c) => [c.id, c]));
    expect(byId.get('cache.persistence')).toMatchObject({
      status: 'skipped',
      found: 'skipped: no Redis in this stack',
    });
    expect(byId.get('db.deletion-protection')).toMatchObject({
      status: 'skipped',
      found: 'skipped: an SCP denies DeleteDBInstance',
      fix: expect.stringContaining('--deletion-protection'),
    });
    expect(result).toMatchObject({ passed: true, findingsCount: 0 });
    expect(result.report.steps.find((s) => s.name === 'read cache settings')).toMatchObject({ status: 'skipped' });
    const summary = auditMarkdown(result);
    expect(summary).toContain('skipped: no Redis in this stack');
    expect(summary).toContain('skipped: an SCP denies DeleteDBInstance');
  });
});
