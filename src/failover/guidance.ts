import type { FailoverSettings, RecordTarget } from './inputs.js';
import { describeRef } from '../aws/rds-instance-ref.js';
import type { Preflight, RecordFinding } from './preflight.js';
import { compareAndSwapCommand } from '../aws/route53-record.js';

/** What the operator must do once the database has moved; the action cannot do these for them. */
export function nextSteps(settings: FailoverSettings, preflight: Preflight): string[] {
  const steps: string[] = [];
  const endpoint = preflight.endpoint ?? `the endpoint of ${settings.replicaId}`;
  const source = preflight.source;
  const sourceEndpoint = source.state?.endpoint?.address;
  if (settings.record) {
    const ttl = settings.record.alias ? "the alias target's TTL" : `its TTL (${settings.record.ttl} s)`;
    steps.push(
      `Clients that connect through ${settings.record.name.replace(/\.$/, '')} follow the switch within ${ttl}; restart connection pools that cache DNS (JVM, PgBouncer). ` +
        `Update DATABASE_URL wherever it names a server directly${sourceEndpoint ? ` (${sourceEndpoint})` : ''} rather than the record: point it at ${endpoint}.`,
    );
  } else {
    steps.push(
      `No Route 53 record was given: update DATABASE_URL to ${endpoint} and restart the application in ${settings.region}.`,
    );
  }
  if (source.ref) {
    const stop = `aws rds stop-db-instance --db-instance-identifier ${source.ref.id} --region ${source.ref.region}`;
    const alternatives =
      "or, to keep it for forensics, remove the application's access in its security group or set default_transaction_read_only=on in its parameter group";
    if (source.answers) {
      steps.push(
        `Split-brain risk: the old primary ${describeRef(source.ref)} still answers (${source.state?.status}) and RDS leaves it writable; any client still connected to it writes to a database nobody replicates. Fence it now: \`${stop}\` (${alternatives}).`,
      );
    } else {
      steps.push(
        `Fence the old primary ${describeRef(source.ref)} before it can take connections again: RDS leaves it writable when its region comes back (${source.error ? 'it did not answer' : (source.state?.status ?? 'not found')} now). When it answers: \`${stop}\` (${alternatives}).`,
      );
    }
  }
  steps.push(
    `Restore the plan's RPO: the new primary has no replica. Create one in another region, e.g. \`aws rds create-db-instance-read-replica --db-instance-identifier ${settings.replicaId}-replica --source-db-instance-identifier ${preflight.replica?.arn ?? settings.replicaId} --region ${source.ref?.region ?? '<region>'}\`.`,
  );
  steps.push(`Point the backup and restore-verify workflows' database-url at ${endpoint}.`);
  return steps;
}

/**
 * The command that points the record back at what preflight read, as one compare-and-swap (it
 * fails if the record changed since); undefined when this run has nothing to switch back.
 */
export function switchBackCommand(
  target: RecordTarget | undefined,
  record: RecordFinding | undefined,
): string | undefined {
  if (!target || !record?.current || !record.desired || record.alreadyPointing) return undefined;
  return compareAndSwapCommand(target, record.desired, record.current);
}

/** How to undo what failover did, as far as it can be undone. */
export function rollback(settings: FailoverSettings, preflight: Preflight): string[] {
  const lines: string[] = [];
  const record = preflight.record;
  const switchBack = switchBackCommand(settings.record, record);
  if (settings.record && switchBack) {
    lines.push(
      `DNS: point ${settings.record.name} back with one compare-and-swap batch (it fails if the record changed since): \`${switchBack}\`. ` +
        'Only while nothing was written to the new primary: writes made there are not on the old one.',
    );
  } else if (settings.record && record?.desired && !record.current) {
    lines.push(
      `DNS: the record did not exist before; to undo, delete ${settings.record.name} ${settings.record.type} in zone ${settings.record.hostedZoneId}.`,
    );
  }
  lines.push(
    `Promotion cannot be undone: a promoted instance never becomes a replica again. To return to ${preflight.source.ref?.region ?? 'the original region'}, ` +
      `create a read replica of ${settings.replicaId} there, let it catch up, and run this failover with replica-id set to it.`,
  );
  return lines;
}
