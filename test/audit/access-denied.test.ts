import { afterEach, describe, expect, test } from '@jest/globals';
import { DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { ALL_CHECKS } from '../../src/audit/catalog.js';
import { parseAuditInputs } from '../../src/audit/inputs.js';
import { runAudit } from '../../src/audit/run-audit.js';
import { silentLogger } from '../../src/util/logger.js';

const elasticache = mockClient(ElastiCacheClient);
afterEach(() => {
  elasticache.reset();
});

describe('an area AWS will not answer for (aws-sdk-client-mock: moto does not enforce IAM)', () => {
  test('AccessDenied fails each check of the area, saying why and which policy allows it, and the report is still written (aws-sdk-client-mock)', async () => {
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::111122223333:assumed-role/dr-audit/x is not authorized to perform: elasticache:DescribeReplicationGroups',
      ),
      {
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      },
    );
    elasticache.on(DescribeReplicationGroupsCommand).rejects(denied);
    const inputs: Record<string, string> = {
      'primary-region': 'us-east-1',
      'secondary-region': 'us-west-2',
      'cache-replication-group-id': 'saas-cache',
      skip: 'database: tested elsewhere\nmedia: tested elsewhere\nbackup: tested elsewhere\ndns: tested elsewhere',
      'report-path': `/tmp/dr-audit-denied-${process.pid}.json`,
    };
    const result = await runAudit({
      ...parseAuditInputs((name) => inputs[name] ?? '', {}),
      run: {},
      log: silentLogger,
    });
    const cache = result.report.details.checks.find((c) => c.id === 'cache.persistence');
    expect(cache).toMatchObject({
      status: 'failed',
      found: expect.stringMatching(
        /^could not be read: User: .* is not authorized to perform: elasticache:DescribeReplicationGroups$/,
      ),
      fix: expect.stringContaining('docs/iam/dr-audit-role-policy.json'),
    });
    expect(result).toMatchObject({ passed: false, failedCount: 1 });
    expect(result.report.steps.find((s) => s.name === 'read cache settings')).toMatchObject({ status: 'failed' });
    expect(result.report.details.checks.filter((c) => c.status === 'skipped')).toHaveLength(ALL_CHECKS.length - 1);
  });
});
