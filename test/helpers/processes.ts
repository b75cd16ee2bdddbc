import { readdir, readFile } from 'node:fs/promises';

/** A process's state and parent from /proc/<pid>/stat; undefined once it is gone. */
async function stat(pid: number): Promise<{ name: string; state: string; parent: number } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // "pid (name) state ppid ...": the name may hold spaces and parentheses, so read around the last one.
  const end = text.lastIndexOf(')');
  const [state, parent] = text.slice(end + 2).split(' ');
  return { name: text.slice(text.indexOf('(') + 1, end), state: state as string, parent: Number(parent) };
}

/** Whether the process still runs: a zombie waiting for its parent to reap it has ended. */
export async function processRunning(pid: number): Promise<boolean> {
  const found = await stat(pid);
  return found !== undefined && found.state !== 'Z' && found.state !== 'X';
}

/** The process's parent. */
export async function parentOf(pid: number): Promise<number> {
  const found = await stat(pid);
  if (!found) throw new Error(`process ${pid} is not running`);
  return found.parent;
}

/** The running children of a process that have the given name (as /proc/<pid>/comm holds it). */
export async function childrenNamed(parent: number, name: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry)).map(Number);
  const found = await Promise.all(pids.map(async (pid) => ({ pid, stat: await stat(pid) })));
  return found
    .filter(({ stat }) => stat?.parent === parent && stat.name === name && stat.state !== 'Z')
    .map(({ pid }) => pid);
}
