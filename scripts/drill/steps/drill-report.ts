import { join } from 'node:path';
import type { DrillStep } from '../step.js';

/** The drill's record from every report the steps wrote, as dr-drill.yml makes it, without the pull request. */
export const writeDrillReport: DrillStep = {
  name: 'drill report (actions/drill-report, no pull request)',
  async run(drill) {
    const run = await drill.action('drill-report', {
      reports: 'reports/**/*.json',
      title: 'Local disaster-recovery drill',
      'history-dir': 'history',
      'open-pr': 'false',
    });
    drill.drillReport = join(drill.options.outDir, run.outputs['report-path'] as string);
    return `${drill.drillReport} (${run.outputs.passed === 'true' ? 'passed' : 'failed'})`;
  },
};
