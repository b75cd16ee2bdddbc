import { describeInstance, endpointText } from '../aws/rds.js';
import { errorMessage } from '../errors.js';
import { findClient } from '../postgres/binaries.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../postgres/connection.js';
import { findClaimHolder } from '../postgres/target-claim.js';
import { redact } from '../util/redact.js';
import type { RdsRecoveryPlan, RdsRun } from './rds-plan.js';

/**
 * The name of the claim a run holds on the restored instance from its connection to its end (an
 * advisory lock on the instance itself, as RDS has no conditional write). It is the identifier the
 * instance was restored under, so it stays one claim when the instance takes the production
 * identifier: a run resuming after the renames meets the claim of the run that made them.
 */
export const claimName = (plan: RdsRecoveryPlan, database: string) => `${plan.restoredId}/${database}`;

/** The refusal of a run that finds the claim held, naming who holds it. */
export const claimRefusal = (run: RdsRun, plan: RdsRecoveryPlan) => (holder: string) =>
  `another run is recovering ${run.rds.instanceId} onto ${plan.restoredId} (${holder}); this run changed nothing: let it finish, then run again if it stopped (a re-run resumes where it stopped)`;

/** The identifier the restored instance has in the plan's phase: the production one once the renames put it there. */
export function restoredIdentifier(run: RdsRun, plan: RdsRecoveryPlan): string {
  const renamed = plan.phase === 'renamed' || plan.phase === 'done';
  // cutover: dns moves the record and leaves the restored instance its own identifier.
  return renamed && !plan.record ? run.rds.instanceId : plan.restoredId;
}

/** database-url with the restored instance's endpoint: its user, database and parameters (sslmode...) kept. */
export function restoredTarget(run: RdsRun, endpoint: string): DatabaseTarget {
  const production = run.settings.database;
  const url = new URL(production.url);
  url.host = endpoint;
  for (const name of ['host', 'hostaddr', 'port']) url.searchParams.delete(name);
  return {
    ...parseDatabaseUrl(url.toString(), 'the restored instance'),
    password: production.password,
    ...(production.auth ? { auth: production.auth } : {}),
  };
}

/**
 * For the plan, once a restored instance is in use: who holds the claim on it now (a run at work on
 * this recovery, which an execute started before it ends would meet and stop at), read without
 * taking it. Undefined when no one does; a server that cannot be asked is said in the log and
 * does not fail the plan.
 */
export async function runInProgress(run: RdsRun, plan: RdsRecoveryPlan): Promise<string | undefined> {
  if (plan.phase === 'fresh' || plan.phase === 'done') return undefined;
  const id = restoredIdentifier(run, plan);
  try {
    const restored = await describeInstance(run.client, { id, region: run.settings.aws.region });
    const endpoint = restored && endpointText(restored);
    if (!endpoint) return undefined;
    const target = restoredTarget(run, endpoint);
    return await findClaimHolder(target, claimName(plan, target.database), {
      psqlPath: (await findClient('psql')).path,
      applicationName: 'dr-actions recover-database plan',
      timeoutSeconds: 10,
      signal: run.signal,
    });
  } catch (error) {
    run.log.info(
      `Could not ask ${id} whether a run is at work on this recovery (${redact(errorMessage(error), run.secrets)}); the plan goes on without it`,
    );
    return undefined;
  }
}
