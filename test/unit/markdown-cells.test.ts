import { code, table } from '../../src/report/markdown.js';

/** Lines as markdown reads them: a carriage return alone ends one too. */
const lines = (markdown: string) => markdown.split(/\r\n|\r|\n/);

/** A row's cells as GitHub's table parser splits them: at every `|` not right after a backslash. */
const cellsOf = (row: string) =>
  row
    .trim()
    .slice(1, -1)
    .split(/(?<!\\)\|/);

/** The parts of markdown outside code spans (a run of backticks up to the next run as long). */
const outsideCode = (markdown: string) => markdown.replace(/(`+)[\s\S]*?(?<!`)\1(?!`)/g, '');

const hostileNames = [
  'public."cr\r::warning::cr"',
  'public."line\n::error::forged"',
  '"s|x"."t\\|1"',
  'public."<!-- hides the rest"',
  'public."</details><details open><summary>approve</summary>"',
  'public."<img src=https://example.com/pixel>"',
  'public."a `<b>` code span"',
  'public." lead and trail "',
  'public."ünïcödé_表"',
];

test('a table of names from the database keeps one line and two cells a row, and opens no HTML outside code', () => {
  const markdown = table(
    ['table', 'rows'],
    hostileNames.map((name, rows) => [name, rows]),
  );
  const rows = lines(markdown);
  expect(rows).toHaveLength(2 + hostileNames.length);
  for (const row of rows.slice(2)) expect(cellsOf(row)).toHaveLength(2);
  expect(outsideCode(markdown).replace(/<br>/g, '')).not.toMatch(/<[A-Za-z/!?]/);
  expect(markdown).toContain('`<b>`');
});

test('a table keeps the text a person wrote, placeholders and code included', () => {
  const markdown = table(['fix'], [['tag it with Value=<source ARN>'], ['`aws s3 ls <bucket>`']]);
  expect(markdown).toContain('| tag it with Value=&lt;source ARN> |');
  expect(markdown).toContain('| `aws s3 ls <bucket>` |');
});

test('inline code keeps a heading or a list item on its line whatever the name holds', () => {
  expect(lines(`## Backup of ${code('db\r\n## forged\rx')}`)).toHaveLength(1);
});
