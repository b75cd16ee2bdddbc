import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { readableSource, sourceReadable, type ByteSource } from '../../src/util/byte-source.js';
import { FifoPipe } from '../../src/util/fifo.js';

async function readAll(source: ByteSource, into: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let read = await source.read(into); read > 0; read = await source.read(into))
    parts.push(Buffer.from(into.subarray(0, read)));
  return Buffer.concat(parts);
}

test("a child's stdout arrives through the pipe into the reader's own buffer, and ends when the child exits", async () => {
  const pipe = await FifoPipe.open();
  const child = spawn('sh', ['-c', 'head -c 300000 /dev/zero | tr "\\0" x; printf end'], {
    stdio: ['ignore', pipe.childEnd, 'inherit'],
  });
  const exited = once(child, 'close');
  pipe.releaseChildEnd();
  const data = await readAll(pipe, Buffer.alloc(4096));
  await exited;
  await pipe.close();
  expect(data.length).toBe(300_003);
  expect(data.subarray(-3).toString()).toBe('end');
  expect(data.subarray(0, 300_000).every((byte) => byte === 'x'.charCodeAt(0))).toBe(true);
});

test('close waits for a read on its way, so a descriptor is never closed under it', async () => {
  const pipe = await FifoPipe.open();
  const child = spawn('sleep', ['60'], { stdio: ['ignore', pipe.childEnd, 'ignore'] });
  pipe.releaseChildEnd();
  const reading = pipe.read(Buffer.alloc(16));
  let closed = false;
  const closing = pipe.close().then(() => (closed = true));
  // The child holds the write end and writes nothing: neither the read nor the close can settle.
  await new Promise((resolve) => setImmediate(resolve));
  expect(closed).toBe(false);
  child.kill('SIGTERM');
  await expect(reading).resolves.toBe(0);
  await closing;
  await expect(pipe.read(Buffer.alloc(16))).rejects.toThrow('the pipe is closed');
});

test('a stream read as a ByteSource gives every byte, in order, into buffers smaller than its chunks', async () => {
  const chunks = [Buffer.from('abcdefghij'), Buffer.from('klm'), Buffer.from('nopqrstuvwxyz')];
  expect((await readAll(readableSource(Readable.from(chunks)), Buffer.alloc(4))).toString()).toBe(
    'abcdefghijklmnopqrstuvwxyz',
  );
});

test('a ByteSource read as a stream and back gives the same bytes', async () => {
  const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
  const source = readableSource(Readable.from([bytes.subarray(0, 70_000), bytes.subarray(70_000)]));
  expect((await readAll(readableSource(sourceReadable(source)), Buffer.alloc(10_000))).equals(bytes)).toBe(true);
});
