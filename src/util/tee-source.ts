import type { Writable } from 'node:stream';
import type { ByteSource } from './byte-source.js';

/** A reader of a copy of the bytes: its input, and what settles once it reads no more (its process's exit). */
export interface TeeReader {
  input: Writable;
  done: Promise<unknown>;
}

export interface TeedSource extends ByteSource {
  /** Ends every reader's input, for a source that will not be read to its end (its upload failed). */
  release(): void;
}

/** One reader on its way: whether it still takes bytes, and the writes waiting for it to drain. */
class LiveReader {
  gone = false;
  private waiting: (() => void)[] = [];

  constructor(
    readonly input: Writable,
    done: Promise<unknown>,
  ) {
    const leave = () => this.leave();
    input.once('close', leave);
    // A reader that exited fails the next write with EPIPE: it is dropped, never the source.
    input.on('error', leave);
    input.on('drain', () => this.wake());
    done.then(leave, leave);
  }

  /** Writes a copy; resolves once the reader took it in (drained) or is gone. */
  write(copy: Buffer): Promise<void> | undefined {
    if (this.gone || this.input.destroyed || this.input.writableEnded) return undefined;
    if (this.input.write(copy)) return undefined;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  end(): void {
    if (!this.gone && !this.input.writableEnded) this.input.end();
    this.leave();
  }

  private leave(): void {
    this.gone = true;
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/**
 * The source's bytes, each read also written to every reader for as long as it takes them: a
 * reader that needs only the front of the stream (an archive's table of contents) exits, and from
 * then on costs the source nothing. The copies never pile up: a write the reader has not taken yet
 * holds the source back until it drains, or until the reader is gone, so a reader that stops never
 * stalls the source for good. The source's end, or its failure, ends the readers' inputs; nothing
 * a reader does fails the source.
 */
export function teedSource(source: ByteSource, readers: readonly TeeReader[]): TeedSource {
  const live = readers.map((reader) => new LiveReader(reader.input, reader.done));
  const release = () => {
    for (const reader of live) reader.end();
  };
  return {
    release,
    async read(into) {
      let read: number;
      try {
        read = await source.read(into);
      } catch (error) {
        release();
        throw error;
      }
      if (read === 0) release();
      else if (live.some((reader) => !reader.gone)) {
        const copy = Buffer.from(into.subarray(0, read));
        await Promise.all(live.map((reader) => reader.write(copy)));
      }
      return read;
    },
  };
}
