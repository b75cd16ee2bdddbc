import { describe, expect, test } from '@jest/globals';
import { parseRdsRestoreInputs } from '../../src/rds-restore/inputs.js';
import { parseRecoveryPoint } from '../../src/aws/rds-recovery-point.js';
import { temporaryInstanceId } from '../../src/rds-restore/temporary-instance.js';
import { refusalOf } from '../helpers/refusal.js';

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';
const base = { 'instance-id': 'saas-production', username: 'app', password: 'secret', 'source-region': 'us-east-1' };
const parse = (values: Record<string, string>) => parseRdsRestoreInputs(reader({ ...base, ...values }), {});
const refused = (values: Record<string, string>) => refusalOf(() => parse(values));

describe('rds-restore-test inputs', () => {
  test('defaults: latest, the source region, the plan objectives of a database failure; the secondary region gets the regional-outage RTO', () => {
    expect(parse({})).toMatchObject({
      mode: 'restore-test',
      region: 'us-east-1',
      recoveryPoint: { kind: 'latest' },
      rtoSeconds: 3_600,
      rpoSeconds: 3_600,
      keepInstance: false,
      waitTimeoutMinutes: 60,
      instanceClass: 'db.t4g.small',
    });
    expect(parse({ region: 'us-west-2' })).toMatchObject({ region: 'us-west-2', rtoSeconds: 28_800 });
  });

  test('recovery points: latest, an ISO time with its zone, snapshot, snapshot:<id>; anything else says what is accepted', () => {
    expect(parseRecoveryPoint('2026-11-29T08:00:00Z')).toEqual({
      kind: 'time',
      time: new Date('2026-11-29T08:00:00Z'),
    });
    expect(parseRecoveryPoint('snapshot')).toEqual({ kind: 'newest-snapshot' });
    expect(parseRecoveryPoint('snapshot:rds:saas-production-2026-11-29-03-10')).toEqual({
      kind: 'snapshot',
      id: 'rds:saas-production-2026-11-29-03-10',
    });
    expect(refused({ 'recovery-point': 'yesterday' })).toBe(
      "recovery-point 'yesterday' is not understood: use latest, an ISO-8601 time with its zone (e.g. 2026-03-01T02:00:00Z), snapshot (the newest), or snapshot:<id>",
    );
  });

  test('each mistake is one ConfigurationError that says what to change', () => {
    expect(refused({ password: '' })).toContain('password is required');
    expect(refused({ 'instance-id': 'arn:aws:rds:us-east-1:111122223333:db:saas' })).toContain("use 'saas'");
    expect(refused({ 'vpc-security-group-ids': 'default' })).toContain("'default' is not a security group id");
    expect(refused({ 'newest-row-columns': 'payments' })).toContain('is not table.column');
    expect(refused({ mode: 'snapshot', 'copy-to-region': 'us-east-1' })).toContain(
      'copy-to-region is the source region',
    );
    expect(refused({ mode: 'snapshot', 'kms-key-id': 'alias/dr' })).toContain('set copy-to-region too');
  });

  test('the temporary instance name comes from the run and stays within 63 characters', () => {
    expect(temporaryInstanceId('saas-production', { runId: '123', runAttempt: '2' }, new Date())).toBe(
      'saas-production-rt-123-2',
    );
    const long = temporaryInstanceId(`a${'-b'.repeat(31)}`, { runId: '9876543210', runAttempt: '1' }, new Date());
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/);
  });
});
