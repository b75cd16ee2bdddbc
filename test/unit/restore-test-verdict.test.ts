import { describe, expect, test } from '@jest/globals';
import { checklistTags, parseChecks } from '../../src/checks/checks-file.js';
import { restoreTestPassed } from '../../src/report/recovery-evidence.js';
import { objective } from '../../src/report/report.js';

describe('what restore-verify and rds-restore-test decide alike', () => {
  test('a restore test passes only with no reason against it and every objective measured and met', () => {
    const met = objective('RTO', 'database failure', 'restore', 3600, 60);
    const missed = objective('RPO', 'database failure', 'backup age', 3600, 7200);
    const unmeasured = objective('RPO', 'database failure', 'backup age', 3600, null);
    expect(restoreTestPassed([], [met])).toBe(true);
    expect(restoreTestPassed(['checks: 1 failed'], [met])).toBe(false);
    expect(restoreTestPassed([], [met, missed])).toBe(false);
    expect(restoreTestPassed([], [met, unmeasured])).toBe(false);
  });

  test("the checklist rows the user's checks prove, once each; none without a checks file", () => {
    const checks = parseChecks(
      '-- name: a\n-- checklist: payments\nSELECT true;\n-- checklist: payments, user-login\nSELECT true;\nSELECT true;\n',
      'checks.sql',
    );
    expect([...checklistTags(checks)].sort()).toEqual(['payments', 'user-login']);
    expect(checklistTags(undefined).size).toBe(0);
  });
});
