import { join } from 'node:path';
import { startApplication } from '../application.js';
import { REPORT } from '../settings.js';
import type { DrillStep } from '../step.js';

/**
 * The plan's application crash (RTO 30 min), as recover-application.yml's staging drill runs it:
 * the plan, then execute bound to it, which kills the application first (crash-command), restarts
 * it, waits for its health URL, and times the recovery from the crash.
 */
export const recoverApplication: DrillStep = {
  name: 'crash the application and recover it (actions/recover-application, drill)',
  async run(drill) {
    const app = (drill.started.application ??= await startApplication());
    const inputs = { 'crash-command': app.crashCommand, 'restart-command': app.startCommand, 'health-url': app.url };
    const plan = await drill.action(
      'recover-application',
      { ...inputs, 'report-path': join(drill.options.outDir, 'recover-application-plan-report.json') },
      { summary: 'recover-application-plan' },
    );
    const run = await drill.action('recover-application', {
      ...inputs,
      mode: 'execute',
      confirm: app.host,
      'expected-plan-digest': plan.outputs['plan-digest'] ?? '',
      'report-path': drill.reportPath(REPORT.recoverApplication),
    });
    if (run.outputs.recovered !== 'true')
      throw new Error(`recover-application's outputs: ${JSON.stringify(run.outputs)}`);
    const health = await fetch(app.url);
    if (health.status !== 200)
      throw new Error(`the application's health endpoint answers ${health.status} after the restart`);
    return `${app.host} killed, restarted and healthy again ${run.outputs['recovery-seconds']} s after the crash (RTO 30 min)`;
  },
};
