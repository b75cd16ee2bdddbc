import { stackFromEnv } from './stack.js';
import type { ArchivingPrimary, RestoredServer } from './point-in-time.js';

/** A restore RDS was asked for, as the stack's moto launcher lists it while the instance is `creating`. */
export interface RestoreRequest {
  region: string;
  instance: string;
  kind: 'point-in-time' | 'snapshot';
  snapshot?: string;
  sourceRegion: string;
  sourceInstance: string;
  /** ISO: the moment the restored data must be from. */
  targetTime: string;
}

export interface ServedRestore extends RestoreRequest {
  server: RestoredServer;
}

export interface RestoreService {
  served: ServedRestore[];
  /** Restores that could not be served (a target before the base backup...), by instance. */
  errors: string[];
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** The restores this service owns: those of its test's source instance. moto is shared by test files running side by side. */
  serves: (request: RestoreRequest) => boolean;
  pollMs?: number;
  hold?: (request: RestoreRequest) => boolean;
}

/**
 * Plays the part of RDS's storage layer: each restore moto was asked for is served by a real
 * point-in-time recovery of `primary` to the request's target time, and the instance turns
 * `available` at that server's address. Until then it stays `creating`, as on RDS; `hold` keeps
 * a restore `creating` for as long as it answers true (a restore that takes its time).
 */
export function serveRestores(primary: ArchivingPrimary, awsEndpoint: string, options: ServeOptions): RestoreService {
  const served: ServedRestore[] = [];
  const errors: string[] = [];
  const started = new Set<string>();
  let stopped = false;
  const serve = async (request: RestoreRequest) => {
    try {
      const server = await primary.restoreTo(request.targetTime);
      served.push({ ...request, server });
      const response = await fetch(`${awsEndpoint}/moto-api/dr-stack/rds/restored`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          region: request.region,
          instance: request.instance,
          address: server.host,
          port: server.port,
        }),
      });
      if (!response.ok) errors.push(`${request.instance}: the stack did not take the endpoint (${response.status})`);
    } catch (error) {
      errors.push(`${request.instance}: ${String(error)}`);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      const response = await fetch(`${awsEndpoint}/moto-api/dr-stack/rds/restores`).catch(() => undefined);
      const pending = response?.ok ? ((await response.json()) as RestoreRequest[]) : [];
      for (const request of pending) {
        const key = `${request.region}/${request.instance}`;
        if (started.has(key) || !options.serves(request) || options.hold?.(request)) continue;
        started.add(key);
        await serve(request);
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    }
  })();
  return {
    served,
    errors,
    stop: async () => {
      stopped = true;
      await loop;
      await Promise.allSettled(served.map((s) => s.server.stop()));
    },
  };
}

/** What RDS would report as the last moment the instance's logs reached S3 (the stack's moto answers "now" otherwise). */
export async function setLatestRestorableTime(
  region: string,
  instance: string,
  time: Date,
  awsEndpoint = stackFromEnv().awsEndpoint,
): Promise<void> {
  const response = await fetch(`${awsEndpoint}/moto-api/dr-stack/rds/latest-restorable-time`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ region, instance, time: time.toISOString() }),
  });
  if (!response.ok) throw new Error(`the stack did not take the latest restorable time: HTTP ${response.status}`);
}
