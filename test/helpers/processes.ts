import { readFile } from 'node:fs/promises';

/** A process's state and parent from /proc/<pid>/stat; undefined once it is gone. */
async function stat(pid: number): Promise<{ state: string; parent: number } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // "pid (name) state ppid ...": the name may hold spaces and parentheses, so read after the last one.
  const [state, parent] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: state as string, parent: Number(parent) };
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
