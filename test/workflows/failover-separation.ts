import { parse } from 'yaml';
import { jobsOf, parseWorkflow, type Job } from './workflow-rules.js';

/**
 * failover.yml's two sides: the production jobs (configure and the jobs that need it) and the
 * staging drill's (configure-staging and the jobs that need it). Each side may name only its own
 * secrets, roles, variables and environment, so that no edit of an expression on one side can
 * fall back to the other's.
 */

type Side = 'production' | 'staging';

const ROOTS: Record<Side, string> = { production: 'configure', staging: 'configure-staging' };

/** What only the production side may name. Repository variables are production's configuration: staging values come from the caller. */
const PRODUCTION_ONLY: RegExp[] = [
  /\bsecrets\.(?!STAGING_)[A-Z_]+/,
  /\bvars\./,
  /disaster-recovery-failover/,
  /\binputs\.environment\b/,
  /\bneeds\.(configure|plan|execute)\./,
];

function stagingOnly(workflow: Record<string, unknown>): RegExp[] {
  const call = ((workflow.on as Record<string, unknown>)?.workflow_call ?? {}) as {
    inputs?: Record<string, { description?: string }>;
  };
  const inputs = Object.entries(call.inputs ?? {})
    .filter(([, spec]) => /^With staging/.test(spec.description ?? ''))
    .map(([name]) => name);
  return [
    /\bsecrets\.STAGING_/,
    ...inputs.map((name) => new RegExp(`\\binputs\\.${name.replace(/-/g, '\\-')}\\b`)),
    /\bneeds\.[a-z-]+-staging\./,
  ];
}

/** A job's side: the configure job it descends from through `needs`. */
function sideOf(job: Job, jobs: Job[]): Side | undefined {
  if (job.id === ROOTS.production) return 'production';
  if (job.id === ROOTS.staging) return 'staging';
  const needs = ([] as string[]).concat((job.body.needs as string | string[] | undefined) ?? []);
  const sides = new Set(needs.map((id) => jobs.find((j) => j.id === id)).flatMap((j) => (j ? [sideOf(j, jobs)] : [])));
  return sides.size === 1 ? [...sides][0] : undefined;
}

/** Every place a job names something the other side owns, a job that belongs to neither side, and any secret chosen with && ... ||. */
export function crossedReferences(text: string): string[] {
  const workflow = parseWorkflow(text);
  const jobs = jobsOf(workflow);
  const forbidden: Record<Side, RegExp[]> = { production: stagingOnly(workflow), staging: PRODUCTION_ONLY };
  const problems: string[] = [];
  for (const job of jobs) {
    const side = sideOf(job, jobs);
    if (!side) {
      problems.push(`job ${job.id} belongs to neither the production nor the staging side`);
      continue;
    }
    const body = JSON.stringify(job.body);
    for (const pattern of forbidden[side]) {
      const found = pattern.exec(body);
      if (found) problems.push(`${side} job ${job.id} names ${found[0]}`);
    }
    for (const expression of body.match(/\$\{\{[^}]*\}\}/g) ?? []) {
      if (/secrets\.|role/i.test(expression) && /&&|\|\|/.test(expression))
        problems.push(`${side} job ${job.id} chooses with ${expression}`);
    }
  }
  return problems;
}

/** The job's `if:` as written, for the test that the two sides never run together. */
export function conditionOf(text: string, id: string): unknown {
  return (parse(text) as { jobs: Record<string, { if?: unknown }> }).jobs[id]?.if;
}
