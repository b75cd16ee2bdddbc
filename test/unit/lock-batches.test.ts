import { describe, expect, test } from '@jest/globals';
import { packBatches } from '../../src/postgres/snapshot-counts.js';

describe('batches of tables to count within a lock budget', () => {
  const tables = (...locks: number[]) => locks.map((n, i) => ({ id: i, locks: n }));
  const ids = (batches: { id: number }[][]) => batches.map((batch) => batch.map((t) => t.id));

  test('consecutive tables fill a batch up to the budget, never past it', () => {
    expect(ids(packBatches(tables(2, 2, 2, 2, 2), 4))).toEqual([[0, 1], [2, 3], [4]]);
    expect(ids(packBatches(tables(1, 3, 1, 1, 2), 4))).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
  });

  test('a table with more indexes than the budget is counted alone', () => {
    expect(ids(packBatches(tables(1, 9, 1), 4))).toEqual([[0], [1], [2]]);
  });

  test('no tables, no batches', () => {
    expect(packBatches([], 56)).toEqual([]);
  });
});
