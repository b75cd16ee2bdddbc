/**
 * The stack's application: harness/health-server.ts run as a program, answering on its health URL
 * as the plan's backend does. recover-database stops and starts it around the cut-over, and
 * recover-application crashes and restarts it, through the shell commands below, as a deploy
 * over SSH would.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../harness/free-port.js';
import { node24Path } from '../../harness/node24.js';

const SERVER = fileURLToPath(new URL('../../harness/health-server.ts', import.meta.url));

export interface DrillApplication {
  url: string;
  /** host:port, recover-application's `confirm`. */
  host: string;
  pidFile: string;
  /**
   * Starts it in a session of its own and returns, as a service manager or `docker compose up -d`
   * would: recover-database stops whatever a command leaves behind in its process group.
   */
  startCommand: string;
  /** Stops it (SIGTERM) and returns once it is gone, as `docker compose stop` does. */
  stopCommand: string;
  /** Kills it (SIGKILL) and returns once it is gone: the crash of the plan's application-crash scenario. */
  crashCommand: string;
  dir: string;
}

const killCommand = (signal: string, pidFile: string) =>
  `sh -c 'pid=$(cat ${pidFile}); kill -${signal} $pid; while kill -0 $pid 2> /dev/null; do sleep 0.05; done'`;

/** Starts the application and resolves once it listens. */
export async function startApplication(): Promise<DrillApplication> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-drill-app-'));
  const port = await freePort();
  const pidFile = join(dir, 'app.pid');
  const child = spawn(node24Path(), [SERVER, String(port), pidFile], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the application exited with ${code} before listening`)));
    child.stdout.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  child.stdout.destroy();
  child.unref();
  return {
    url: `http://127.0.0.1:${port}/api/v1/health/`,
    host: `127.0.0.1:${port}`,
    pidFile,
    startCommand: `sh -c 'setsid -f ${node24Path()} ${SERVER} ${port} ${pidFile} > /dev/null 2>&1'`,
    stopCommand: killCommand('TERM', pidFile),
    crashCommand: killCommand('KILL', pidFile),
    dir,
  };
}

/** Its process, whichever command started it last; undefined once it is gone. */
export async function applicationPid(app: DrillApplication): Promise<number | undefined> {
  const pid = Number(await readFile(app.pidFile, 'utf8').catch(() => ''));
  if (!pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Ends the application, whichever command started it last. */
export async function stopApplication(app: DrillApplication): Promise<void> {
  const pid = await applicationPid(app);
  if (pid) process.kill(pid, 'SIGKILL');
  await rm(app.dir, { recursive: true, force: true });
}
