import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { createRdsClient, createRoute53Client } from '../aws/clients.js';
import type { RunContext } from '../github/run-context.js';
import { findClient } from '../postgres/binaries.js';
import type { Backoff } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { FailoverSettings } from './inputs.js';

/** How often failover looks again while it waits; tests and drills may go faster. */
export interface FailoverPacing {
  promotion: Backoff;
  writable: Backoff;
  dns: Backoff;
  health: Backoff;
  /** Between retries of a throttled (or PriorRequestNotComplete) AWS call. */
  throttle: Backoff;
}

export const DEFAULT_PACING: FailoverPacing = {
  promotion: { initialMs: 1_000, maxMs: 15_000, factor: 1.5 },
  writable: { initialMs: 1_000, maxMs: 5_000, factor: 1.5 },
  dns: { initialMs: 1_000, maxMs: 10_000, factor: 1.5 },
  health: { initialMs: 1_000, maxMs: 10_000, factor: 1.5 },
  throttle: { initialMs: 500, maxMs: 10_000, factor: 2 },
};

export interface FailoverClients {
  /** RDS in the replica's region. */
  rds: RDSClient;
  /** RDS in another region (the source's), with few retries: that region may be down. */
  probeRds(region: string): RDSClient;
  route53: Route53Client;
}

export interface FailoverContext {
  clients: FailoverClients;
  /** psql, when replica-database-url is given. */
  psqlPath?: string;
  pacing: FailoverPacing;
  log: Logger;
  /** What the waits (promotion, writable, DNS, health) measure time by; the system clock when absent. */
  clock?: Clock;
  /** The workflow run, named by the promoted-by tag of a replica this run promotes. */
  run?: RunContext;
}

const PROBE_ATTEMPTS = 2;

export function createClients(settings: Pick<FailoverSettings, 'region' | 'endpointUrl'>): FailoverClients {
  const probes = new Map<string, RDSClient>();
  return {
    rds: createRdsClient({ region: settings.region, endpointUrl: settings.endpointUrl }),
    probeRds: (region) => {
      let client = probes.get(region);
      if (!client) {
        client = createRdsClient({ region, endpointUrl: settings.endpointUrl }, { maxAttempts: PROBE_ATTEMPTS });
        probes.set(region, client);
      }
      return client;
    },
    route53: createRoute53Client({ region: settings.region, endpointUrl: settings.endpointUrl }),
  };
}

export async function createContext(
  settings: FailoverSettings,
  log: Logger,
  pacing: Partial<FailoverPacing> = {},
  clock?: Clock,
  run?: RunContext,
): Promise<FailoverContext> {
  return {
    clients: createClients(settings),
    psqlPath: settings.replicaDatabase ? (await findClient('psql')).path : undefined,
    pacing: { ...DEFAULT_PACING, ...pacing },
    log,
    ...(clock ? { clock } : {}),
    ...(run ? { run } : {}),
  };
}
