import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandGlobs } from '../../src/util/glob.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dr-glob-'));
  for (const file of [
    'a.json',
    'b.txt',
    'reports/x/restore.json',
    'reports/y/z/failover.json',
    'reports/old-1.json',
    'reports/.hidden.json',
  ]) {
    await mkdir(join(root, file, '..'), { recursive: true });
    await writeFile(join(root, file), '{}');
  }
  await symlink(root, join(root, 'reports', 'loop'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const rel = (files: string[]) => files.map((f) => f.slice(root.length + 1));

describe('expandGlobs', () => {
  test('** spans any number of folders, none included; symbolic links to folders are not followed', async () => {
    expect(rel(await expandGlobs(['reports/**/*.json'], root))).toEqual([
      'reports/.hidden.json',
      'reports/old-1.json',
      'reports/x/restore.json',
      'reports/y/z/failover.json',
    ]);
    expect(rel(await expandGlobs(['**/failover.json'], root))).toEqual(['reports/y/z/failover.json']);
    expect(rel(await expandGlobs(['reports/**'], root))).toHaveLength(4);
  });

  test('* and ? stay within one folder; a literal path matches only that file', async () => {
    expect(rel(await expandGlobs(['*.json'], root))).toEqual(['a.json']);
    expect(rel(await expandGlobs(['reports/?/*.json'], root))).toEqual(['reports/x/restore.json']);
    expect(rel(await expandGlobs(['b.txt', 'missing.json', 'reports'], root))).toEqual(['b.txt']);
  });

  test('! excludes, several patterns merge without duplicates, absolute patterns work', async () => {
    expect(
      rel(await expandGlobs(['reports/**/*.json', '!reports/old-*.json', '!**/.*', `${root}/reports/x/*.json`], root)),
    ).toEqual(['reports/x/restore.json', 'reports/y/z/failover.json']);
  });

  test('.. in a relative pattern climbs from cwd; a cwd with glob characters in its name is taken literally; a link to a file is a file', async () => {
    const odd = join(root, 'odd [x] *?');
    await mkdir(join(odd, 'x'), { recursive: true });
    await writeFile(join(odd, 'x', 'in-odd.json'), '{}');
    await writeFile(join(odd, 'x.json'), '{}');
    await symlink(join(root, 'a.json'), join(odd, 'linked.json'));
    expect(rel(await expandGlobs(['*.json', '../a.json'], odd))).toEqual([
      'a.json',
      'odd [x] *?/linked.json',
      'odd [x] *?/x.json',
    ]);
    expect(rel(await expandGlobs(['../x/*.json'], join(root, 'reports', 'y')))).toEqual(['reports/x/restore.json']);
    await rm(odd, { recursive: true });
  });

  test('a folder that does not exist matches nothing', async () => {
    expect(await expandGlobs(['nowhere/**/*.json'], root)).toEqual([]);
  });
});
