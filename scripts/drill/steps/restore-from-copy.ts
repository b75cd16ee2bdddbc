import { resolve } from 'node:path';
import { postgresUrl } from '../../../harness/postgres.js';
import { CHECKS_FILE, COPY_BUCKET, DATABASE, REPORT, SCRATCH_DATABASE, SECONDARY_REGION } from '../settings.js';
import type { DrillStep } from '../step.js';
import { backUp } from './backup.js';

/** The monthly restore test, in the plan's regional outage: a random backup, read from the secondary region's copy. */
export const restoreFromCopy: DrillStep = {
  name: "restore-verify a random backup from the secondary region's copy (actions/restore-verify)",
  needs: [backUp],
  async run(drill) {
    const run = await drill.action('restore-verify', {
      bucket: COPY_BUCKET,
      prefix: 'database/',
      backup: 'random',
      // A scratch database on another server than production, as the monthly restore test's service container is.
      'target-database-url': postgresUrl(drill.stack.postgres, SCRATCH_DATABASE),
      'source-database-url': drill.production.url(DATABASE),
      checks: resolve(CHECKS_FILE),
      'smoke-command': 'psql -X -q -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM users"',
      'endpoint-url': drill.stack.awsEndpoint,
      region: SECONDARY_REGION,
      'report-path': drill.reportPath(REPORT.restoreFromCopy),
    });
    return `${run.outputs['backup-key']} restored from s3://${COPY_BUCKET} (${SECONDARY_REGION}) and verified; recovery ${run.outputs['recovery-seconds']} s`;
  },
};
