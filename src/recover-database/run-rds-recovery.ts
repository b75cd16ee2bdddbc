import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { errorMessage } from '../errors.js';
import type { ReportStep, StepRecorder } from '../report/report.js';
import { StepFailure } from '../report/step-pipeline.js';
import { redact } from '../util/redact.js';
import type { RecoveryBase } from './context.js';
import type { CutoverPacing } from './application-steps.js';
import { runInProgress, restoredIdentifier } from './rds-claim.js';
import { executeRdsRecovery, refuseOtherInstance, type RdsPacing } from './rds-execute.js';
import { bareDnsName } from '../aws/dns-names.js';
import { recordBackCommand } from './rds-record.js';
import { planRdsRecovery, recordRdsPlan, type RdsRecoveryPlan, type RdsRun } from './rds-plan.js';
import { STEP } from './steps.js';

const PHASE: Record<RdsRecoveryPlan['phase'], (plan: RdsRecoveryPlan, id: string) => string> = {
  fresh: (p, id) => `${id} (${p.replaces}) is to be replaced by a restore of ${p.binding}; nothing started yet`,
  restored: (p, id) =>
    `an earlier run restored ${p.binding} into ${p.restoredId}; ${id} is untouched: this run goes on from there`,
  'half-renamed': (p, id) =>
    `an earlier run renamed the damaged instance to ${p.keptAs} but not ${p.restoredId} to ${id}: this run finishes the cut-over`,
  renamed: (p, id) =>
    p.record
      ? `an earlier run moved ${bareDnsName(p.record.target.name)} to ${p.restoredId} (${id} keeps its identifier): this run goes on after the cut-over`
      : `an earlier run put ${p.restoredId} in place as ${id} (the damaged instance is ${p.keptAs}): this run goes on after the renames`,
  done: (p, id) => `${id} was already recovered to ${p.binding}; the damaged instance is ${p.keptAs}: nothing to do`,
};

/** A plan's words for a run at work on the recovery while it was made. */
const atWork = (plan: RdsRecoveryPlan) =>
  `a run is at work on this recovery now (it holds ${plan.restoredId}: ${plan.heldBy}): an execute started before it ends stops at its connection, having changed nothing`;

/** A plan's state: it changed nothing, and what it found under way. */
function planState(plan: RdsRecoveryPlan): string {
  if (plan.phase === 'done') return 'plan only: nothing was changed; the recovery is already complete';
  return `plan only: nothing was changed${plan.heldBy ? `; ${atWork(plan)}` : ''}`;
}

type PhasedAction = [RdsRecoveryPlan['phase'][], string | undefined];

/** The cut-over: the two renames, or with cutover: dns the record's compare-and-swap. */
function cutoverActions(plan: RdsRecoveryPlan, rename: (from: string, to: string) => string): PhasedAction[] {
  const id = plan.keptAs;
  if (!plan.record)
    return [
      [
        ['fresh', 'restored'],
        `tag ${plan.damaged?.id ?? id} with this recovery, then ${rename(plan.damaged?.id ?? id, plan.keptAs)}; wait until available`,
      ],
      [
        ['fresh', 'restored', 'half-renamed'],
        `${rename(plan.restoredId, plan.damaged?.id ?? id)}; wait until available`,
      ],
    ];
  const { target, value } = plan.record;
  return [
    [
      ['fresh', 'restored'],
      `tag ${id} with this recovery (it keeps its identifier), then move ${bareDnsName(target.name)} CNAME from ${value} to the endpoint of ${plan.restoredId} (TTL ${target.ttl}) in one change batch: DELETE the record as read + CREATE the new one, so Route 53 refuses it if anyone changed the record since; wait until Route 53 reports it INSYNC`,
    ],
  ];
}

function actions(run: RdsRun, plan: RdsRecoveryPlan): string[] {
  const id = run.rds.instanceId;
  const { commands, checks, smokeCommand, health } = run.settings;
  const words = (c: readonly string[] | undefined) => c?.join(' ');
  const restore =
    plan.point?.mechanism === 'snapshot'
      ? `aws rds restore-db-instance-from-db-snapshot --db-snapshot-identifier ${plan.binding}`
      : `aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier ${id} --restore-time ${plan.binding}`;
  const rename = (from: string, to: string) =>
    `aws rds modify-db-instance --db-instance-identifier ${from} --new-db-instance-identifier ${to} --apply-immediately`;
  const claim = 'connect to it and claim it for this run (a run at work on it refuses this one before any change)';
  const all: PhasedAction[] = [
    [
      ['fresh'],
      `${restore} --target-db-instance-identifier ${plan.restoredId} (made as ${id} is; tagged with this recovery)`,
    ],
    [
      ['fresh', 'restored'],
      `wait until ${plan.restoredId} is available, ${claim}, then prove it: ${[checks && `the checks in ${checks.path}`, smokeCommand && `smoke-command: ${words(smokeCommand)}`].filter(Boolean).join(', ') || 'a connection'}`,
    ],
    [['half-renamed', 'renamed'], `wait until ${restoredIdentifier(run, plan)} is available, then ${claim}`],
    [['fresh', 'restored', 'half-renamed'], commands.stop && `stop-command: ${words(commands.stop)}`],
    ...cutoverActions(plan, rename),
    [
      ['fresh', 'restored', 'half-renamed', 'renamed'],
      commands.migrate && `migrate-command: ${words(commands.migrate)}`,
    ],
    [['fresh', 'restored', 'half-renamed', 'renamed'], commands.start && `start-command: ${words(commands.start)}`],
    [
      ['fresh', 'restored', 'half-renamed', 'renamed'],
      health && `wait up to ${health.timeoutSeconds} s for ${health.display} to answer ${health.expectStatus}`,
    ],
  ];
  return all.filter(([phases, text]) => text && phases.includes(plan.phase)).map(([, text]) => text as string);
}

/** The commands that put the damaged instance back under the production identifier, once the restored one took it. */
export function putBackCommands(run: RdsRun, plan: Pick<RdsRecoveryPlan, 'restoredId' | 'keptAs'>): string[] {
  const id = run.rds.instanceId;
  const region = run.settings.aws.region;
  const rename = (from: string, to: string) =>
    `aws rds modify-db-instance --region ${region} --db-instance-identifier ${from} --new-db-instance-identifier ${to} --apply-immediately`;
  return [
    rename(id, plan.restoredId),
    `aws rds wait db-instance-available --region ${region} --db-instance-identifier ${plan.restoredId}`,
    rename(plan.keptAs, id),
  ];
}

/** Where things stand at the end of an RDS recovery, in a sentence (and the way back once the renames happened). */
export function describeRdsEnd(
  run: RdsRun,
  plan: RdsRecoveryPlan | undefined,
  steps: readonly ReportStep[],
  failed: boolean,
): void {
  const { details } = run;
  const id = run.rds.instanceId;
  if (!plan) return void (details.state = `nothing was changed: ${id} is as it was`);
  const kept = `the damaged instance is kept as ${plan.keptAs} (delete it once the incident is closed: aws rds delete-db-instance --db-instance-identifier ${plan.keptAs} --final-db-snapshot-identifier ${plan.keptAs}-final, after turning its deletion protection off if it has it)`;
  const passed = (name: string) => steps.some((s) => s.name === name && s.status === 'passed');
  if (plan.record) return describeDnsEnd(run, plan, failed, plan.phase === 'restored' || passed(STEP.restoreInstance));
  if (details.recovered) {
    details.putBack = putBackCommands(run, plan);
    details.state = failed
      ? `${id} is the instance restored to ${plan.binding} now, but the recovery stopped after the renames (see the failed step); ${kept}. Run again to go on, or put the old instance back with the commands below`
      : `${id} is the instance restored to ${plan.binding}; ${kept}`;
    return;
  }
  if (details.mode === 'plan') return void (details.state = planState(plan));
  if (plan.phase === 'half-renamed' || passed(STEP.renameDamaged)) {
    details.state = `${id} has no instance: the damaged one is ${plan.keptAs}, the restored one ${plan.restoredId}; run again to finish the cut-over, or put the damaged one back: aws rds modify-db-instance --db-instance-identifier ${plan.keptAs} --new-db-instance-identifier ${id} --apply-immediately`;
    return;
  }
  const restored = plan.phase === 'restored' || passed(STEP.restoreInstance);
  details.state = restored
    ? `${id} was not changed (${plan.replaces}); the restored instance ${plan.restoredId} is kept for inspection: run again to resume from it, or delete it`
    : `${id} was not changed (${plan.replaces}); no instance was restored`;
}

/** describeRdsEnd for cutover: dns: the damaged instance never leaves its identifier; the record is what moves. */
function describeDnsEnd(run: RdsRun, plan: RdsRecoveryPlan, failed: boolean, restoredKept: boolean): void {
  const { details } = run;
  const id = run.rds.instanceId;
  const record = plan.record;
  if (!record) return;
  const kept = `the damaged instance ${id} keeps its identifier, tagged with this recovery (delete it once the incident is closed: aws rds delete-db-instance --db-instance-identifier ${id} --final-db-snapshot-identifier ${id}-final, after turning its deletion protection off if it has it)`;
  const damagedAddress = plan.damaged?.endpoint?.address;
  if (details.recovered && plan.restoredAddress && damagedAddress) {
    details.putBack = [recordBackCommand(record, plan.restoredAddress, damagedAddress)];
    details.state = failed
      ? `${bareDnsName(record.target.name)} points at ${plan.restoredId}, restored to ${plan.binding}, but the recovery stopped after the cut-over (see the failed step); ${kept}. Run again to go on, or point the record back with the command below`
      : `${bareDnsName(record.target.name)} points at ${plan.restoredId}, restored to ${plan.binding}; ${kept}`;
    return;
  }
  if (details.mode === 'plan') return void (details.state = planState(plan));
  const untouched = `${bareDnsName(record.target.name)} was not changed (it holds ${record.value}) and ${id} is as it was`;
  details.state = restoredKept
    ? `${untouched}; the restored instance ${plan.restoredId} is kept for inspection: run again to resume from it, or delete it`
    : `${untouched}; no instance was restored`;
}

/** Plan, and in execute mode the recovery, of an RDS source; the error, if any, with secrets taken out. */
export async function rdsPlanAndExecute(
  base: RecoveryBase,
  clients: { rds: RDSClient; route53?: Route53Client },
  steps: StepRecorder,
  pacing: { cutover: CutoverPacing; rds: RdsPacing },
): Promise<{ plan?: RdsRecoveryPlan; error?: Error }> {
  const rds = base.settings.rds;
  if (!rds) throw new Error('an RDS recovery without its RDS settings');
  const run: RdsRun = { ...base, client: clients.rds, route53: clients.route53, rds };
  const outcome: { plan?: RdsRecoveryPlan; error?: Error } = {};
  try {
    const plan = await steps.run(
      STEP.plan,
      async () => {
        const found = await planRdsRecovery(run);
        recordRdsPlan(run, found);
        refuseOtherInstance(run, found);
        if (run.settings.mode === 'plan') found.heldBy = await runInProgress(run, found);
        return found;
      },
      (p) => PHASE[p.phase](p, rds.instanceId) + (p.heldBy ? `; ${atWork(p)}` : ''),
    );
    outcome.plan = plan;
    run.details.actions = actions(run, plan);
    if (run.settings.mode === 'execute')
      await executeRdsRecovery(
        { run, plan, steps, pacing: { ...pacing.rds, clock: pacing.cutover.clock } },
        pacing.cutover,
      );
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(errorMessage(caught));
    error.message = redact(error instanceof StepFailure ? error.reasons.join('; ') : error.message, run.secrets);
    outcome.error = error;
  }
  describeRdsEnd(run, outcome.plan, steps.steps, Boolean(outcome.error));
  return outcome;
}
