import { describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anchors, brokenLinks, documents } from './markdown.js';
import { root } from './sources.js';

const README_MAX_LINES = 200;

test(`README.md stays under ${README_MAX_LINES} lines: what a newcomer needs first; the rest belongs in docs/`, () => {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').trimEnd().split('\n').length;
  expect(lines).toBeLessThan(README_MAX_LINES);
});

test('the documents are the README, the guides in docs/ and each action README', () => {
  expect(documents()).toEqual(
    expect.arrayContaining([
      'README.md',
      'docs/adopting.md',
      'docs/architecture.md',
      'docs/benchmarks.md',
      'docs/developing.md',
      'docs/versions.md',
      'actions/backup/README.md',
    ]),
  );
});

describe.each(documents())('%s', (file) => {
  test('every relative link names a file that exists, and an anchor that its headings make', () => {
    expect(brokenLinks(file)).toEqual([]);
  });
});

describe('the link check finds what it is for (so its passing means something)', () => {
  test("headings get GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered", () => {
    const doc =
      '# Title\n## 1. Call the workflows\n### The plan\'s "Rebuild"\n```sh\n# not a heading\n```\n## `code`, and [a link](x.md)\n## Title\n';
    expect([...anchors(doc)]).toEqual([
      'title',
      '1-call-the-workflows',
      'the-plans-rebuild',
      'code-and-a-link',
      'title-1',
    ]);
  });

  test('a missing file, a missing anchor and a link out of the repository are named; good links, code and URLs pass', () => {
    const base = mkdtempSync(join(tmpdir(), 'links-'));
    try {
      mkdirSync(join(base, 'docs'));
      writeFileSync(join(base, 'docs', 'guide.md'), '# Guide\n## Step one\n');
      const readme = [
        '[guide](docs/guide.md), [step](docs/guide.md#step-one), [here](#readme), [folder](docs), [web](https://example.com/x#y)',
        '`[not a link](nowhere.md)`',
        '```md\n[in a block](nowhere.md)\n```',
        '[gone](docs/gone.md), [no anchor](docs/guide.md#step-two), [outside](../README.md), [no heading](#nothing)',
        '# Readme',
      ].join('\n');
      writeFileSync(join(base, 'README.md'), readme);
      expect(brokenLinks('README.md', base)).toEqual([
        'README.md: docs/gone.md',
        'README.md: docs/guide.md#step-two',
        'README.md: ../README.md',
        'README.md: #nothing',
      ]);
      writeFileSync(join(base, 'docs', 'back.md'), '[readme](../README.md#readme), [wrong](../README.md#guide)');
      expect(brokenLinks('docs/back.md', base)).toEqual(['docs/back.md: ../README.md#guide']);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
