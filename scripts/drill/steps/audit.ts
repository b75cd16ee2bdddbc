import { auditInputsFor, createAuditTopology } from '../../../harness/audit-topology.js';
import { REPORT } from '../settings.js';
import type { DrillStep } from '../step.js';

/** dr-audit over the plan's AWS topology, set up as the plan says (harness/audit-topology.ts) on moto. */
export const auditPrerequisites: DrillStep = {
  name: "audit the plan's prerequisites (actions/dr-audit)",
  async run(drill) {
    const topology = await createAuditTopology();
    const run = await drill.action('dr-audit', {
      ...auditInputsFor(topology, { endpointUrl: drill.stack.awsEndpoint, reportPath: drill.reportPath(REPORT.audit) }),
      'cache-replication-group-id': topology.cacheGroupId,
    });
    return `${run.outputs['findings-count']} findings, ${run.outputs['failed-count']} failing the step (fail-on high)`;
  },
};
