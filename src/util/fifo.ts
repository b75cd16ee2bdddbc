import { execFile } from 'node:child_process';
import { childEnv } from './child-env.js';
import { closeSync, constants, openSync, read } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ByteSource } from './byte-source.js';

const run = promisify(execFile);
const readInto = promisify(read);

/**
 * A pipe a child process writes to as its stdout and this process reads with plain read(2) calls
 * into buffers it owns (a ByteSource), where a child's stdout stream would hand out a new buffer
 * per read. It is a FIFO that lives on disk only while both ends are opened: opening the read end
 * without blocking first lets the write end open at once, and the blocking read end then opens at
 * once because a writer exists, so no open waits on another thread.
 */
export class FifoPipe implements ByteSource {
  private reading: Promise<number> | undefined;
  private closed = false;

  private constructor(
    private readonly readEnd: number,
    private writeEnd: number | undefined,
  ) {}

  static async open(): Promise<FifoPipe> {
    const dir = await mkdtemp(join(tmpdir(), 'dr-actions-pipe-'));
    try {
      const path = join(dir, 'pipe');
      await run('mkfifo', ['-m', '600', path], { env: childEnv() });
      const probe = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const writeEnd = openSync(path, constants.O_WRONLY);
        return new FifoPipe(openSync(path, constants.O_RDONLY), writeEnd);
      } finally {
        closeSync(probe);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The descriptor to give the child as its stdout. */
  get childEnd(): number {
    if (this.writeEnd === undefined) throw new Error('the pipe was already handed to its writer');
    return this.writeEnd;
  }

  /** Once the child holds the write end: the reader sees the end of the data when the child exits. */
  releaseChildEnd(): void {
    if (this.writeEnd === undefined) return;
    closeSync(this.writeEnd);
    this.writeEnd = undefined;
  }

  read(into: Buffer): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the pipe is closed'));
    this.reading = readInto(this.readEnd, into, 0, into.length, null).then((result) => result.bytesRead);
    return this.reading;
  }

  /** Closes both ends once a read on its way has returned (a descriptor closed under a read could be reused). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.releaseChildEnd();
    await this.reading?.catch(() => undefined);
    closeSync(this.readEnd);
  }
}
