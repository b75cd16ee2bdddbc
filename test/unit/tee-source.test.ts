import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { expect, test } from '@jest/globals';
import { readableSource, type ByteSource } from '../../src/util/byte-source.js';
import { teedSource, type TeeReader } from '../../src/util/tee-source.js';
import { waitUntil } from '../../harness/wait.js';

/**
 * The upload reads the dump through a tee into the table-of-contents readers: they get every byte
 * for as long as they read, a reader that exits early costs the upload nothing, and one that stops
 * reading holds the upload back (so copies never pile up in memory) only until it is gone.
 */

const MiB = 1024 * 1024;

/** `bytes` bytes, a counter pattern, in chunks of 64 KiB. */
function pattern(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 1) data[i] = i % 251;
  return data;
}

function sourceOf(data: Buffer): ByteSource {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 64 * 1024) chunks.push(data.subarray(at, at + 64 * 1024));
  return readableSource(Readable.from(chunks));
}

async function readAll(source: ByteSource, into = Buffer.alloc(100_000)): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let read = await source.read(into); read > 0; read = await source.read(into))
    parts.push(Buffer.from(into.subarray(0, read)));
  return Buffer.concat(parts);
}

/** A child process reading its stdin with `command`, what it printed, and its exit. */
function childReader(command: string): TeeReader & { stdout: Promise<string>; pid: number } {
  const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exit = once(child, 'close');
  return { input: child.stdin, done: exit, stdout: exit.then(() => stdout), pid: child.pid as number };
}

test('the source reads unchanged, and a reader that reads to the end gets every byte', async () => {
  const data = pattern(5 * MiB + 123);
  const reader = childReader('sha256sum');
  const teed = teedSource(sourceOf(data), [reader]);
  expect((await readAll(teed)).equals(data)).toBe(true);
  const { createHash } = await import('node:crypto');
  expect((await reader.stdout).split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
});

test('a reader that exits after the first bytes neither stalls nor fails the source', async () => {
  const data = pattern(20 * MiB);
  const early = childReader('head -c 1000 | wc -c');
  const whole = childReader('wc -c');
  const teed = teedSource(sourceOf(data), [early, whole]);
  expect((await readAll(teed)).equals(data)).toBe(true);
  expect((await early.stdout).trim()).toBe('1000');
  expect((await whole.stdout).trim()).toBe(String(data.length));
});

test('a reader that stops reading holds the source back with bounded memory, and releases it when it exits', async () => {
  const data = pattern(20 * MiB);
  // Reads nothing until it is killed.
  const stalled = childReader('exec sleep 600');
  const input = stalled.input as Writable;
  let delivered = 0;
  const teed = teedSource(sourceOf(data), [stalled]);
  let finished = false;
  const reading = (async () => {
    const into = Buffer.alloc(64 * 1024);
    const parts: Buffer[] = [];
    for (let read = await teed.read(into); read > 0; read = await teed.read(into)) {
      delivered += read;
      parts.push(Buffer.from(into.subarray(0, read)));
    }
    finished = true;
    return Buffer.concat(parts);
  })();
  // The reader's pipe is full and its stream past its high-water mark: nothing drains it any more.
  await waitUntil("the stalled reader's input needs a drain", () => input.writableNeedDrain);
  const heldAt = delivered;
  expect(finished).toBe(false);
  expect(heldAt).toBeLessThan(MiB);
  // What waits for the reader is at most one copy beyond its stream's high-water mark, not the source.
  expect(input.writableLength).toBeLessThanOrEqual(input.writableHighWaterMark + 64 * 1024);
  process.kill(stalled.pid, 'SIGKILL');
  expect((await reading).equals(data)).toBe(true);
});

test('a source that fails ends the readers, which then exit, and the failure reaches the upload', async () => {
  const failing: ByteSource = {
    read: () => Promise.reject(new Error('pg_dump was killed')),
  };
  const reader = childReader('wc -c');
  await expect(teedSource(failing, [reader]).read(Buffer.alloc(16))).rejects.toThrow('pg_dump was killed');
  expect((await reader.stdout).trim()).toBe('0');
});

test('release ends the readers of a source that will not be read to its end', async () => {
  const reader = childReader('wc -c');
  const teed = teedSource(sourceOf(pattern(1000)), [reader]);
  expect(await teed.read(Buffer.alloc(600))).toBe(600);
  teed.release();
  expect((await reader.stdout).trim()).toBe('600');
});
