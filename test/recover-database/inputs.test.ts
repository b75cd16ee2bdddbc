import { describe, expect, test } from '@jest/globals';
import { parseRecoverDatabaseInputs } from '../../src/recover-database/inputs.js';
import { damagedName, MAX_PRODUCTION_NAME_BYTES, restoredName } from '../../src/recover-database/names.js';
import { refusalOf } from '../helpers/refusal.js';

const BASE = {
  bucket: 'acme-db-backups',
  'database-url': 'postgres://app:secret@db.internal:5432/saas_production',
  region: 'us-east-1',
};
const parse = (inputs: Record<string, string>) =>
  parseRecoverDatabaseInputs(
    (name) => ({ ...BASE, ...inputs })[name as keyof typeof BASE] ?? '',
    { PATH: '/usr/bin:/bin' },
    '/',
  );
const refusal = (inputs: Record<string, string>) => refusalOf(() => parse(inputs));

describe('recover-database inputs', () => {
  test("plan by default, latest backup, the plan's RTO", () => {
    const settings = parse({});
    expect(settings).toMatchObject({
      mode: 'plan',
      source: 'backup',
      backup: { kind: 'latest' },
      prefix: 'database/',
      rtoSeconds: 3600,
      terminateConnections: false,
      reportPath: 'recover-database-report.json',
    });
    expect(settings.database.database).toBe('saas_production');
  });

  test("execute needs confirm equal to the database name and the plan's recovery point", () => {
    expect(refusal({ mode: 'execute' })).toContain("set confirm to 'saas_production'");
    expect(refusal({ mode: 'execute', confirm: 'saas_staging' })).toContain(
      "confirm 'saas_staging' does not equal the database of database-url ('saas_production')",
    );
    expect(refusal({ mode: 'execute', confirm: 'saas_production' })).toContain("pass the plan's recovery-point output");
    const key = 'database/backup_20260301_020000.dump';
    expect(
      parse({ mode: 'execute', confirm: 'saas_production', 'expected-recovery-point': key }).expectedRecoveryPoint,
    ).toBe(key);
  });

  test('smoke-env names variables of the step for the smoke command, and needs one', () => {
    const input = (extra: Record<string, string>) => (name: string) =>
      ({ ...BASE, ...extra })[name as keyof typeof BASE] ?? '';
    const env = { PATH: '/usr/bin:/bin', APP_TOKEN: 'x' };
    const withSmoke = { 'smoke-command': "sh -c 'exit 0'", 'smoke-env': 'APP_TOKEN' };
    expect(parseRecoverDatabaseInputs(input(withSmoke), env, '/').smokeEnv).toEqual(['APP_TOKEN']);
    expect(refusalOf(() => parseRecoverDatabaseInputs(input({ 'smoke-env': 'APP_TOKEN' }), env, '/'))).toContain(
      'smoke-env is set but smoke-command is empty',
    );
  });

  test('each mistake is one refusal that says what to change', () => {
    expect(refusal({ 'instance-id': 'saas-production' })).toContain('instance-id is for an RDS source');
    expect(refusal({ backup: 'random' })).toContain('random is for restore tests');
    expect(refusal({ 'database-url': 'postgres://app@db/postgres' })).toContain(
      "names 'postgres', a database every PostgreSQL server needs",
    );
    expect(refusal({ 'database-url': `postgres://app@db/${'x'.repeat(MAX_PRODUCTION_NAME_BYTES + 1)}` })).toContain(
      `recovers databases of up to ${MAX_PRODUCTION_NAME_BYTES} bytes`,
    );
    expect(refusal({ 'stop-command': 'no-such-program-here stop' })).toContain(
      "stop-command: 'no-such-program-here' was not found on PATH",
    );
    expect(refusal({ 'health-url': 'ftp://app/health' })).toContain('health-url must be an http:// or https:// URL');
    expect(refusal({ 'report-path': 'reports/' })).toContain('is a folder');
  });

  describe('an RDS source', () => {
    const RDS = { bucket: '', source: 'rds-point-in-time', 'instance-id': 'saas-production' };
    const rds = (inputs: Record<string, string>) => parse({ ...RDS, ...inputs });
    const rdsRefusal = (inputs: Record<string, string>) => refusalOf(() => rds(inputs));

    test('needs no bucket; latest by default; a time with its zone; the rename cut-over', () => {
      expect(rds({}).rds).toEqual({
        instanceId: 'saas-production',
        recoveryPoint: { kind: 'latest' },
        cutover: 'rename',
        waitTimeoutMinutes: 120,
      });
      expect(rds({ 'recovery-point': '2026-03-01T09:14:00Z' }).rds?.recoveryPoint).toEqual({
        kind: 'time',
        time: new Date('2026-03-01T09:14:00Z'),
      });
      expect(rds({ source: 'rds-snapshot' }).rds?.recoveryPoint).toEqual({ kind: 'newest-snapshot' });
      expect(
        rds({ source: 'rds-snapshot', 'recovery-point': 'rds:saas-production-2026-03-01-02-00' }).rds?.recoveryPoint,
      ).toEqual({ kind: 'snapshot', id: 'rds:saas-production-2026-03-01-02-00' });
    });

    test('execute is confirmed with the instance identifier', () => {
      expect(rdsRefusal({ mode: 'execute', confirm: 'saas_production', 'expected-recovery-point': 'x' })).toContain(
        "confirm 'saas_production' does not equal instance-id ('saas-production')",
      );
      expect(
        rds({ mode: 'execute', confirm: 'saas-production', 'expected-recovery-point': '2026-03-01T09:14:00.000Z' })
          .confirm,
      ).toBe('saas-production');
    });

    test('each mistake is one refusal that says what to change', () => {
      expect(rdsRefusal({ 'instance-id': '' })).toContain('instance-id is required');
      expect(rdsRefusal({ 'recovery-point': '2026-03-01T09:14:00' })).toContain('recovery-point');
      expect(rdsRefusal({ 'recovery-point': 'snapshot:x' })).toContain(
        'with source: rds-point-in-time it is latest or a time',
      );
      expect(rdsRefusal({ source: 'rds-snapshot', 'recovery-point': '2026-03-01T09:14:00Z' })).toContain(
        'use source: rds-point-in-time',
      );
      expect(rdsRefusal({ bucket: 'acme-db-backups' })).toContain('bucket is for source: backup');
      expect(rdsRefusal({ cutover: 'dns' })).toContain('hosted-zone-id');
      expect(rdsRefusal({ 'record-name': 'db.example.com' })).toContain('record-name is for cutover: dns');
    });

    test('cutover: dns takes the record, and execute needs the record the plan saw', () => {
      const dns = { cutover: 'dns', 'hosted-zone-id': '/hostedzone/z0123', 'record-name': 'DB.Example.com' };
      expect(rds(dns).rds).toMatchObject({
        cutover: 'dns',
        record: { hostedZoneId: 'Z0123', name: 'db.example.com.' },
      });
      expect(rdsRefusal({ ...dns, 'record-name': 'db' })).toContain("record-name 'db' is not a DNS name");
      const execute = { ...dns, mode: 'execute', confirm: 'saas-production', 'expected-recovery-point': 'latest' };
      expect(rdsRefusal(execute)).toContain("pass the plan's record-value output");
      expect(rds({ ...execute, 'expected-record-value': 'X.rds.amazonaws.com.' }).rds?.expectedRecordValue).toBe(
        'x.rds.amazonaws.com',
      );
    });
  });

  test("the names both derived databases get fit in PostgreSQL's 63 bytes for the longest production name allowed", () => {
    const longest = 'x'.repeat(MAX_PRODUCTION_NAME_BYTES);
    const at = new Date('2026-03-01T10:15:30Z');
    expect(restoredName(longest, at)).toBe(`${longest}_restored_20260301_101530`);
    expect(Buffer.byteLength(restoredName(longest, at))).toBe(63);
    expect(damagedName('saas_production', at)).toBe('saas_production_damaged_20260301_101530');
  });
});
