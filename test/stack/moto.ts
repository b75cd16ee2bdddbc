import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './free-port.js';

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

async function waitUntilServing(endpoint: string, server: ResultPromise, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) return false;
    try {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Starts moto_server (S3, RDS, Route 53 and the rest) on a free loopback port, through the stack's launcher. */
export async function startMoto(): Promise<MotoServer> {
  const python = process.env.MOTO_PYTHON ?? 'python3';
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const server = execa(python, [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
      reject: false,
      stdio: ['ignore', 'ignore', 'pipe'],
      buffer: false,
      cleanup: true,
      forceKillAfterDelay: 5_000,
    });
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 20_000) stderr += chunk.toString();
    });
    if (await waitUntilServing(endpoint, server, 30_000)) {
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
