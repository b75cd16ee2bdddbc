import { describe as suite, expect, test } from '@jest/globals';
import {
  AddTagsToResourceCommand,
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { ChangeResourceRecordSetsCommand, PriorRequestNotComplete, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import type { RecordTarget } from '../../src/failover/inputs.js';
import { promoteReplica } from '../../src/failover/promote.js';
import type { InstanceState } from '../../src/aws/rds.js';
import { switchRecord } from '../../src/aws/route53-record.js';

const target: RecordTarget = { hostedZoneId: 'Z1234567890ABC', name: 'db.example.com.', type: 'CNAME', ttl: 60 };
const current = {
  Name: 'db.example.com.',
  Type: 'CNAME' as const,
  TTL: 60,
  ResourceRecords: [{ Value: 'primary.abc.us-east-1.rds.amazonaws.com' }],
};
const desired = {
  Name: 'db.example.com.',
  Type: 'CNAME' as const,
  TTL: 60,
  ResourceRecords: [{ Value: 'replica.abc.us-west-2.rds.amazonaws.com' }],
};
const backoff = { initialMs: 5, maxMs: 40, factor: 2 };

const throttling = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'Throttling',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
const priorRequest = () =>
  new PriorRequestNotComplete({
    message: 'The request was rejected because Route 53 was still processing a prior request.',
    $metadata: { httpStatusCode: 400 },
  });

suite('throttled AWS calls (aws-sdk-client-mock: moto never throttles)', () => {
  test('the record switch retries Throttling and PriorRequestNotComplete with growing delays, resending the same compare-and-swap batch (aws-sdk-client-mock)', async () => {
    const client = new Route53Client({ region: 'us-east-1' });
    const route53 = mockClient(client);
    route53
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(priorRequest())
      .rejectsOnce(priorRequest())
      .resolves({ ChangeInfo: { Id: '/change/C2682N5HXP0BZ4', Status: 'PENDING', SubmittedAt: new Date() } });
    const delays: number[] = [];
    const result = await switchRecord(client, target, current, desired, {
      deadline: Date.now() + 10_000,
      backoff,
      comment: 'test',
      onRetry: (_e, _a, delay) => delays.push(delay),
    });

    expect(result).toEqual({ changeId: 'C2682N5HXP0BZ4', status: 'PENDING', attempts: 4, switchedBy: 'this run' });
    expect(delays).toEqual([5, 10, 20]);
    const batches = route53
      .commandCalls(ChangeResourceRecordSetsCommand)
      .map((call) => call.args[0].input.ChangeBatch?.Changes);
    expect(batches).toHaveLength(4);
    for (const batch of batches) {
      expect(batch).toEqual([
        { Action: 'DELETE', ResourceRecordSet: current },
        { Action: 'CREATE', ResourceRecordSet: desired },
      ]);
    }
  });

  test('throttling that outlasts the deadline fails with the throttling error (aws-sdk-client-mock)', async () => {
    const client = new Route53Client({ region: 'us-east-1' });
    const route53 = mockClient(client);
    route53.on(ChangeResourceRecordSetsCommand).rejects(priorRequest());
    // Time passes only in the sleeps between attempts: how many fit before the deadline does not
    // depend on how long a call takes on a busy machine.
    let now = 0;
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
    const delays: number[] = [];
    const failure = await switchRecord(client, target, current, desired, {
      deadline: 150,
      backoff,
      comment: 'test',
      clock,
      onRetry: (_e, _a, delay) => delays.push(delay),
    }).catch((error: unknown) => error);
    expect((failure as Error).name).toBe('PriorRequestNotComplete');
    // The last sleep is cut to the deadline, and one more attempt is made there.
    expect(delays).toEqual([5, 10, 20, 40, 40, 35]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(7);
  });

  test('an error that is not throttling is not retried (aws-sdk-client-mock)', async () => {
    const client = new Route53Client({ region: 'us-east-1' });
    const route53 = mockClient(client);
    route53.on(ChangeResourceRecordSetsCommand).rejects(
      Object.assign(new Error('User is not authorized'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const failure = await switchRecord(client, target, current, desired, {
      deadline: Date.now() + 10_000,
      backoff,
      comment: 'test',
    }).catch((error: unknown) => error);
    expect((failure as Error).name).toBe('AccessDenied');
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1);
  });

  test('PromoteReadReplica is retried when RDS throttles, and called only once it goes through (aws-sdk-client-mock)', async () => {
    const client = new RDSClient({ region: 'us-west-2' });
    const rds = mockClient(client);
    rds.on(AddTagsToResourceCommand).resolves({});
    rds.on(PromoteReadReplicaCommand).rejectsOnce(throttling()).resolves({});
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'replica',
          DBInstanceStatus: 'available',
          Engine: 'postgres',
          DBInstanceArn: 'arn:aws:rds:us-west-2:123456789012:db:replica',
        },
      ],
    });
    const replica: InstanceState = {
      id: 'replica',
      region: 'us-west-2',
      arn: 'arn:aws:rds:us-west-2:123456789012:db:replica',
      status: 'available',
      engine: 'postgres',
      engineVersion: '15.8',
      source: { id: 'primary', region: 'us-east-1', arn: 'arn:aws:rds:us-east-1:123456789012:db:primary' },
      replicas: [],
      tags: {},
    };
    const result = await promoteReplica(client, replica, replica.source as InstanceState, {
      deadline: Date.now() + 10_000,
      waitTimeoutSeconds: 10,
      poll: backoff,
      throttle: backoff,
      promotedBy: 'the throttling test',
    });
    expect(result.calledPromote).toBe(true);
    expect(rds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(2);
    expect(rds.commandCalls(AddTagsToResourceCommand)[0]?.args[0].input.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'dr-actions:promoted-from', Value: 'arn:aws:rds:us-east-1:123456789012:db:primary' },
      ]),
    );
  });
});
