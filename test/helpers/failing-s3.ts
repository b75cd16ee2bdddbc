import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { LocalServer } from './unresponsive-s3.js';

/**
 * S3 endpoints that fail the way a region in an outage does, each on 127.0.0.1: `connections`
 * counts the connections (or requests) each received, so a test can tell it was asked.
 */
export interface FailingEndpoint extends LocalServer {
  connections: () => number;
}

async function listening(server: Server, scheme: 'http' | 'https', counted: () => number): Promise<FailingEndpoint> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: counted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that was just given up: every connection to it is refused (ECONNREFUSED). */
export async function refusingEndpoint(): Promise<FailingEndpoint> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { url: `http://127.0.0.1:${port}`, connections: () => 0, close: async () => undefined };
}

/** Accepts each connection, reads the request's first bytes, then resets it (a TCP RST: ECONNRESET). */
export async function resettingEndpoint(): Promise<FailingEndpoint> {
  let count = 0;
  const server = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      count += 1;
      socket.resetAndDestroy();
    });
  });
  return listening(server, 'http', () => count);
}

/** An https:// endpoint whose server does not speak TLS: it answers the ClientHello in plain HTTP, so the handshake fails. */
export async function notTlsEndpoint(): Promise<FailingEndpoint> {
  let count = 0;
  const server = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      count += 1;
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
  });
  return listening(server, 'https', () => count);
}

const S3_ERRORS: Record<number, { code: string; message: string }> = {
  403: { code: 'AccessDenied', message: 'Access Denied' },
  500: { code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
  503: { code: 'ServiceUnavailable', message: 'Service is unable to handle request.' },
};

/** S3 that answers every request with `status` and S3's own error document for it. */
export async function answeringEndpoint(status: 403 | 500 | 503): Promise<FailingEndpoint> {
  let count = 0;
  const error = S3_ERRORS[status] as { code: string; message: string };
  const server = createHttpServer((req, res) => {
    count += 1;
    req.resume();
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${error.message}</Message><RequestId>failing-endpoint</RequestId></Error>`;
    res.writeHead(status, {
      'Content-Type': 'application/xml',
      'Content-Length': Buffer.byteLength(body),
      'x-amz-request-id': 'failing-endpoint',
    });
    res.end(body);
  });
  return listening(server, 'http', () => count);
}

/** A host name that can never resolve: `.invalid` is reserved for that (RFC 2606). */
export function unresolvableEndpoint(): FailingEndpoint {
  return { url: 'https://s3.us-west-2.copy-region.invalid', connections: () => 0, close: async () => undefined };
}
