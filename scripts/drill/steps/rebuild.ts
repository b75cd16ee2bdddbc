import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { RestoreVerifyReport } from '../../../src/restore/restore-report.js';
import { startPostgres } from '../../../harness/postgres.js';
import { leaks, type DrillRun } from '../drill-run.js';
import { APP_SETTINGS, SAAS_ROLES } from '../saas-roles.js';
import { APP_LOGIN_FILE, BUCKET, CHECKS_FILE, DATABASE, REGION, REPORT } from '../settings.js';
import type { DrillStep } from '../step.js';
import { backUp } from './backup.js';

/** restore-verify with rebuild onto `targetUrl`, the application's password given as a secret. */
function restoreWithRebuild(drill: DrillRun, targetUrl: string) {
  const login = resolve(APP_LOGIN_FILE);
  return drill.action(
    'restore-verify',
    {
      bucket: BUCKET,
      prefix: 'database/',
      backup: 'latest',
      'target-database-url': targetUrl,
      'source-database-url': drill.production.url(DATABASE),
      rebuild: 'true',
      'keep-database': 'true',
      'role-passwords': JSON.stringify({ [SAAS_ROLES.app]: drill.options.appPassword }),
      'smoke-env': 'APP_DB_PASSWORD',
      checks: resolve(CHECKS_FILE),
      'smoke-command': `sh -c 'PGUSER=${SAAS_ROLES.app} PGPASSWORD="$APP_DB_PASSWORD" exec psql -X -A -t -v ON_ERROR_STOP=1 -f "${login}"'`,
      'endpoint-url': drill.stack.awsEndpoint,
      region: REGION,
      'report-path': drill.reportPath(REPORT.rebuild),
    },
    { env: { APP_DB_PASSWORD: drill.options.appPassword }, summary: 'restore-verify-rebuild' },
  );
}

/**
 * The plan's infrastructure rebuild: a second, empty cluster stands in for the new server; the
 * backup brings back the roles (from its globals), the database with owners and grants, and its
 * settings; the application's role logs in with its password from a secret and reads its tables.
 */
export const rebuildOntoEmptyServer: DrillStep = {
  name: 'rebuild the server: restore-verify with rebuild onto a second, empty cluster (actions/restore-verify)',
  needs: [backUp],
  async run(drill) {
    const newServer = (drill.started.newServer = await startPostgres());
    const run = await restoreWithRebuild(drill, newServer.url(DATABASE));
    const reportText = await readFile(drill.reportPath(REPORT.rebuild), 'utf8');
    if (leaks(drill.options.appPassword, run, reportText))
      throw new Error(`${SAAS_ROLES.app}'s password shows in the rebuild's output, summary or report`);
    const report = JSON.parse(reportText) as RestoreVerifyReport;
    const roles = report.details.roles;
    if (roles?.mode !== 'rebuild' || roles.missing.length > 0 || !roles.passwordsSet.includes(SAAS_ROLES.app)) {
      throw new Error(`the rebuild's roles: ${JSON.stringify(roles)}`);
    }
    // What the application saw, as its own role: its settings, its tables, its sequence.
    const seen = (report.details.smoke?.output ?? '').trim().split('\n');
    const expected = [
      SAAS_ROLES.app,
      APP_SETTINGS.statement_timeout,
      APP_SETTINGS.work_mem,
      String(drill.dataset?.payments),
      String(drill.dataset?.users),
      '1000',
    ];
    if (seen.join(' ') !== expected.join(' '))
      throw new Error(`the application's login on the new server saw ${seen.join(' ')}, not ${expected.join(' ')}`);
    return (
      `${DATABASE} rebuilt from ${run.outputs['backup-key']} on an empty PostgreSQL ${newServer.version} (127.0.0.1:${newServer.port}): ` +
      `roles ${roles.created.join(', ')} created from the backup's globals, ${SAAS_ROLES.app}'s password from APP_DB_PASSWORD; ` +
      `${SAAS_ROLES.app} logged in (statement_timeout ${seen[1]}, work_mem ${seen[2]}) and read ${seen[3]} payments; recovery ${run.outputs['recovery-seconds']} s`
    );
  },
};
