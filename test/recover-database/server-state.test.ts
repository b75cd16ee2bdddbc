import { describe, expect, test } from '@jest/globals';
import type { Journal } from '../../src/recover-database/journal.js';
import { journalComment, parseJournal } from '../../src/recover-database/journal.js';
import { assessPhase, type DatabaseOnServer, type ServerState } from '../../src/recover-database/server-state.js';
import { refusalOf } from '../helpers/refusal.js';

const KEY = 'database/backup_20260301_020000.dump';
const RESTORED = 'saas_restored_20260301_020000';
const KEPT = 'saas_damaged_20260301_101500';

const journal = (fields: Partial<Journal> = {}): Journal => ({
  production: 'saas',
  backup: KEY,
  replaces: '100',
  restoredAs: RESTORED,
  keptAs: KEPT,
  state: 'proven',
  run: '7',
  ...fields,
});
const server = (...databases: DatabaseOnServer[]): ServerState => ({
  serverVersion: '15.18',
  serverMajor: 15,
  canCreateDatabases: true,
  canRenameProduction: true,
  databases,
});
const assess = (state: ServerState) => assessPhase(state, 'saas', KEY, RESTORED);

describe('where a recovery stands on the server', () => {
  test('the journal reads back what was written, and no other comment is taken for one', () => {
    expect(parseJournal(journalComment(journal()))).toEqual(journal());
    expect(parseJournal('the billing database')).toBeUndefined();
    expect(parseJournal('dr-actions recover-database {"production": 1}')).toBeUndefined();
    expect(parseJournal(null)).toBeUndefined();
  });

  test('each phase from what the server holds', () => {
    expect(assess(server({ oid: '100', name: 'saas' }))).toMatchObject({ kind: 'fresh', replaces: { oid: '100' } });
    expect(
      assess(
        server({ oid: '100', name: 'saas' }, { oid: '200', name: RESTORED, journal: journal({ state: 'restored' }) }),
      ),
    ).toMatchObject({ kind: 'restored' });
    expect(
      assess(server({ oid: '100', name: KEPT }, { oid: '200', name: RESTORED, journal: journal() })),
    ).toMatchObject({ kind: 'half-renamed', kept: { oid: '100' } });
    expect(assess(server({ oid: '100', name: KEPT }, { oid: '200', name: 'saas', journal: journal() }))).toMatchObject({
      kind: 'renamed',
      recovered: { oid: '200' },
    });
    expect(
      assess(server({ oid: '100', name: KEPT }, { oid: '200', name: 'saas', journal: journal({ state: 'complete' }) })),
    ).toMatchObject({ kind: 'done' });
  });

  test('a completed recovery from an older backup does not stop a new one', () => {
    const older = journal({ state: 'complete', backup: 'database/backup_20260201_020000.dump' });
    expect(assess(server({ oid: '200', name: 'saas', journal: older }))).toMatchObject({
      kind: 'fresh',
      replaces: { oid: '200' },
    });
  });

  test('what cannot be resumed is refused, naming what was found', () => {
    expect(refusalOf(() => assess(server({ oid: '100', name: 'other' })))).toContain(
      'there is no database saas on the server to replace',
    );
    expect(refusalOf(() => assess(server({ oid: '100', name: 'saas' }, { oid: '300', name: RESTORED })))).toContain(
      `a database named ${RESTORED}`,
    );
    const otherBackup = journal({ backup: 'database/backup_20260228_020000.dump' });
    expect(
      refusalOf(() =>
        assess(server({ oid: '100', name: 'saas' }, { oid: '200', name: RESTORED, journal: otherBackup })),
      ),
    ).toContain(
      `an unfinished recovery of saas from database/backup_20260228_020000.dump is on the server (database ${RESTORED}, proven, started by run 7)`,
    );
    expect(
      refusalOf(() => assess(server({ oid: '150', name: 'saas' }, { oid: '200', name: RESTORED, journal: journal() }))),
    ).toContain('saas is another database (oid 150) than the one this recovery replaces (oid 100)');
    expect(refusalOf(() => assess(server({ oid: '200', name: 'elsewhere', journal: journal() })))).toContain(
      'is now named elsewhere',
    );
    const two = server(
      { oid: '100', name: 'saas' },
      { oid: '200', name: RESTORED, journal: journal() },
      { oid: '201', name: 'saas_restored_x', journal: journal({ restoredAs: 'saas_restored_x' }) },
    );
    expect(refusalOf(() => assess(two))).toContain('2 unfinished recoveries of saas are on the server');
  });
});
