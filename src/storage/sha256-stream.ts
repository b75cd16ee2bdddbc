import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through unchanged while hashing (SHA-256) and counting them: the digest that a
 * backup's manifest records, taken on the way to S3 and checked again on the way back.
 */
export class Sha256Stream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  private digestHex: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digestHex = this.hash.digest('hex');
    callback();
  }

  /** The SHA-256 of everything that passed, once the stream ended. */
  get sha256(): string {
    if (!this.digestHex) throw new Error('the stream has not ended cleanly; there is no digest');
    return this.digestHex;
  }
}
