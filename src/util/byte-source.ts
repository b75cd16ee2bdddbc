import { Readable } from 'node:stream';

/**
 * Bytes pulled into buffers the reader owns. A stream hands out a new buffer for every read, and
 * V8 frees those only once about 64 MiB of them have piled up; a reader that fills its own buffers
 * (a multipart upload's parts) allocates nothing per read, so its memory does not grow with the data.
 */
export interface ByteSource {
  /** Fills the start of `into` with the next bytes and says how many; 0 only at the end. */
  read(into: Buffer): Promise<number>;
}

/** A stream read as a ByteSource: its chunks are copied out, for sources that allocate anyway (zlib). */
export function readableSource(stream: Readable): ByteSource {
  const chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let rest: Buffer = Buffer.alloc(0);
  return {
    async read(into) {
      while (rest.length === 0) {
        const next = await chunks.next();
        if (next.done) return 0;
        rest = next.value;
      }
      const copied = rest.copy(into);
      rest = rest.subarray(copied);
      return copied;
    },
  };
}

const CHUNK_BYTES = 64 * 1024;

/** A ByteSource as a stream, for a transform that only takes streams (zlib); each chunk is a new buffer. */
export function sourceReadable(source: ByteSource): Readable {
  return Readable.from(
    (async function* chunks() {
      for (;;) {
        const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
        const read = await source.read(chunk);
        if (read === 0) return;
        yield chunk.subarray(0, read);
      }
    })(),
    { objectMode: false },
  );
}
