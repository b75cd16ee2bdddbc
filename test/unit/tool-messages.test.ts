import { describe, expect, test } from '@jest/globals';
import { untangleMessages } from '../../src/postgres/tool-messages.js';

/** How pg_restore (src/common/logging.c) writes one message: four writes to an unbuffered stderr. */
const pieces = (level: string, text: string) => ['pg_restore:', ' ', `${level}: `, `${text}\n`];

/** Every order in which two workers' writes can reach the shared pipe, each worker's own order kept. */
function interleavings(a: string[], b: string[]): string[] {
  if (a.length === 0) return [b.join('')];
  if (b.length === 0) return [a.join('')];
  return [
    ...interleavings(a.slice(1), b).map((rest) => `${a[0]}${rest}`),
    ...interleavings(a, b.slice(1)).map((rest) => `${b[0]}${rest}`),
  ];
}

describe("pg_restore's messages, taken apart again", () => {
  test('one message, as one process writes it', () => {
    expect(untangleMessages('pg_restore: error: could not read from input file: end of file\n', 'pg_restore')).toEqual([
      'pg_restore: error: could not read from input file: end of file',
    ]);
  });

  test("two workers' messages, however their writes are interleaved: each on its own line, whole", () => {
    const first = pieces('error', 'could not read from input file: end of file');
    const second = pieces('error', 'a worker process died unexpectedly');
    const orders = interleavings(first, second);
    expect(orders).toHaveLength(70);
    expect(orders).toContain(
      'pg_restore:pg_restore:  error: error: could not read from input file: end of file\na worker process died unexpectedly\n',
    );
    for (const stderr of orders) {
      const lines = untangleMessages(stderr, 'pg_restore');
      expect([...lines].sort()).toEqual([
        'pg_restore: error: a worker process died unexpectedly',
        'pg_restore: error: could not read from input file: end of file',
      ]);
    }
  });

  test('the first error comes first; a repeated message is shown once; a message of several lines stays whole', () => {
    const stderr = [
      'pg_restore: warning: archive was made on a newer version',
      'pg_restore: error: could not execute query: ERROR:  role "ghost" does not exist',
      'Command was: CREATE POLICY p ON public.t TO ghost;',
      'pg_restore: error: could not execute query: ERROR:  role "ghost" does not exist',
      'Command was: CREATE POLICY p ON public.t TO ghost;',
      '',
    ].join('\n');
    expect(untangleMessages(stderr, 'pg_restore')).toEqual([
      'pg_restore: error: could not execute query: ERROR:  role "ghost" does not exist\nCommand was: CREATE POLICY p ON public.t TO ghost;',
      'pg_restore: warning: archive was made on a newer version',
    ]);
  });
});
