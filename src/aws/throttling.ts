import { backoffDelay, type Backoff } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';

/**
 * Error codes AWS uses when it wants the caller to slow down or wait for an earlier request.
 * Route 53's PriorRequestNotComplete lasts until the previous change to the zone is INSYNC,
 * often longer than the SDK's own retries, so mutating calls retry these up to a deadline.
 */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'PriorRequestNotComplete',
]);

export function isThrottlingError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, Code, $retryable } = error as { name?: string; Code?: string; $retryable?: { throttling?: boolean } };
  return THROTTLING_CODES.has(name ?? '') || THROTTLING_CODES.has(Code ?? '') || $retryable?.throttling === true;
}

export interface ThrottleRetryOptions {
  /** Epoch ms after which the last throttling error is thrown. */
  deadline: number;
  backoff: Backoff;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  clock?: Clock;
}

/** Runs `call`, retrying throttling errors with backoff until the deadline; any other error is thrown at once. */
export async function retryWhileThrottled<T>(
  call: () => Promise<T>,
  options: ThrottleRetryOptions,
): Promise<{ value: T; attempts: number }> {
  const clock = options.clock ?? systemClock;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { value: await call(), attempts: attempt };
    } catch (error) {
      const remaining = options.deadline - clock.now();
      if (!isThrottlingError(error) || remaining <= 0) throw error;
      const delay = Math.min(backoffDelay(options.backoff, attempt), remaining);
      options.onRetry?.(error, attempt, delay);
      await clock.sleep(delay);
    }
  }
}
