import { describe as suite, expect, test } from '@jest/globals';
import { lagFromFacts, type LagFacts } from '../../src/failover/replica-database.js';

const standby: LagFacts = {
  inRecovery: true,
  receiveLsn: '0/3000148',
  replayLsn: '0/3000148',
  caughtUp: true,
  replayAgeSeconds: 5400,
  receiverStatus: 'streaming',
};

suite("replication lag from a standby's own view", () => {
  test('replay caught up with everything received is zero lag, however old the last commit (an idle source)', () => {
    expect(lagFromFacts(standby)).toEqual({
      state: 'measured',
      seconds: 0,
      basis: 'replay has caught up with all WAL received (0/3000148, WAL receiver streaming)',
    });
  });

  test('caught up with a receiver that is not streaming is still zero, with the caveat that the source may hold more', () => {
    const lag = lagFromFacts({ ...standby, receiverStatus: null });
    expect(lag).toMatchObject({ state: 'measured', seconds: 0 });
    expect(lag.state === 'measured' && lag.basis).toContain('the source may have committed more that never arrived');
  });

  test('behind: the age of the last replayed commit', () => {
    const lag = lagFromFacts({ ...standby, replayLsn: '0/3000100', caughtUp: false, replayAgeSeconds: 42.1234 });
    expect(lag).toMatchObject({ state: 'measured', seconds: 42.123 });
  });

  test('behind with no commit replayed since start: unknown, never zero', () => {
    const lag = lagFromFacts({ ...standby, replayLsn: '0/3000100', caughtUp: false, replayAgeSeconds: null });
    expect(lag.state).toBe('unknown');
    expect(lag.state === 'unknown' && lag.reason).toContain('pg_last_xact_replay_timestamp() is NULL');
  });

  test('a server out of recovery has no lag to speak of', () => {
    expect(lagFromFacts({ ...standby, inRecovery: false }).state).toBe('not-applicable');
  });
});
