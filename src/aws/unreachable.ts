import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import { httpStatusOf } from './errors.js';

/** Where a client sends its calls, for messages: its region (none for a global service such as Route 53), and endpoint-url when set. */
interface ServiceLocation {
  region?: string;
  endpointUrl?: string;
}

/** What happened to a call that got no answer (or only a server error), from the error the HTTP handler gave. */
function whatHappened(error: Error & { code?: string }): string {
  const { code, message } = error;
  const status = httpStatusOf(error);
  if (status !== undefined) return `answered with HTTP ${status}`;
  if (code === 'ECONNREFUSED') return 'refused the connection';
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/.test(message)) return 'dropped the connection';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'has a host name that does not resolve';
  if (code === 'ETIMEDOUT' || /establish a connection/.test(message)) return 'did not accept a connection in time';
  if (error.name === 'TimeoutError') return 'did not answer in time';
  return 'could not be reached';
}

/**
 * An error the call got instead of an answer (from the network, a code such as ECONNREFUSED, or a
 * handler timeout), or a server error the retries did not outlast. An answer that names the fault
 * (denied, not found, invalid) is left to the caller, which knows what it means.
 */
function isUnanswered(error: unknown, networkOnly: boolean): error is Error & { code?: string } {
  if (!(error instanceof Error)) return false;
  const status = httpStatusOf(error);
  if (status !== undefined) return !networkOnly && status >= 500;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' || (!networkOnly && error.name === 'TimeoutError');
}

function describeEndpoint(service: string, { region, endpointUrl }: ServiceLocation): string {
  return `${service}${region ? ` in ${region}` : ''}${endpointUrl ? ` at ${endpointUrl}` : ''}`;
}

/**
 * Makes a control-plane call that got no answer (or a server error), once the SDK's retries are over, fail saying which
 * service in which region, which call, what happened and what to check, instead of a bare
 * `connect ECONNREFUSED 127.0.0.1:443`: during a regional outage that line is all an on-call engineer
 * sees. The error keeps its name, code and metadata (retries and waiters still see the SDK's own),
 * with the original text after the explanation. `networkOnly` leaves timeouts and server errors to
 * the caller (S3's own limits are reported by s3-timeouts.ts, and its callers name the bucket).
 */
export function reportUnreachablePlainly<Input extends object, Output extends object>(
  client: { middlewareStack: MiddlewareStack<Input, Output> },
  /** As people name it: RDS, Route 53, Secrets Manager. */
  service: string,
  location: ServiceLocation,
  { networkOnly = false }: { networkOnly?: boolean } = {},
): void {
  const where = describeEndpoint(service, location);
  const middleware: InitializeMiddleware<Input, Output> = (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (!isUnanswered(error, networkOnly)) throw error;
      const call = (context.commandName ?? 'a call').replace(/Command$/, '');
      const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
      error.message =
        `${where} ${whatHappened(error)} for ${call}${attempts ? ` after ${attempts} attempts` : ''} (${error.message}): ` +
        `check that ${service} is up${location.region ? ` in ${location.region}` : ''} and that this runner can reach it (network, proxy, VPC endpoint)`;
      throw error;
    }
  };
  client.middlewareStack.add(middleware, { step: 'initialize', name: 'plainUnreachableMessages', priority: 'high' });
}
