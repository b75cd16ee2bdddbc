import { BUCKET, COPY_BUCKET, DATABASE, REGION, SECONDARY_REGION } from '../settings.js';
import type { DrillStep } from '../step.js';

/** The nightly backup, copied to the secondary region's locked bucket as it is written. */
export const backUp: DrillStep = {
  name: 'backup (actions/backup)',
  async run(drill) {
    const run = await drill.action('backup', {
      'database-url': drill.production.url(DATABASE),
      bucket: BUCKET,
      'endpoint-url': drill.stack.awsEndpoint,
      region: REGION,
      'copy-bucket': COPY_BUCKET,
      'copy-region': SECONDARY_REGION,
    });
    if (run.outputs['copy-status'] !== 'copied')
      throw new Error(`the copy to ${SECONDARY_REGION} is ${run.outputs['copy-status']}`);
    return (
      `${run.outputs.key}: ${Number(run.outputs['size-bytes']).toLocaleString('en-US')} bytes, ${run.outputs.tables} tables, ${run.outputs['duration-seconds']} s; ` +
      `the server's roles in ${run.outputs['globals-key']}; copied to s3://${COPY_BUCKET} (${SECONDARY_REGION}, locked)`
    );
  },
};
