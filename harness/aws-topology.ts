import { randomBytes } from 'node:crypto';
import {
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstancesCommand,
  type CreateDBInstanceCommandInput,
  type DBInstance,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { createRdsClient, createRoute53Client } from '../src/aws/clients.js';
import type { FailoverSettings } from '../src/failover/inputs.js';
import type { RunFailoverOptions } from '../src/failover/run-failover.js';
import { silentLogger } from '../src/util/logger.js';
import { stackFromEnv } from './stack.js';

export const PRIMARY_REGION = 'us-east-1';
export const SECONDARY_REGION = 'us-west-2';

/** The plan's architecture, on moto: a primary in one region, its read replica in another, and the record the application uses. */
export interface Topology {
  primaryId: string;
  primaryArn: string;
  primaryAddress: string;
  replicaId: string;
  replicaArn: string;
  replicaAddress: string;
  zoneId: string;
  zoneName: string;
  recordName: string;
}

export const rdsIn = (region: string) => createRdsClient({ region, endpointUrl: stackFromEnv().awsEndpoint });
export const route53 = () => createRoute53Client({ region: PRIMARY_REGION, endpointUrl: stackFromEnv().awsEndpoint });

/** `settings` adds to or replaces the defaults, e.g. the backup retention a test needs. */
export async function createPrimary(
  id: string,
  settings: Partial<CreateDBInstanceCommandInput> = {},
): Promise<DBInstance> {
  const created = await rdsIn(PRIMARY_REGION).send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: 'postgres',
      EngineVersion: '15.8',
      DBInstanceClass: 'db.t3.micro',
      MasterUsername: 'app',
      MasterUserPassword: 'not-a-real-secret',
      AllocatedStorage: 20,
      ...settings,
    }),
  );
  return created.DBInstance as DBInstance;
}

export async function createZone(): Promise<{ zoneId: string; zoneName: string }> {
  const zoneName = `fo-${randomBytes(4).toString('hex')}.example.com`;
  const zone = await route53().send(
    new CreateHostedZoneCommand({ Name: zoneName, CallerReference: randomBytes(8).toString('hex') }),
  );
  return { zoneId: (zone.HostedZone?.Id ?? '').replace('/hostedzone/', ''), zoneName };
}

export async function upsertRecord(zoneId: string, set: ResourceRecordSet): Promise<void> {
  await route53().send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: set }] },
    }),
  );
}

/** `primarySettings` as for createPrimary. */
export async function createTopology(primarySettings: Partial<CreateDBInstanceCommandInput> = {}): Promise<Topology> {
  const suffix = randomBytes(4).toString('hex');
  const primaryId = `saas-production-${suffix}`;
  const replicaId = `saas-production-replica-${suffix}`;
  const primary = await createPrimary(primaryId, primarySettings);
  // Cross-region replicas name their source by ARN, as RDS requires.
  const replica = await rdsIn(SECONDARY_REGION).send(
    new CreateDBInstanceReadReplicaCommand({
      DBInstanceIdentifier: replicaId,
      SourceDBInstanceIdentifier: primary.DBInstanceArn,
      DBInstanceClass: 'db.t3.micro',
    }),
  );
  const { zoneId, zoneName } = await createZone();
  const recordName = `db.${zoneName}`;
  await upsertRecord(zoneId, {
    Name: recordName,
    Type: 'CNAME',
    TTL: 60,
    ResourceRecords: [{ Value: primary.Endpoint?.Address as string }],
  });
  return {
    primaryId,
    primaryArn: primary.DBInstanceArn as string,
    primaryAddress: primary.Endpoint?.Address as string,
    replicaId,
    replicaArn: replica.DBInstance?.DBInstanceArn as string,
    replicaAddress: replica.DBInstance?.Endpoint?.Address as string,
    zoneId,
    zoneName,
    recordName,
  };
}

export async function describe(id: string, region: string): Promise<DBInstance> {
  const response = await rdsIn(region).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  return response.DBInstances?.[0] as DBInstance;
}

/**
 * Holds a promotion of the instance under way (`modifying`, still a replica) until released, however
 * long the test takes to get to what it checks meanwhile; released, it finishes (harness/moto_launcher.py).
 */
export async function holdPromotion(region: string, instance: string, held: boolean): Promise<void> {
  const response = await fetch(`${stackFromEnv().awsEndpoint}/moto-api/dr-stack/rds/promotion-hold`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ region, instance, held }),
  });
  if (!response.ok) throw new Error(`the test stack refused the promotion hold: HTTP ${response.status}`);
}

export async function recordSets(zoneId: string, name: string): Promise<ResourceRecordSet[]> {
  const listed = await route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
  return (listed.ResourceRecordSets ?? []).filter((set) => set.Name === (name.endsWith('.') ? name : `${name}.`));
}

/** Everything failover could change, for before/after comparisons. */
export async function snapshot(topology: Topology) {
  const [primary, replica, record] = await Promise.all([
    describe(topology.primaryId, PRIMARY_REGION),
    describe(topology.replicaId, SECONDARY_REGION),
    recordSets(topology.zoneId, topology.recordName),
  ]);
  const pick = (i: DBInstance) => ({
    status: i.DBInstanceStatus,
    source: i.ReadReplicaSourceDBInstanceIdentifier,
    replicas: i.ReadReplicaDBInstanceIdentifiers,
    tags: i.TagList,
  });
  return { primary: pick(primary), replica: pick(replica), record };
}

/** Settings as the action's inputs would give them, pointed at moto. */
export function settingsFor(topology: Topology, overrides: Partial<FailoverSettings> = {}): FailoverSettings {
  return {
    mode: 'plan',
    confirm: '',
    replicaId: topology.replicaId,
    region: SECONDARY_REGION,
    record: { hostedZoneId: topology.zoneId, name: `${topology.recordName}.`, type: 'CNAME', ttl: 60 },
    maxLagSeconds: 3600,
    acceptDataLoss: false,
    waitTimeoutSeconds: 60,
    rtoSeconds: 28_800,
    endpointUrl: stackFromEnv().awsEndpoint,
    reportPath: `/tmp/dr-actions-failover-${randomBytes(4).toString('hex')}.json`,
    ...overrides,
  };
}

/** Fast polling: moto promotes in seconds, not minutes. */
export const TEST_PACING = {
  promotion: { initialMs: 250, maxMs: 1_000, factor: 1.5 },
  writable: { initialMs: 250, maxMs: 1_000, factor: 1.5 },
  dns: { initialMs: 250, maxMs: 1_000, factor: 1.5 },
  health: { initialMs: 200, maxMs: 500, factor: 1.5 },
  throttle: { initialMs: 10, maxMs: 50, factor: 2 },
};

export function runOptions(settings: FailoverSettings): RunFailoverOptions {
  return { ...settings, run: { workflow: 'test' }, log: silentLogger, pacing: TEST_PACING };
}
