import { createServer, type Server } from 'node:http';

/** A local application health endpoint whose answer a test controls; it counts the requests it gets. */
export interface HealthServer {
  url: string;
  requests: number;
  status: number;
  close(): Promise<void>;
}

export async function startHealthServer(status = 200): Promise<HealthServer> {
  const state = { requests: 0, status };
  const server: Server = createServer((_request, response) => {
    state.requests += 1;
    response.writeHead(state.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: state.status < 400 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/api/v1/health/`,
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
