import { pollUntil } from '../src/util/backoff.js';
import { formatDuration } from '../src/util/format.js';

export interface WaitOptions {
  /** How long the wait may take before it fails: 30 s unless said. */
  timeoutMs?: number;
  /** How long between two checks: 50 ms unless said. */
  intervalMs?: number;
}

/**
 * Waits for something no event tells of (a server's state, a process gone, a file written): calls
 * `check` until it returns true, every `intervalMs`, and throws `timed out after <timeout> waiting
 * until <what>` when `timeoutMs` passes first, so that a wait that never ends fails the test by
 * name instead of the test's own timeout. An error `check` throws ends the wait with that error.
 * Built on the actions' own pollUntil: the check also runs once at the deadline.
 */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const outcome = await pollUntil(
    async () => check(),
    (done) => done,
    { deadline: Date.now() + timeoutMs, backoff: { initialMs: intervalMs, maxMs: intervalMs, factor: 1 } },
  );
  if (!outcome.done) throw new Error(`timed out after ${formatDuration(timeoutMs / 1000)} waiting until ${what}`);
}
