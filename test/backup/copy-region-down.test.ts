import { afterEach, expect, test } from '@jest/globals';
import { createBucket, listKeys } from '../helpers/s3.js';
import {
  answeringEndpoint,
  notTlsEndpoint,
  refusingEndpoint,
  resettingEndpoint,
  unresolvableEndpoint,
  type FailingEndpoint,
} from '../helpers/failing-s3.js';
import { sampleDatabase } from '../helpers/sample-data.js';
import { COPY_REGION } from '../../harness/second-region.js';
import { restoreVerify } from '../restore-verify/fixtures.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * The plan's regional outage on the night of a backup: the copy region fails in each way a region
 * can, at its own endpoint (copy-endpoint-url), while the primary region works. The bundled action
 * runs as on a runner, with the default lock-mode: auto, which reads the copy bucket's Object Lock
 * configuration. Each time the backup is stored in the primary bucket and restores, copy-status is
 * failed, and the step fails after it, saying why.
 */

const source = sampleDatabase('copy_region_down', 300);
const endpoints: FailingEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
});

const COPY_BUCKET = 'copies-in-the-region-that-is-down';
const lockRead = `could not read the Object Lock configuration of ${COPY_BUCKET}: `;
/** How a copy region that gives no answer is named: the service, its region and its endpoint. */
const copyS3 = `S3 in ${COPY_REGION} at \\S+`;

test.each<[string, () => Promise<FailingEndpoint> | FailingEndpoint, RegExp, boolean]>([
  [
    'refuses connections',
    refusingEndpoint,
    new RegExp(`${lockRead}${copyS3} refused the connection for GetObjectLockConfiguration .*ECONNREFUSED`),
    false,
  ],
  [
    'resets connections',
    resettingEndpoint,
    new RegExp(
      `${lockRead}${copyS3} dropped the connection for GetObjectLockConfiguration .*(ECONNRESET|socket hang up)`,
    ),
    true,
  ],
  [
    'fails TLS (no TLS behind https://)',
    notTlsEndpoint,
    new RegExp(`${lockRead}.*(SSL|TLS|EPROTO|wrong version)`, 'i'),
    true,
  ],
  [
    'has a name that does not resolve',
    unresolvableEndpoint,
    new RegExp(
      `${lockRead}${copyS3} has a host name that does not resolve .*(ENOTFOUND|EAI_AGAIN).*copy-region\\.invalid`,
    ),
    false,
  ],
  [
    'denies (403 AccessDenied)',
    () => answeringEndpoint(403),
    new RegExp(`reading the Object Lock configuration of ${COPY_BUCKET} was denied`),
    true,
  ],
  [
    'errs (500 InternalError)',
    () => answeringEndpoint(500),
    new RegExp(`${lockRead}We encountered an internal error`),
    true,
  ],
])(
  'a copy region that %s: the backup is stored and restores, copy-status failed, the step fails after it saying why',
  async (_what, start, why, answers) => {
    const endpoint = await start();
    endpoints.push(endpoint);
    const bucket = await createBucket('primary');

    const result = await runBundledAction(
      'backup',
      {
        'endpoint-url': stackFromEnv().awsEndpoint,
        region: 'us-east-1',
        'database-url': source.url,
        bucket,
        'copy-bucket': COPY_BUCKET,
        'copy-region': COPY_REGION,
        'copy-endpoint-url': endpoint.url,
      },
      { env: { GITHUB_REPOSITORY: 'acme/saas', GITHUB_RUN_ID: '28' } },
    );

    const key = result.outputs.key as string;
    expect(key).toMatch(/^database\/backup_\d{8}_\d{6}\.dump$/);
    expect(await listKeys(bucket)).toEqual([key, `${key}.globals.sql`, `${key}.manifest.json`]);
    expect(result.outputs['copy-status']).toBe('failed');
    expect(result.outputs['copy-key']).toBe('');
    expect(result.exitCode).toBe(1);
    const error = result.stdout.split('\n').find((line) => line.startsWith('::error::')) ?? '';
    expect(error).toContain(
      `::error::the backup was stored (${key}), but its copy to s3://${COPY_BUCKET} (${COPY_REGION}) failed: `,
    );
    expect(error).toMatch(why);
    expect(result.summary).toContain(`## ✅ Backup of`);
    expect(result.summary).toContain(`## ❌ Copy to ${COPY_REGION} failed`);
    // The copy region was really asked (where it can answer at all), and only after the backup was stored.
    if (answers) expect(endpoint.connections()).toBeGreaterThan(0);

    const restored = await restoreVerify({ bucket, backup: key });
    expect(restored.report.reasons).toEqual([]);
    expect(restored.passed).toBe(true);
  },
);
