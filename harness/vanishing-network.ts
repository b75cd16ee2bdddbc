import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

/**
 * A network on which a client can vanish as a lost machine does (power off, cable cut): the server
 * and the client each in a network namespace of their own, joined by a veth pair. cut() takes the
 * client's address away: what the server sends it still leaves and arrives, and is dropped there
 * unanswered, so the server sees no FIN, no RST and no ACK, only silence. Loopback cannot show this:
 * a peer's kernel answers keepalive probes for as long as its socket is open.
 *
 * The namespaces live as long as the process that holds each (and what was started in them), so
 * nothing is left on the machine's own network. Making them needs root: as another user, through
 * `sudo -n` (as on CI runners), with the commands run in them switched back to that user.
 */
export interface VanishingNetwork {
  /** The server's address: where a server started in `inServerNetwork` listens. */
  serverAddress: string;
  /** The client's address, as the server sees it (pg_hba, pg_stat_activity.client_addr). */
  clientAddress: string;
  /** The argv prefix that runs a command in the server's namespace, as the current user. */
  inServerNetwork: string[];
  /** An executable that runs `file` with its arguments in the client's namespace, as the current user. */
  clientCommand(file: string): Promise<string>;
  /** The client's address goes: from now on the server's packets to it are lost. */
  cut(): Promise<void>;
  stop(): Promise<void>;
}

const SERVER = { device: 'dr-server', address: '10.255.0.1' };
const CLIENT = { device: 'dr-client', address: '10.255.0.2' };
const PREFIX = 30;

const isRoot = (): boolean => process.getuid?.() === 0;

/** A command as root: itself when root runs the tests, else through `sudo -n` with the environment kept. */
function privileged(argv: string[]): string[] {
  return isRoot() ? argv : ['sudo', '-n', '--preserve-env', ...argv];
}

function run(argv: string[]): ResultPromise<{ buffer: true }> {
  const [file = '', ...args] = argv;
  return execa(file, args, { buffer: true });
}

interface Namespace {
  pid: number;
  holder: ResultPromise;
  /** The argv prefix that runs a command in it: as root, or (`asUser`) as the current user. */
  enter(asUser?: boolean): string[];
}

/** A new network namespace with its loopback up, held by a sleeping process until stop(). */
async function newNamespace(): Promise<Namespace> {
  const [file = '', ...args] = privileged([
    'unshare',
    '--net',
    'sh',
    '-c',
    'ip link set lo up && echo $$ && exec sleep 2147483647',
  ]);
  const holder = execa(file, args, { buffer: false, stdout: 'pipe', stderr: 'pipe', reject: false });
  const pid = await new Promise<number>((resolve, reject) => {
    let text = '';
    holder.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(Number(text.trim()));
    });
    void holder.then((result) => reject(new Error(`could not make a network namespace (${String(result.exitCode)})`)));
  });
  const user = isRoot() ? [] : [`--setuid=${String(process.getuid?.())}`, `--setgid=${String(process.getgid?.())}`];
  return {
    pid,
    holder,
    enter: (asUser = false) => privileged(['nsenter', `--net=/proc/${pid}/ns/net`, ...(asUser ? user : [])]),
  };
}

/** Joins the two namespaces: a veth pair, an address at each end, and the client's link address known for good. */
async function joinNamespaces(server: Namespace, client: Namespace): Promise<void> {
  const inServer = server.enter();
  const inClient = client.enter();
  await run([
    ...inServer,
    'ip',
    'link',
    'add',
    SERVER.device,
    'type',
    'veth',
    'peer',
    'name',
    CLIENT.device,
    'netns',
    String(client.pid),
  ]);
  await run([...inServer, 'ip', 'addr', 'add', `${SERVER.address}/${PREFIX}`, 'dev', SERVER.device]);
  await run([...inServer, 'ip', 'link', 'set', SERVER.device, 'up']);
  await run([...inClient, 'ip', 'addr', 'add', `${CLIENT.address}/${PREFIX}`, 'dev', CLIENT.device]);
  await run([...inClient, 'ip', 'link', 'set', CLIENT.device, 'up']);
  // A permanent neighbour entry: once the client is gone the server still sends to it, as to a
  // machine whose ARP entry is still fresh, instead of failing at once for want of an answer.
  const shown = await run([...inClient, 'ip', '-br', 'link', 'show', CLIENT.device]);
  const mac = shown.stdout.trim().split(/\s+/)[2] ?? '';
  await run([
    ...inServer,
    'ip',
    'neigh',
    'replace',
    CLIENT.address,
    'lladdr',
    mac,
    'dev',
    SERVER.device,
    'nud',
    'permanent',
  ]);
}

export async function startVanishingNetwork(): Promise<VanishingNetwork> {
  const server = await newNamespace();
  const client = await newNamespace().catch(async (error: unknown) => {
    server.holder.kill();
    throw error;
  });
  const scripts = await mkdtemp(join(tmpdir(), 'dr-actions-netns-'));
  const stop = async () => {
    server.holder.kill();
    client.holder.kill();
    await Promise.all([server.holder, client.holder]);
    await rm(scripts, { recursive: true, force: true });
  };
  try {
    await joinNamespaces(server, client);
  } catch (error) {
    await stop();
    throw error;
  }
  let count = 0;
  return {
    serverAddress: SERVER.address,
    clientAddress: CLIENT.address,
    inServerNetwork: server.enter(true),
    clientCommand: async (file) => {
      count += 1;
      const script = join(scripts, `client-${String(count)}`);
      const argv = [...client.enter(true), file].map((word) => `'${word.replace(/'/g, `'\\''`)}'`);
      await writeFile(script, `#!/bin/sh\nexec ${argv.join(' ')} "$@"\n`);
      await chmod(script, 0o755);
      return script;
    },
    cut: async () => {
      await run([...client.enter(), 'ip', 'addr', 'del', `${CLIENT.address}/${PREFIX}`, 'dev', CLIENT.device]);
    },
    stop,
  };
}
