import { MOTO_CREDENTIALS, startMoto, type MotoServer } from './moto.js';
import { postgresUrl, startPostgres, stopPostgres, type PostgresInfo, type PostgresServer } from './postgres.js';

/** What tests, the local drill and benchmarks need to reach the running stack. */
export interface StackInfo {
  postgres: PostgresInfo;
  awsEndpoint: string;
  motoPid: number;
}

export interface Stack extends StackInfo {
  /** Variables that point child processes (jest workers, the aws CLI) at the stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export const STACK_ENV = 'DR_TEST_STACK';

/** Starts PostgreSQL and moto_server side by side; if either fails to start, stops the other. */
export async function startStack(): Promise<Stack> {
  const [postgres, moto] = await Promise.allSettled([startPostgres(), startMoto()]);
  if (postgres.status === 'rejected' || moto.status === 'rejected') {
    if (postgres.status === 'fulfilled') await postgres.value.stop();
    if (moto.status === 'fulfilled') await moto.value.stop();
    throw postgres.status === 'rejected' ? postgres.reason : (moto as PromiseRejectedResult).reason;
  }
  return assemble(postgres.value, moto.value);
}

function assemble(server: PostgresServer, moto: MotoServer): Stack {
  const { url: _url, stop: _stop, ...postgres } = server;
  const info: StackInfo = { postgres, awsEndpoint: moto.endpoint, motoPid: moto.pid };
  let stopped: Promise<void> | undefined;
  return {
    ...info,
    env: { [STACK_ENV]: JSON.stringify(info), ...MOTO_CREDENTIALS },
    stop: () => {
      stopped ??= Promise.allSettled([server.stop(), moto.stop()]).then(() => undefined);
      return stopped;
    },
  };
}

/** The stack started by `npm test` (or `npm run stack`), as seen from inside a test. */
export function stackFromEnv(): StackInfo & { postgresUrl(database?: string): string } {
  const raw = process.env[STACK_ENV];
  if (!raw) {
    throw new Error(`${STACK_ENV} is not set: run tests through \`npm test\`, which starts PostgreSQL and moto_server`);
  }
  const info = JSON.parse(raw) as StackInfo;
  return { ...info, postgresUrl: (database?: string) => postgresUrl(info.postgres, database) };
}

export async function stopStackInfo(info: StackInfo): Promise<void> {
  await stopPostgres(info.postgres);
  try {
    process.kill(info.motoPid, 'SIGTERM');
  } catch {
    // already gone
  }
}
