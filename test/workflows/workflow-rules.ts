import { parse } from 'yaml';

/** The project's rules for workflows, checked mechanically. Each problem is one sentence naming the place. */

type Map = Record<string, unknown>;

const SHA_PIN = /^[^@\s]+@[0-9a-f]{40}$/;
const VERSION_COMMENT = /#\s*v\d+(\.\d+)*\s*$/;

function asMap(value: unknown): Map {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Map) : {};
}

function isThirdParty(uses: string): boolean {
  return !uses.startsWith('./') && !uses.startsWith('docker://');
}

/** Every `uses:` line of the raw text, with what follows the value (the version comment). */
function usesLines(text: string): { line: number; value: string; rest: string }[] {
  return text.split('\n').flatMap((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(['"]?)([^'"\s#]+)\1(.*)$/.exec(line);
    return m ? [{ line: i + 1, value: m[2] as string, rest: m[3] as string }] : [];
  });
}

export interface Job {
  id: string;
  body: Map;
  steps: Map[];
}

export function jobsOf(workflow: Map): Job[] {
  return Object.entries(asMap(workflow.jobs)).map(([id, body]) => ({
    id,
    body: asMap(body),
    steps: (asMap(body).steps as Map[] | undefined) ?? [],
  }));
}

export function parseWorkflow(text: string): Map {
  return asMap(parse(text));
}

/** Rules for every workflow: pins, permissions, no expressions in scripts, checkouts that keep no token, local actions after a checkout, OIDC for AWS. */
export function workflowProblems(text: string, name: string): string[] {
  const problems: string[] = [];
  const workflow = parseWorkflow(text);

  for (const use of usesLines(text)) {
    if (!isThirdParty(use.value)) continue;
    if (!SHA_PIN.test(use.value)) problems.push(`${name}:${use.line}: ${use.value} is not pinned to a full commit SHA`);
    else if (!VERSION_COMMENT.test(use.rest))
      problems.push(`${name}:${use.line}: ${use.value} has no version comment (# vX.Y.Z)`);
  }

  if (!('permissions' in workflow)) problems.push(`${name}: no top-level permissions`);
  for (const job of jobsOf(workflow)) {
    if (!('permissions' in job.body)) problems.push(`${name}: job ${job.id} has no explicit permissions`);
    const checkouts: string[] = [];
    job.steps.forEach((step, i) => {
      const where = `${name}: job ${job.id} step ${i + 1}`;
      if (typeof step.run === 'string' && step.run.includes('${{'))
        problems.push(`${where}: an expression inside run: (pass it through env:)`);
      const uses = typeof step.uses === 'string' ? step.uses : '';
      if (uses.startsWith('actions/checkout@') && asMap(step.with)['persist-credentials'] !== false)
        problems.push(`${where}: actions/checkout leaves the token in .git/config (persist-credentials: false)`);
      if (uses.startsWith('actions/checkout@'))
        checkouts.push(
          String(asMap(step.with).path ?? '')
            .replace(/^\.\//, '')
            .replace(/^\.$|\/$/, ''),
        );
      if (uses.startsWith('./')) {
        const path = uses.slice(2);
        if (!checkouts.some((dir) => dir === '' || path === dir || path.startsWith(`${dir}/`)))
          problems.push(`${where}: ${uses} is used before a checkout that provides it`);
      }
      if (uses.startsWith('aws-actions/configure-aws-credentials@')) {
        const inputs = asMap(step.with);
        if (!inputs['role-to-assume'] || 'aws-access-key-id' in inputs)
          problems.push(`${where}: AWS credentials must come from OIDC (role-to-assume), not keys`);
        if (asMap(job.body.permissions)['id-token'] !== 'write')
          problems.push(`${name}: job ${job.id} assumes an AWS role without id-token: write`);
      }
    });
  }
  return problems;
}

/** Extra rules for the disaster-recovery workflows: reusable, typed, one run at a time. */
export function drWorkflowProblems(text: string, name: string): string[] {
  const problems: string[] = [];
  const workflow = parseWorkflow(text);
  const on = asMap(workflow.on);
  const call = asMap(on.workflow_call);
  if (!('workflow_call' in on)) problems.push(`${name}: not reusable (no on.workflow_call)`);
  for (const [input, spec] of Object.entries({ ...asMap(call.inputs), ...asMap(asMap(on.workflow_dispatch).inputs) })) {
    if (!asMap(spec).type) problems.push(`${name}: input ${input} has no type`);
  }
  const concurrency = asMap(workflow.concurrency);
  if (!concurrency.group) problems.push(`${name}: no concurrency group`);
  if (concurrency['cancel-in-progress'] !== false)
    problems.push(`${name}: concurrency may cancel a running disaster-recovery job`);
  return problems;
}
