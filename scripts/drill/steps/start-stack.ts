import { startArchivingPrimary } from '../../../harness/point-in-time.js';
import { startStack } from '../../../harness/stack.js';
import type { DrillStep } from '../step.js';

/** The test stack (PostgreSQL, moto_server) and production: a server that archives its WAL, as RDS keeps it for point-in-time recovery. */
export const startTheStack: DrillStep = {
  name: 'start the test stack',
  essential: true,
  async run(drill) {
    // Each is kept as soon as it runs, so that stopping ends it even when the other failed to start.
    const [stack, production] = await Promise.allSettled([
      startStack().then((s) => (drill.started.stack = s)),
      startArchivingPrimary().then((p) => (drill.started.production = p)),
    ]);
    if (stack.status === 'rejected') throw stack.reason;
    if (production.status === 'rejected') throw production.reason;
    Object.assign(process.env, stack.value.env);
    return (
      `PostgreSQL ${stack.value.postgres.version} on 127.0.0.1:${stack.value.postgres.port}, moto_server on ${stack.value.awsEndpoint}; ` +
      `the production server on 127.0.0.1:${production.value.port}, archiving its WAL since its base backup (point-in-time recovery)`
    );
  },
};
