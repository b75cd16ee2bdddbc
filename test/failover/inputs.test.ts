import { describe as suite, expect, test } from '@jest/globals';
import { ConfigurationError } from '../../src/errors.js';
import { parseFailoverInputs } from '../../src/failover/inputs.js';

const base = { 'replica-id': 'saas-production-replica', region: 'us-west-2' };
const parse = (inputs: Record<string, string>) => parseFailoverInputs((name) => inputs[name] ?? '');
const refusal = (inputs: Record<string, string>) => {
  try {
    parse(inputs);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
};

suite('failover inputs', () => {
  test('defaults follow the plan: plan mode, CNAME with TTL 60, RPO 1 h, RTO 8 h, 30 min waits', () => {
    expect(parse(base)).toEqual({
      mode: 'plan',
      confirm: '',
      replicaId: 'saas-production-replica',
      region: 'us-west-2',
      source: undefined,
      record: undefined,
      health: undefined,
      replicaDatabase: undefined,
      maxLagSeconds: 3600,
      acceptDataLoss: false,
      waitTimeoutSeconds: 1800,
      rtoSeconds: 28_800,
      endpointUrl: undefined,
      reportPath: 'failover-report.json',
    });
  });

  test('a full execute configuration', () => {
    const settings = parse({
      ...base,
      mode: 'Execute',
      confirm: 'saas-production-replica',
      'source-id': 'arn:aws:rds:us-east-1:123456789012:db:saas-production',
      'hosted-zone-id': '/hostedzone/Z1234567890ABC',
      'record-name': 'DB.Example.com',
      ttl: '30',
      'health-url': 'https://api.example.com/api/v1/health/?token=abc',
      'replica-database-url': 'postgres://app:s3cret@replica.example.com:5432/saas',
    });
    expect(settings.mode).toBe('execute');
    expect(settings.source).toEqual({
      id: 'saas-production',
      region: 'us-east-1',
      arn: 'arn:aws:rds:us-east-1:123456789012:db:saas-production',
    });
    expect(settings.record).toEqual({
      hostedZoneId: 'Z1234567890ABC',
      name: 'db.example.com.',
      type: 'CNAME',
      ttl: 30,
    });
    expect(settings.health).toMatchObject({
      display: 'https://api.example.com/api/v1/health/?…',
      expectStatus: 200,
      timeoutSeconds: 600,
    });
    expect(settings.replicaDatabase?.display).toBe('app@replica.example.com:5432/saas');
  });

  test.each([
    [{ mode: 'yolo' }, "mode must be one of plan, execute, got 'yolo'"],
    [{ mode: 'execute' }, "confirm is empty, so nothing was changed: set confirm to 'saas-production-replica'"],
    [
      { mode: 'execute', confirm: 'saas-production' },
      "confirm 'saas-production' does not equal replica-id 'saas-production-replica'",
    ],
    [{ 'replica-id': '' }, 'replica-id is required'],
    [
      { 'replica-id': 'arn:aws:rds:us-west-2:123456789012:db:replica' },
      "takes the DB instance identifier, not its ARN; use 'replica'",
    ],
    [{ 'replica-id': 'bad--name' }, 'is not a DB instance identifier'],
    [{ region: '' }, "region is required: the replica's region (the secondary)"],
    [{ region: 'west' }, "region 'west' is not an AWS region name"],
    [{ 'hosted-zone-id': 'Z1234567890ABC' }, 'hosted-zone-id is set but record-name is not: give both'],
    [{ 'record-name': 'db.example.com' }, "record-name 'db.example.com' is set but hosted-zone-id is not"],
    [
      { 'hosted-zone-id': 'not a zone', 'record-name': 'db.example.com' },
      "hosted-zone-id 'not a zone' is not a Route 53 hosted zone id",
    ],
    [{ 'hosted-zone-id': 'Z1', 'record-name': 'db..example.com' }, "record-name 'db..example.com' is not a DNS name"],
    [
      { 'hosted-zone-id': 'Z1', 'record-name': 'db.example.com', 'record-type': 'MX' },
      "record-type must be one of CNAME, A, got 'MX'",
    ],
    [
      { 'hosted-zone-id': 'Z1', 'record-name': 'db.example.com', 'record-type': 'A' },
      'record-type A needs alias-target-dns-name and alias-target-hosted-zone-id',
    ],
    [
      { 'hosted-zone-id': 'Z1', 'record-name': 'db.example.com', 'alias-target-dns-name': 'nlb.example.net' },
      'are for record-type A',
    ],
    [
      { 'alias-target-dns-name': 'nlb.example.net', 'alias-target-hosted-zone-id': 'Z2' },
      'need hosted-zone-id and record-name',
    ],
    [{ 'hosted-zone-id': 'Z1', 'record-name': 'db.example.com', ttl: '-5' }, 'ttl must be at least 0, got -5'],
    [
      { 'hosted-zone-id': 'Z1', 'record-name': 'db.example.com', ttl: 'sixty' },
      "ttl must be a whole number, got 'sixty'",
    ],
    [{ 'max-lag-seconds': '-1' }, 'max-lag-seconds must be at least 0, got -1'],
    [{ 'max-lag-seconds': '1h' }, "max-lag-seconds must be a whole number, got '1h'"],
    [{ 'wait-timeout-seconds': '0' }, 'wait-timeout-seconds must be at least 1'],
    [{ 'rto-seconds': 'eight hours' }, 'rto-seconds must be a whole number'],
    [
      { 'health-url': 'https://api.example.com/health', 'health-expect-status': '42' },
      'health-expect-status must be at least 100',
    ],
    [{ 'health-url': 'https://user:pw@api.example.com/health' }, 'health-url must not hold credentials'],
    [{ 'health-url': 'ftp://api.example.com/health' }, 'health-url must be an http:// or https:// URL'],
    [{ 'accept-data-loss': 'yes' }, "accept-data-loss must be true or false, got 'yes'"],
    [{ 'source-region': 'us-east-1' }, 'source-region is set but source-id is not'],
    [
      { 'source-id': 'arn:aws:rds:us-east-1:123456789012:db:primary', 'source-region': 'eu-west-1' },
      "source-region 'eu-west-1' differs from the region in the source-id ARN (us-east-1)",
    ],
    [{ 'endpoint-url': 'localhost:5000' }, 'endpoint-url must be an http:// or https:// URL'],
    [
      { 'expected-record-value': 'old.example.com' },
      'expected-record-value is set but hosted-zone-id and record-name are not',
    ],
  ])('%j is refused: %s', (inputs, message) => {
    expect(refusal({ ...base, ...inputs })).toContain(message);
  });

  test.each([
    ['as the README shows it, in capitals, in both', 'SAAS-PRODUCTION-REPLICA', 'SAAS-PRODUCTION-REPLICA'],
    ['replica-id in capitals, confirm in lower case', 'SAAS-PRODUCTION-REPLICA', 'saas-production-replica'],
    ['replica-id in lower case, confirm in capitals', 'saas-production-replica', 'SAAS-Production-Replica'],
  ])(
    'confirm and replica-id are compared without regard to case, as RDS compares identifiers: %s',
    (_label, replicaId, confirm) => {
      const settings = parse({ ...base, mode: 'execute', 'replica-id': replicaId, confirm });
      expect(settings).toMatchObject({ replicaId: 'saas-production-replica', confirm: 'saas-production-replica' });
    },
  );

  test('expected-record-value is read in the form record-value gives, whatever its case, order or trailing dots', () => {
    const withRecord = { ...base, 'hosted-zone-id': 'Z1234567890ABC', 'record-name': 'db.example.com' };
    expect(parse({ ...withRecord, 'expected-record-value': ' Old.Example.com. ' }).expectedRecordValue).toBe(
      'old.example.com',
    );
    expect(parse({ ...withRecord, 'expected-record-value': '10.0.0.2, 10.0.0.1' }).expectedRecordValue).toBe(
      '10.0.0.1, 10.0.0.2',
    );
    expect(
      parse({ ...withRecord, 'expected-record-value': 'alias NLB-1.elb.us-east-1.amazonaws.com.' }).expectedRecordValue,
    ).toBe('ALIAS nlb-1.elb.us-east-1.amazonaws.com');
    expect(parse({ ...withRecord, 'expected-record-value': '(none)' }).expectedRecordValue).toBe('(none)');
    expect(parse(withRecord).expectedRecordValue).toBeUndefined();
  });

  test('a malformed replica-database-url is refused without showing its password', () => {
    const message = refusal({ ...base, 'replica-database-url': 'mysql://app:hunter22@host/db' });
    expect(message).toContain('replica-database-url must start with postgres://');
    expect(message).not.toContain('hunter22');
  });
});
