import { systemClock, type Clock } from './clock.js';

/** Exponential backoff: initialMs, then each delay `factor` times the last, never above maxMs. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const sleep = (ms: number): Promise<void> => systemClock.sleep(ms);

/** The delay before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, attempt - 1));
}

export interface PollOutcome<T> {
  value: T;
  done: boolean;
  attempts: number;
}

/**
 * Calls `check` until `isDone` accepts its value or the deadline (epoch ms) passes, sleeping
 * with backoff between calls but never past the deadline. The check runs at least once, and
 * once more at the deadline, so a slow last sleep cannot hide a state that was reached.
 */
export async function pollUntil<T>(
  check: (attempt: number) => Promise<T>,
  isDone: (value: T) => boolean,
  options: { deadline: number; backoff: Backoff; clock?: Clock },
): Promise<PollOutcome<T>> {
  const clock = options.clock ?? systemClock;
  for (let attempt = 1; ; attempt += 1) {
    const value = await check(attempt);
    if (isDone(value)) return { value, done: true, attempts: attempt };
    const remaining = options.deadline - clock.now();
    if (remaining <= 0) return { value, done: false, attempts: attempt };
    await clock.sleep(Math.min(backoffDelay(options.backoff, attempt), remaining));
  }
}
