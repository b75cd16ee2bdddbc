import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../src/util/logger.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

/**
 * A throw-away checkout: the fixture reports of `set` under reports/, and the recorded
 * history under docs/dr-drills when asked. Removed by the returned cleanup.
 */
export async function workspaceWith(
  set: 'passing' | 'failing' | 'matrix',
  withHistory = false,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-drill-ws-'));
  await cp(join(FIXTURES, set), join(dir, 'reports'), { recursive: true });
  if (withHistory) await cp(join(FIXTURES, 'history'), join(dir, 'docs', 'dr-drills'), { recursive: true });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A logger that keeps what it was told, for assertions. */
export function recordingLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    info: (message) => lines.push({ level: 'info', message }),
    warning: (message) => lines.push({ level: 'warning', message }),
    debug: (message) => lines.push({ level: 'debug', message }),
  };
}
