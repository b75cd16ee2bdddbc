/** How the command line shows an action's output and summary: the runner's reading of workflow commands, as plain text. */
import { describe, expect, jest, test } from '@jest/globals';
import { processTerminal } from '../../src/cli/main.js';
import { markdownToText } from '../../src/cli/markdown-text.js';
import { WorkflowCommandRenderer } from '../../src/cli/workflow-commands.js';

const shown = (renderer: WorkflowCommandRenderer, lines: string[]) =>
  lines
    .map((line) => renderer.line(line))
    .filter((line) => line !== undefined)
    .map((line) => `${line.stream}: ${line.text}`);

describe('workflow commands as terminal text', () => {
  test('a masked value stays masked in every later line, in commands and plain lines alike; a multi-line secret line by line', () => {
    const renderer = new WorkflowCommandRenderer(false);
    expect(
      shown(renderer, [
        'connecting with hunter2',
        '::add-mask::hunter2',
        'connecting with hunter2',
        '::error::password hunter2 refused',
        '::add-mask::first%0Asecond',
        'here are second and first',
      ]),
    ).toEqual([
      'stdout: connecting with hunter2',
      'stdout: connecting with ***',
      'stderr: Error: password *** refused',
      'stdout: here are *** and ***',
    ]);
  });

  test('annotations become words with their title and place; escapes are undone; outputs and state are not shown', () => {
    const renderer = new WorkflowCommandRenderer(false);
    expect(
      shown(renderer, [
        '::warning title=Retention,file=a.sql,line=3::kept 7%25 of%0Athe backups',
        '::notice::done',
        '::group::Dump',
        '::endgroup::',
        '::set-output name=x::1',
        '::save-state name=x::1',
        '::debug::peak RSS 1 KiB',
      ]),
    ).toEqual([
      'stderr: Warning: Retention: kept 7% of\nthe backups (a.sql:3)',
      'stdout: Notice: done',
      'stdout: == Dump',
    ]);
    expect(shown(new WorkflowCommandRenderer(true), ['::debug::peak RSS 1 KiB'])).toEqual([
      'stdout: Debug: peak RSS 1 KiB',
    ]);
  });

  test('between stop-commands and its token, lines are shown as they are and never obeyed (no mask added), but masks still apply', () => {
    const renderer = new WorkflowCommandRenderer(false);
    expect(
      shown(renderer, [
        '::add-mask::s3cr3t',
        '::stop-commands::tok',
        '::add-mask::visible',
        '::error::from a table name s3cr3t',
        '::tok::',
        'visible',
        '::error::real',
      ]),
    ).toEqual([
      'stdout: ::add-mask::visible',
      'stdout: ::error::from a table name ***',
      'stdout: visible',
      'stderr: Error: real',
    ]);
  });
});

describe('the summary as terminal text', () => {
  test('tables become aligned columns; headings, emphasis, code, links, escapes and HTML lose their markup', () => {
    const markdown = [
      '## Backup **passed**',
      '',
      '| step | took | note |',
      '|---|---|---|',
      '| `dump` | 1 s | a \\| b<br>second line |',
      '| upload | 12 s | [run](https://example.com/1) |',
      '',
      '<details><summary>Tables (2)</summary>',
      '',
      '- _public.users_: 5 &amp; more',
      '',
      '| | |',
      '|---|---|',
      '| Database | `vis` |',
      '',
      '</details>',
    ].join('\n');
    expect(markdownToText(markdown)).toBe(
      [
        'Backup passed',
        '-------------',
        '',
        'step    took  note',
        '------  ----  ---------------------------',
        'dump    1 s   a | b',
        '              second line',
        'upload  12 s  run (https://example.com/1)',
        '',
        'Tables (2):',
        '',
        '- public.users: 5 & more',
        '',
        'Database  vis',
      ].join('\n'),
    );
  });
});

test('a name that holds terminal control sequences is printed with each control character visible, never acted on', () => {
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    processTerminal.stdout(
      'verify: public."\u001b]52;c;cm0gLXJmIC8=\u0007orders\u001b[2J" has 3 rows\tequal\rall good\u0085\u007f\n',
    );
  } finally {
    write.mockRestore();
  }
  expect(written.join('')).toBe(
    'verify: public."\\x1b]52;c;cm0gLXJmIC8=\\x07orders\\x1b[2J" has 3 rows\tequal\\x0dall good\\x85\\x7f\n',
  );
});
