import { randomBytes } from 'node:crypto';
import { CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import { expect, test } from '@jest/globals';
import { restoreFromSnapshot, type TemporaryInstance } from '../../src/aws/rds-recovery.js';
import { createPrimary, describe as describeInstance, PRIMARY_REGION, rdsIn } from '../../harness/aws-topology.js';

/**
 * A restore turns IAM database authentication off unless asked (RDS's default for a restored
 * instance): with database-auth iam, rds-restore-test's temporary instance and recover-database's
 * replacement ask for it, or their tokens would be refused. Against moto, over HTTP.
 */
test('an instance restored for database-auth iam has IAM database authentication on; otherwise off', async () => {
  const id = `iam-source-${randomBytes(3).toString('hex')}`;
  const rds = rdsIn(PRIMARY_REGION);
  // Off on the source: moto copies a source's setting onto a restore, where RDS turns it off.
  await createPrimary(id, { EnableIAMDatabaseAuthentication: false });
  await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: `${id}-snap` }));
  const target = (suffix: string, iam: boolean): TemporaryInstance => ({
    id: `${id}-${suffix}`,
    instanceClass: 'db.t3.micro',
    securityGroupIds: [],
    tags: { 'dr-actions:made-by': 'test' },
    ...(iam ? { iamDatabaseAuthentication: true } : {}),
  });
  await restoreFromSnapshot(rds, `${id}-snap`, target('iam', true), PRIMARY_REGION);
  await restoreFromSnapshot(rds, `${id}-snap`, target('password', false), PRIMARY_REGION);
  expect((await describeInstance(`${id}-iam`, PRIMARY_REGION)).IAMDatabaseAuthenticationEnabled).toBe(true);
  expect((await describeInstance(`${id}-password`, PRIMARY_REGION)).IAMDatabaseAuthenticationEnabled).toBe(false);
});
