import { expect, test } from '@jest/globals';
import { summarizeDetails } from '../../src/drill-report/drill.js';

test('the drill report says which RDS mechanism an rds-restore-test report restored, and where', () => {
  const details = {
    instanceId: 'saas-production',
    region: 'us-west-2',
    recoveryPoint: { mechanism: 'point-in-time', label: 'latest restorable time 2026-11-29T08:00:00.000Z' },
  };
  expect(summarizeDetails('rds-restore-test', details)).toBe(
    'RDS point-in-time restore of saas-production in us-west-2: latest restorable time 2026-11-29T08:00:00.000Z',
  );
  expect(
    summarizeDetails('rds-restore-test', {
      instanceId: 'x',
      region: 'us-east-1',
      recoveryPoint: { mechanism: 'snapshot', label: 'newest snapshot s' },
    }),
  ).toBe('RDS snapshot restore of x in us-east-1: newest snapshot s');
  expect(summarizeDetails('rds-restore-test', {})).toBeUndefined();
});
