import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { ByteSource } from '../util/byte-source.js';

/**
 * The SHA-256 and length of bytes on their way: the digest that a backup's manifest records,
 * taken on the way to S3 and checked again on the way back.
 */
export class Sha256Tally {
  private readonly hash = createHash('sha256');
  bytes = 0;
  private digestHex: string | undefined;

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  finish(): void {
    this.digestHex ??= this.hash.digest('hex');
  }

  /** The SHA-256 of everything that passed, once the bytes ended cleanly. */
  get sha256(): string {
    if (!this.digestHex) throw new Error('the bytes have not ended cleanly; there is no digest');
    return this.digestHex;
  }
}

/** A ByteSource whose bytes are tallied as they are read; the digest is taken at its end. */
export function hashedSource(source: ByteSource, tally: Sha256Tally): ByteSource {
  return {
    async read(into) {
      const read = await source.read(into);
      if (read === 0) tally.finish();
      else tally.update(into.subarray(0, read));
      return read;
    },
  };
}

/** Passes bytes through unchanged while tallying them. */
export class Sha256Stream extends Transform {
  private readonly tally = new Sha256Tally();

  get bytes(): number {
    return this.tally.bytes;
  }

  get sha256(): string {
    return this.tally.sha256;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.tally.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.tally.finish();
    callback();
  }
}
