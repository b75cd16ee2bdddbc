import { execa } from 'execa';
import { stackFromEnv } from './stack/index.js';
test('stack reachable', async () => {
  const s = stackFromEnv();
  const r = await execa('psql', ['-X', '-At', '-c', 'select 1', s.postgresUrl()]);
  expect(r.stdout).toBe('1');
});
