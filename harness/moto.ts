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

/** POST /moto-api/reset over TLS, trusting only the stack's own certificate. */
async function resetOverTls(endpoint: string, ca: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}/moto-api/reset`, { method: 'POST', ca }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether moto_server answers its reset (which also starts it empty). */
async function answers(endpoint: string, ca?: string): Promise<boolean> {
  try {
    if (ca !== undefined) return await resetOverTls(endpoint, ca);
    return (await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' })).ok;
  } catch {
    return false; // not listening yet
  }
}

/** Whether the server answers within `timeoutMs`; false when it exits first (its port was taken) or never answers. */
async function waitUntilServing(
  endpoint: string,
  server: ResultPromise,
  timeoutMs: number,
  ca?: string,
): Promise<boolean> {
  try {
    await waitUntil(
      `moto_server answers on ${endpoint}`,
      async () => server.exitCode !== null || (await answers(endpoint, ca)),
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
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    // Over TLS by the name the certificate holds (some clients do not match IP addresses).
    const endpoint = tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
    const server = execa(
      python,
      [LAUNCHER, '-H', '127.0.0.1', '-p', String(port), ...(tls ? ['--faithful-tls', tls.cert, tls.key] : [])],
      {
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
    if (await waitUntilServing(endpoint, server, 30_000, ca)) {
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
