import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../src/aws/clients.js';
import { parseDatabaseUrl } from '../../../src/postgres/connection.js';
import { PsqlSession } from '../../../src/postgres/psql-session.js';
import { createSaasSchema } from '../../../harness/saas-dataset.js';
import { createSaasRoles } from '../saas-roles.js';
import { BUCKET, COPY_BUCKET, DATABASE, REGION, SECONDARY_REGION } from '../settings.js';
import type { DrillStep } from '../step.js';

/** Production's deterministic SaaS database and its application's roles; the backup bucket and its locked copy in the secondary region. */
export const createSampleDatabase: DrillStep = {
  name: (drill) => `create the sample database (${drill.options.sizeMb} MB) and the application's roles`,
  essential: true,
  async run(drill) {
    const { production, stack } = drill;
    const sourceUrl = production.url(DATABASE);
    const admin = await PsqlSession.open(parseDatabaseUrl(production.url(), 'url'));
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.close();
    const dataset = await createSaasSchema(parseDatabaseUrl(sourceUrl, 'url'), drill.options.sizeMb);
    drill.dataset = dataset;
    const roles = await createSaasRoles(parseDatabaseUrl(sourceUrl, 'url'), drill.options.appPassword);
    await createS3Client({ region: REGION, endpointUrl: stack.awsEndpoint }).send(
      new CreateBucketCommand({ Bucket: BUCKET }),
    );
    await createS3Client({ region: SECONDARY_REGION, endpointUrl: stack.awsEndpoint }).send(
      new CreateBucketCommand({
        Bucket: COPY_BUCKET,
        CreateBucketConfiguration: { LocationConstraint: SECONDARY_REGION },
        ObjectLockEnabledForBucket: true,
      }),
    );
    const rows = Object.entries(dataset).map(([table, n]) => `${n.toLocaleString('en-US')} ${table}`);
    return `${rows.join(', ')}; roles ${roles.join(', ')} (owner, read-only group, the application's login)`;
  },
};
