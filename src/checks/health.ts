import { errorMessage } from '../errors.js';
import { pollUntil, type Backoff } from '../util/backoff.js';
import { systemClock, type Clock } from '../util/clock.js';
import { ConfigurationError } from '../errors.js';
import { parseInteger, type InputReader } from '../util/inputs.js';

export interface HealthTarget {
  url: string;
  /** Scheme, host and path: the query string may carry a token. */
  display: string;
  expectStatus: number;
  timeoutSeconds: number;
}

/** health-url, health-expect-status and health-timeout-seconds; undefined when health-url is empty. */
export function parseHealth(input: InputReader): HealthTarget | undefined {
  const text = input('health-url').trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError('health-url is not a URL; expected e.g. https://api.example.com/api/v1/health/');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigurationError('health-url must be an http:// or https:// URL');
  if (url.username || url.password) throw new ConfigurationError('health-url must not hold credentials');
  return {
    url: url.toString(),
    display: `${url.origin}${url.pathname}${url.search ? '?…' : ''}`,
    expectStatus: parseInteger(input('health-expect-status'), 'health-expect-status', 200, 100, 599),
    timeoutSeconds: parseInteger(input('health-timeout-seconds'), 'health-timeout-seconds', 600, 1),
  };
}

/** One request to the health URL: the status it answered, or why it did not answer. */
export interface HealthProbe {
  at: string;
  status?: number;
  error?: string;
}

/** No single probe may take longer than this, so that polling keeps its rhythm. */
const PROBE_TIMEOUT_MS = 10_000;
/** Even the last probe before the deadline gets this long to answer: a cut-off request says nothing about health. */
const MIN_PROBE_TIMEOUT_MS = 2_000;

/** Like `curl`, redirects are not followed: a health endpoint that redirects (to a login page) is not healthy. */
export async function probeHealth(target: HealthTarget, timeoutMs = PROBE_TIMEOUT_MS): Promise<HealthProbe> {
  const at = new Date().toISOString();
  try {
    const response = await fetch(target.url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'user-agent': 'dr-actions' },
    });
    await response.body?.cancel();
    return { at, status: response.status };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return { at, error: cause ? errorMessage(cause) : errorMessage(error) };
  }
}

export function describeProbe(probe: HealthProbe): string {
  return probe.status !== undefined ? `HTTP ${probe.status}` : `no answer (${probe.error ?? 'unknown error'})`;
}

export interface HealthWait {
  healthy: boolean;
  attempts: number;
  last: HealthProbe;
}

/** Polls the health URL with backoff until it answers the expected status or health-timeout-seconds pass. */
export async function waitHealthy(
  target: HealthTarget,
  backoff: Backoff,
  clock: Clock = systemClock,
): Promise<HealthWait> {
  const deadline = clock.now() + target.timeoutSeconds * 1000;
  const outcome = await pollUntil(
    () => probeHealth(target, Math.min(PROBE_TIMEOUT_MS, Math.max(MIN_PROBE_TIMEOUT_MS, deadline - clock.now()))),
    (probe) => probe.status === target.expectStatus,
    { deadline, backoff, clock },
  );
  return { healthy: outcome.done, attempts: outcome.attempts, last: outcome.value };
}
