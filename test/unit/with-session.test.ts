import { describe, expect, test } from '@jest/globals';
import { withSession } from '../../src/postgres/with-session.js';

class Session {
  closed = 0;
  async close(): Promise<void> {
    this.closed += 1;
  }
}

describe('withSession', () => {
  test('closes the session once, whether the work returns or throws, and passes on what it did', async () => {
    const ok = new Session();
    await expect(withSession(Promise.resolve(ok), async (s) => (s === ok ? 'done' : 'other'))).resolves.toBe('done');
    expect(ok.closed).toBe(1);

    const failing = new Session();
    await expect(
      withSession(Promise.resolve(failing), async () => Promise.reject(new Error('relation does not exist'))),
    ).rejects.toThrow('relation does not exist');
    expect(failing.closed).toBe(1);

    await expect(withSession(Promise.reject(new Error('connection refused')), async () => 'never')).rejects.toThrow(
      'connection refused',
    );
  });
});
