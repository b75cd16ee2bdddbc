import type { ObjectiveResult, Report } from '../../src/report/report.js';
import { formatDuration } from '../../src/util/format.js';
import type { DrillRun } from './drill-run.js';
import { SAAS_ROLES } from './saas-roles.js';
import { BUCKET, DATABASE, REPORT } from './settings.js';

type DrillObjective = ObjectiveResult & { kind: Report['kind'] };

export interface Verdict {
  passed: boolean;
  objectives: DrillObjective[];
}

/** Whether the drill passed: every step ran and passed, and every objective its reports hold was met. */
export async function judge(drill: DrillRun): Promise<Verdict> {
  // In the order the drill made them.
  const reports = (await Promise.all(Object.values(REPORT).map((file) => drill.readReport(file)))).filter(
    (r): r is Report => Boolean(r),
  );
  const objectives = reports.flatMap((report) => report.objectives.map((o) => ({ ...o, kind: report.kind })));
  const passed =
    drill.steps.length > 0 && drill.steps.every((s) => s.passed) && objectives.every((o) => o.passed !== false);
  return { passed, objectives };
}

/** The verdict as one JSON document, with what the drill started so that a caller can check none of it is left running. */
export function verdictJson(drill: DrillRun, verdict: Verdict): string {
  const { stack, production, newServer, replica, health, restoredPorts } = drill.started;
  return JSON.stringify(
    {
      ...verdict,
      seconds: (Date.now() - drill.startedAt) / 1000,
      steps: drill.steps,
      outputDir: drill.options.outDir,
      report: drill.drillReport,
      started: {
        postgresPort: stack?.postgres.port,
        motoPid: stack?.motoPid,
        productionPort: production?.port,
        newServerPort: newServer?.port,
        restoredPorts,
        replicaPort: replica?.port,
        healthUrl: health?.url,
      },
    },
    null,
    2,
  );
}

function describeObjective(o: DrillObjective): string {
  const measured = o.measuredSeconds === null ? 'not measured' : formatDuration(o.measuredSeconds);
  return `${o.kind}: ${o.name} (${o.scenario}, ${o.measure}): ${measured} of ${formatDuration(o.targetSeconds)} ${o.passed === null ? '(unknown)' : o.passed ? '(met)' : '(MISSED)'}`;
}

/** With --keep: where the servers still run and how to stop them. */
function keptServers(drill: DrillRun): string {
  const { stack, production, newServer, replica } = drill.started;
  if (!stack) return '';
  const servers = [production, newServer, replica].filter((s): s is NonNullable<typeof s> => Boolean(s));
  return (
    `  the stack keeps running (Ctrl-C does not stop it now):\n` +
    (production ? `    production: psql '${production.url(DATABASE)}'\n` : '') +
    (newServer
      ? `    the rebuilt server: psql '${newServer.url(DATABASE)}' (or as ${SAAS_ROLES.app}, with APP_DB_PASSWORD)\n`
      : '') +
    `    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${stack.awsEndpoint} s3 ls s3://${BUCKET}/database/\n` +
    `    stop it: pg_ctl -D <dir>/data stop (as postgres) for ${[stack.postgres, ...servers].map((s) => s.baseDir).join(', ')}; kill ${stack.motoPid}\n`
  );
}

/** The verdict for a reader: each step and objective on a line, where the reports are, and what is left running. */
export function verdictText(drill: DrillRun, verdict: Verdict): string {
  const { outDir, keep } = drill.options;
  const lines = [
    ...drill.steps.map((s) => `  ${s.passed ? 'ok  ' : 'FAIL'} ${formatDuration(s.seconds).padStart(9)}  ${s.name}`),
    ...verdict.objectives.map((o) => `  ${o.passed === false ? 'MISS' : 'ok  '} ${describeObjective(o)}`),
    `  drill report: ${drill.drillReport ?? 'not written'}`,
    `  job summaries: ${outDir}/summaries`,
    `  JSON reports: ${drill.reportsDir}`,
  ];
  return `${lines.join('\n')}\n${keep ? keptServers(drill) : ''}`;
}
