import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './free-port.js';
import { waitUntil } from './wait.js';

export interface MotoServer {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

/** Credentials moto accepts; the SDK and the aws CLI need some, and these reach only the loopback server. */
export const MOTO_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
};

const LAUNCHER = fileURLToPath(new URL('./moto_launcher.py', import.meta.url));

/** A certificate for localhost and its key (PEM files) for moto's TLS mode; clients trust the certificate as their CA. */
export interface MotoTls {
  cert: string;
  key: string;
}

/** A GET or POST to the server (over TLS trusting only the stack's own certificate when `ca` is given): its status and body. */
async function call(endpoint: string, path: string, method: 'GET' | 'POST', ca?: string) {
  if (ca === undefined) {
    const response = await fetch(`${endpoint}${path}`, { method });
    return { status: response.status, body: await response.text() };
  }
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${endpoint}${path}`, { method, ca }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Whether the server on `endpoint` is the one started with `identity` and answers its reset (which
 * also starts it empty). Its port was free a moment before it bound it: another process may have
 * taken it first (a test's proxy to the stack's moto), which must not be reset, nor taken for it.
 */
async function answers(endpoint: string, identity: string, ca?: string): Promise<boolean> {
  try {
    const who = await call(endpoint, '/moto-api/dr-stack/identity', 'GET', ca);
    if (who.status !== 200 || who.body !== identity) return false;
    return (await call(endpoint, '/moto-api/reset', 'POST', ca)).status === 200;
  } catch {
    return false; // not listening yet
  }
}

/** Whether the server answers within `timeoutMs`; false when it exits first (its port was taken) or never answers. */
async function waitUntilServing(
  endpoint: string,
  server: ResultPromise,
  identity: string,
  timeoutMs: number,
  ca?: string,
): Promise<boolean> {
  try {
    await waitUntil(
      `moto_server answers on ${endpoint}`,
      async () => server.exitCode !== null || (await answers(endpoint, identity, ca)),
      { timeoutMs, intervalMs: 100 },
    );
  } catch {
    return false;
  }
  return server.exitCode === null;
}

/**
 * Starts moto_server (S3, RDS, Route 53 and the rest) on a free loopback port, through the stack's launcher.
 * With `tls`, it serves HTTPS with the launcher's TLS fixes (see --faithful-tls there), for clients that speak S3 only over TLS.
 */
export async function startMoto(options: { tls?: MotoTls } = {}): Promise<MotoServer> {
  const python = process.env.MOTO_PYTHON ?? 'python3';
  const { tls } = options;
  const ca = tls ? await readFile(tls.cert, 'utf8') : undefined;
  const identity = randomBytes(16).toString('hex');
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    // Over TLS by the name the certificate holds (some clients do not match IP addresses).
    const endpoint = tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
    const server = execa(
      python,
      [LAUNCHER, '-H', '127.0.0.1', '-p', String(port), ...(tls ? ['--faithful-tls', tls.cert, tls.key] : [])],
      {
        env: { DR_STACK_MOTO_IDENTITY: identity },
        reject: false,
        stdio: ['ignore', 'ignore', 'pipe'],
        buffer: false,
        cleanup: true,
        forceKillAfterDelay: 5_000,
      },
    );
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 20_000) stderr += chunk.toString();
    });
    if (await waitUntilServing(endpoint, server, identity, 30_000, ca)) {
      return {
        endpoint,
        pid: server.pid ?? 0,
        stop: async () => {
          server.kill('SIGTERM');
          await server;
        },
      };
    }
    server.kill('SIGKILL');
    await server;
    if (!/Address already in use/i.test(stderr)) {
      throw new Error(`moto_server did not start:\n${stderr.slice(-2_000)}`);
    }
  }
  throw new Error('moto_server did not find a free port');
}
