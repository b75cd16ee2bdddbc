import { ConfigurationError } from '../errors.js';
import { parseInteger, type InputReader } from '../util/inputs.js';

/** The application's health endpoint, and what answer means healthy. */
export interface HealthTarget {
  url: string;
  /** Scheme, host and path: the query string may carry a token. */
  display: string;
  expectStatus: number;
  timeoutSeconds: number;
}

/** The health-url input as a URL, or a ConfigurationError saying what is wrong with it. */
export function parseHealthUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError('health-url is not a URL; expected e.g. https://api.example.com/api/v1/health/');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigurationError('health-url must be an http:// or https:// URL');
  if (url.username || url.password) throw new ConfigurationError('health-url must not hold credentials');
  return url;
}

/** health-url, health-expect-status and health-timeout-seconds; undefined when health-url is empty. */
export function parseHealthTarget(input: InputReader, defaultTimeoutSeconds = 600): HealthTarget | undefined {
  const text = input('health-url').trim();
  if (!text) return undefined;
  const url = parseHealthUrl(text);
  return {
    url: url.toString(),
    display: `${url.origin}${url.pathname}${url.search ? '?…' : ''}`,
    expectStatus: parseInteger(input('health-expect-status'), 'health-expect-status', 200, 100, 599),
    timeoutSeconds: parseInteger(input('health-timeout-seconds'), 'health-timeout-seconds', defaultTimeoutSeconds, 1),
  };
}
