import { createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A server on 127.0.0.1 that S3 clients reach at `url`; `close` ends it and every connection it holds. */
export interface LocalServer {
  url: string;
  close: () => Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>): Promise<LocalServer> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Accepts every connection and never sends a byte, like S3 in a region that has stopped answering. `requests` holds each connection's request line. */
export async function silentS3(): Promise<LocalServer & { requests: string[] }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n');
      if (end < 0) return;
      requests.push(head.slice(0, end));
      socket.off('data', onData);
      socket.resume();
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
  return { ...(await listen(server, sockets)), requests };
}

/** Answers every request with 200 headers promising `size` bytes, sends the first half of them, then stalls. */
export async function stallingS3(size: number): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\nETag: "stalled"\r\n\r\n`,
      );
      socket.write(Buffer.alloc(Math.floor(size / 2), 7));
    });
  });
  return listen(server, sockets);
}

/**
 * Relays one request to `target` (moto) and its answer back; `beforeAnswer` runs once the answer
 * came, before it is passed on, and may have it lost instead: the client's connection is then
 * destroyed without a byte of the answer.
 */
function forward(
  target: URL,
  req: IncomingMessage,
  res: ServerResponse,
  beforeAnswer: (status: number) => 'relay' | 'lose' | void = () => undefined,
): void {
  const { expect: _continue, ...headers } = req.headers; // this server already answered 100-continue
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
    (answer) => {
      if (beforeAnswer(answer.statusCode ?? 502) === 'lose') {
        answer.resume();
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

/**
 * A path-style S3 endpoint that forwards everything to `upstream` (moto). For the requests `pick`
 * chooses, `whenStored` runs once moto has answered (S3 has done what was asked) and before the
 * client gets the answer: the moment a request is done on the server but not yet for its client.
 */
export async function s3AnsweringLate(
  upstream: string,
  pick: (method: string, path: string) => boolean,
  whenStored: (status: number) => void,
): Promise<LocalServer> {
  const target = new URL(upstream);
  const server = createHttpServer((req, res) => {
    const picked = pick(req.method ?? 'GET', req.url ?? '/');
    forward(target, req, res, picked ? whenStored : undefined);
  });
  return listen(server, new Set());
}

/**
 * A path-style S3 endpoint that forwards everything to `upstream` (moto), but loses the answer to
 * the first request `pick` chooses: moto has done what was asked, and the client's connection is
 * then destroyed before the answer is passed on, as when a connection resets after S3 processed
 * the request. `lost` lists that request (method, path and moto's status) once it happened.
 * With `retryAnswer`, the next request `pick` chooses (the SDK's retry) is not forwarded but
 * answered with that S3 error, for an answer of S3's that moto does not give. Once the answer is
 * lost, the requests `deniedAfterLoss` chooses are answered 403 AccessDenied.
 */
export async function s3LosingFirstAnswer(
  upstream: string,
  pick: (method: string, path: string) => boolean,
  retryAnswer?: { status: number; code: string },
  deniedAfterLoss: (method: string, path: string) => boolean = () => false,
): Promise<LocalServer & { lost: string[] }> {
  const target = new URL(upstream);
  const lost: string[] = [];
  let retried = false;
  const server = createHttpServer((req, res) => {
    const request = `${req.method ?? 'GET'} ${req.url ?? '/'}`;
    const picked = pick(req.method ?? 'GET', req.url ?? '/');
    const answer = (error: { status: number; code: string }) => {
      req.resume();
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${error.code}</Message><RequestId>lost-answer</RequestId></Error>`;
      res.writeHead(error.status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (picked && lost.length > 0 && retryAnswer && !retried) {
      retried = true;
      answer(retryAnswer);
      return;
    }
    if (lost.length > 0 && deniedAfterLoss(req.method ?? 'GET', req.url ?? '/')) {
      answer({ status: 403, code: 'AccessDenied' });
      return;
    }
    forward(target, req, res, (status) => {
      if (!picked || lost.length > 0) return 'relay';
      lost.push(`${request} ${status}`);
      return 'lose';
    });
  });
  return { ...(await listen(server, new Set())), lost };
}

/**
 * A path-style S3 endpoint that forwards to `upstream` (moto), except the requests `hold` picks,
 * which it accepts and never answers. `held` lists them as they come (method and path).
 */
export async function s3Holding(
  upstream: string,
  hold: (method: string, path: string) => boolean,
): Promise<LocalServer & { held: string[]; untilHeld(count: number): Promise<void> }> {
  const target = new URL(upstream);
  const held: string[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    const path = req.url ?? '/';
    if (hold(req.method ?? 'GET', path)) {
      held.push(`${req.method} ${path}`);
      for (const waiter of waiting.filter((w) => held.length >= w.count)) waiter.resolve();
      req.resume();
      return;
    }
    forward(target, req, res);
  });
  const untilHeld = (count: number) =>
    held.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ count, resolve }));
  return { ...(await listen(server, sockets)), held, untilHeld };
}

/** One region's bucket gone silent: every request for `silentBucket` (`/<bucket>`, `/<bucket>/...`, `/<bucket>?...`) is held. */
export async function s3WithSilentBucket(
  upstream: string,
  silentBucket: string,
): Promise<LocalServer & { held: string[] }> {
  return s3Holding(
    upstream,
    (_method, path) =>
      path === `/${silentBucket}` || path.startsWith(`/${silentBucket}/`) || path.startsWith(`/${silentBucket}?`),
  );
}

/**
 * A path-style S3 endpoint that forwards to `upstream` (moto) in stages. A request `hold` picks waits
 * until `release()`, then is forwarded; one `stall` picks gets moto's headers and the first half of
 * its body, then nothing more, as S3 that stops sending part way. `untilHeld(n)` and
 * `untilStalled(n)` resolve once that many have come.
 */
export async function s3Staged(
  upstream: string,
  picks: { hold: (method: string, path: string) => boolean; stall: (method: string, path: string) => boolean },
): Promise<
  LocalServer & { release(): void; untilHeld(count: number): Promise<void>; untilStalled(count: number): Promise<void> }
> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const counts = { held: 0, stalled: 0 };
  const waiting: { kind: 'held' | 'stalled'; count: number; resolve: () => void }[] = [];
  const reached = (kind: 'held' | 'stalled') => {
    counts[kind] += 1;
    for (const waiter of waiting.filter((w) => w.kind === kind && counts[kind] >= w.count)) waiter.resolve();
  };
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = createHttpServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const held = picks.hold(method, path);
    if (held) reached('held');
    void (held ? released : Promise.resolve()).then(() => forward(req, res, picks.stall(method, path)));
  });
  const forward = (req: IncomingMessage, res: ServerResponse, stall: boolean) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const { expect: _continue, ...headers } = req.headers;
    const upstreamRequest = request({ host: target.hostname, port: target.port, method, path, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (!stall) {
        answer.pipe(res);
        return;
      }
      let left = Math.floor(Number(answer.headers['content-length'] ?? 0) / 2);
      answer.on('data', (chunk: Buffer) => {
        if (left <= 0) return;
        res.write(chunk.subarray(0, left));
        left -= chunk.length;
        if (left <= 0) reached('stalled');
      });
    });
    upstreamRequest.on('error', () => res.destroy());
    req.pipe(upstreamRequest);
  };
  const until = (kind: 'held' | 'stalled') => (count: number) =>
    counts[kind] >= count ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ kind, count, resolve }));
  return {
    ...(await listen(server, sockets)),
    release: () => release(),
    untilHeld: until('held'),
    untilStalled: until('stalled'),
  };
}
