import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';

/** A local application health endpoint whose answer a test controls; it counts the requests it gets. */
export interface HealthServer {
  url: string;
  requests: number;
  status: number;
  close(): Promise<void>;
}

export async function startHealthServer(status = 200, port = 0): Promise<HealthServer> {
  const state = { requests: 0, status };
  const server: Server = createServer((_request, response) => {
    state.requests += 1;
    response.writeHead(state.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: state.status < 400 }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${bound}/api/v1/health/`,
    get requests() {
      return state.requests;
    },
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  } as HealthServer;
}

/**
 * Run as a program (`node health-server.ts <port> <pid-file>`, Node 24 strips the types), it is
 * the application of recover-application's tests: a process that a crash command kills and a
 * restart command starts again. It writes its pid and then `listening` once it listens, and exits at once on SIGTERM.
 */
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const [port, pidFile] = process.argv.slice(2);
  void startHealthServer(200, Number(port)).then(() => {
    writeFileSync(pidFile as string, String(process.pid));
    process.stdout.write('listening\n');
    // A crash: no connection is drained.
    process.on('SIGTERM', () => process.exit(0));
  });
}
