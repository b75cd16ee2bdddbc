import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { execa } from 'execa';
import { verifyRdsToken, type TokenCredentials } from './rds-token-verifier.js';

/**
 * A PostgreSQL server as RDS is to an IAM user: in front of a real cluster, it asks the client
 * for a cleartext password (AuthenticationCleartextPassword, as RDS's PAM does for `rds_iam`
 * users), lets the connection through only over TLS and when the password is an IAM token that
 * verifies as RDS verifies it (rds-token-verifier.ts), and otherwise answers RDS's own
 * `PAM authentication failed for user "..."` and closes. A connection let through is passed to the
 * cluster over its Unix socket (trusted) with the client's startup message, and relayed both ways.
 */

export interface IamAuthProxyOptions {
  /** The cluster behind: its Unix socket directory and port (local connections are trusted). */
  upstream: { socketDir: string; port: number };
  region: string;
  credentials: TokenCredentials;
  /** The proxy's clock, for token expiry; injected so that an expiry test is deterministic. */
  now?: () => Date;
}

export interface IamAuthProxy {
  host: string;
  port: number;
  /** Every connection's outcome in order: 'accepted' or why it was refused. */
  outcomes: string[];
  /** Every password the clients sent, to prove what they signed in with. */
  passwords: string[];
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const PROTOCOL_3 = 196608;

/** Buffers a stream's bytes and hands out exact lengths, until released to be relayed. */
class ByteReader {
  private buffered = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly onData = (chunk: Buffer) => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.wake?.();
  };
  private readonly onEnd = () => {
    this.closed = true;
    this.wake?.();
  };

  constructor(private readonly stream: Duplex) {
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
  }

  async take(length: number): Promise<Buffer> {
    while (this.buffered.length < length) {
      if (this.closed) throw new Error('the client closed the connection');
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const taken = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return taken;
  }

  /** Stops reading; what was read beyond the last take() is returned. */
  release(): Buffer {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.pause();
    return this.buffered;
  }
}

function authenticationCleartextPassword(): Buffer {
  const message = Buffer.alloc(9);
  message.write('R', 0);
  message.writeInt32BE(8, 1);
  message.writeInt32BE(3, 5);
  return message;
}

function pamFailure(user: string): Buffer {
  const fields = ['SFATAL', 'VFATAL', 'C28P01', `MPAM authentication failed for user "${user}"`];
  const body = Buffer.concat([...fields.map((field) => Buffer.from(`${field}\0`, 'utf8')), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function startupParameters(body: Buffer): Map<string, string> {
  const words = body.subarray(4).toString('utf8').split('\0');
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < words.length && words[i]; i += 2) parameters.set(words[i] as string, words[i + 1] as string);
  return parameters;
}

/** The startup message, after answering SSLRequest with TLS and GSSENCRequest with a no. */
async function readStartup(
  socket: Socket,
  tls: SecureContext,
): Promise<{ reader: ByteReader; stream: Duplex; startup: Buffer; encrypted: boolean }> {
  let stream: Duplex = socket;
  let reader = new ByteReader(socket);
  let encrypted = false;
  for (;;) {
    const length = (await reader.take(4)).readInt32BE(0);
    const body = await reader.take(length - 4);
    const code = body.readInt32BE(0);
    if (code === SSL_REQUEST && !encrypted) {
      reader.release();
      socket.write('S');
      const secure = new TLSSocket(socket, { isServer: true, secureContext: tls });
      stream = secure;
      reader = new ByteReader(secure);
      encrypted = true;
    } else if (code === GSSENC_REQUEST) {
      stream.write('N');
    } else if (code === PROTOCOL_3) {
      const startup = Buffer.alloc(length);
      startup.writeInt32BE(length, 0);
      body.copy(startup, 4);
      return { reader, stream, startup, encrypted };
    } else {
      throw new Error(`unexpected startup code ${code}`);
    }
  }
}

async function readPassword(reader: ByteReader): Promise<string> {
  const head = await reader.take(5);
  if (head.toString('utf8', 0, 1) !== 'p') throw new Error('the client sent no password message');
  const body = await reader.take(head.readInt32BE(1) - 4);
  return body.toString('utf8').replace(/\0$/, '');
}

function relay(client: Duplex, leftover: Buffer, startup: Buffer, upstream: IamAuthProxyOptions['upstream']): void {
  const server = createConnection(join(upstream.socketDir, `.s.PGSQL.${upstream.port}`));
  server.write(startup);
  if (leftover.length > 0) server.write(leftover);
  client.pipe(server);
  server.pipe(client);
  client.resume();
  const close = () => {
    client.destroy();
    server.destroy();
  };
  client.on('error', close).on('close', close);
  server.on('error', close).on('close', close);
}

async function selfSignedContext(): Promise<SecureContext> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-actions-iam-proxy-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    await execa(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ]),
    );
    return createSecureContext({ key: await readFile(key), cert: await readFile(cert) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function startIamAuthProxy(options: IamAuthProxyOptions): Promise<IamAuthProxy> {
  const tls = await selfSignedContext();
  const now = options.now ?? (() => new Date());
  const outcomes: string[] = [];
  const passwords: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    void serve(socket).catch(() => socket.destroy());
  });
  const serve = async (socket: Socket) => {
    const { reader, stream, startup, encrypted } = await readStartup(socket, tls);
    const user = startupParameters(startup.subarray(4)).get('user') ?? '';
    stream.write(authenticationCleartextPassword());
    const password = await readPassword(reader);
    passwords.push(password);
    const verdict = encrypted
      ? verifyRdsToken(password, { endpoint: `127.0.0.1:${port}`, user, ...options, now: now() })
      : { valid: false as const, reason: 'not over TLS' };
    if (!verdict.valid) {
      outcomes.push(verdict.reason);
      stream.end(pamFailure(user));
      return;
    }
    outcomes.push('accepted');
    relay(stream, reader.release(), startup, options.upstream);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    outcomes,
    passwords,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The proxy in front of the stack's cluster, verifying tokens with the credentials the stack hands the actions. */
export function startStackIamProxy(
  postgres: { baseDir: string; port: number },
  credentials: TokenCredentials,
  now?: () => Date,
): Promise<IamAuthProxy> {
  return startIamAuthProxy({
    upstream: { socketDir: postgres.baseDir, port: postgres.port },
    region: IAM_PROXY_REGION,
    credentials,
    ...(now ? { now } : {}),
  });
}

/** The region the stack's RDS endpoints are in, which tokens must be signed for. */
export const IAM_PROXY_REGION = 'us-east-1';
