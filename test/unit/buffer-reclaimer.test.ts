import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runInNewContext } from 'node:vm';
import { BufferReclaimer, minorGarbageCollector, optedInCollector } from '../../src/util/buffer-reclaimer.js';

describe('buffer reclaimer', () => {
  test('collects once per threshold of bytes and passes every chunk on unchanged', async () => {
    let collections = 0;
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(300, i));
    const received: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      new BufferReclaimer(1000, () => collections++),
      new Writable({ write: (chunk: Buffer, _encoding, done) => (received.push(chunk), done()) }),
    );
    // 3,000 bytes at 1,000 per collection: after the 4th, 8th chunk (1,200 bytes each time).
    expect(collections).toBe(2);
    expect(Buffer.concat(received)).toEqual(Buffer.concat(chunks));
  });

  test("reaches V8's minor collection without leaving --expose-gc set for code that runs later", () => {
    const collect = minorGarbageCollector();
    expect(collect).toBeInstanceOf(Function);
    expect(() => collect?.()).not.toThrow();
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });

  test('is opt-in: without DR_ACTIONS_RECLAIM_BUFFERS=true no collector is taken', () => {
    expect(optedInCollector({})).toBeNull();
    expect(optedInCollector({ DR_ACTIONS_RECLAIM_BUFFERS: '1' })).toBeNull();
    expect(optedInCollector({ DR_ACTIONS_RECLAIM_BUFFERS: 'true' })).toBeInstanceOf(Function);
  });
});
