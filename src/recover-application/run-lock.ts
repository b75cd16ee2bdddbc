import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';

interface Holder {
  pid: number;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(file: string): Promise<Holder | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' ? { pid: holder.pid, startedAt: String(holder.startedAt) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One execute per application at a time on this machine (the workflow's concurrency group does
 * this on GitHub; two people on one bastion or CloudShell, or a retry while the first run still
 * waits, need it here): a lock file in the temporary folder holding the run's pid, written whole
 * and then linked into place so no reader sees it half written. A lock whose process has ended
 * (killed with SIGKILL, the machine rebooted) is taken over. Returns the release.
 */
export async function lockApplication(application: string, now: Date, dir = tmpdir()): Promise<() => Promise<void>> {
  const file = join(dir, `dr-actions-recover-application-${application.replace(/[^A-Za-z0-9.-]/g, '_')}.lock`);
  const mine = `${file}.${process.pid}`;
  await writeFile(mine, JSON.stringify({ pid: process.pid, startedAt: now.toISOString() } satisfies Holder));
  try {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await link(mine, file);
        return () => rm(file, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await holderOf(file);
      if (holder && alive(holder.pid))
        throw new ConfigurationError(
          `another recover-application execute for ${application} is running (pid ${holder.pid}, since ${holder.startedAt}), so nothing was run: wait for it to end, or stop it (kill ${holder.pid}, which cancels it cleanly) and run again`,
        );
      await rm(file, { force: true });
    }
    throw new ConfigurationError(
      `another recover-application execute for ${application} took the lock ${file} at the same moment, so nothing was run: run again once it ended`,
    );
  } finally {
    await rm(mine, { force: true });
  }
}
