/** A line ending as markdown reads one: a carriage return alone ends a line too, and a table row with it. */
const LINE_ENDING = /\r\n|\r|\n/g;

/**
 * Text as a markdown table cell shows it, whatever it holds (a table, role or key name from the
 * database or S3): a pipe stays in its cell, a line ending becomes <br>, and outside code spans a `<`
 * that would open an HTML tag or comment (which could hide or fold the rest of the summary) is
 * shown as the character.
 */
export function cell(value: unknown): string {
  const text = String(value ?? '')
    .replace(/\|/g, '\\|')
    .replace(LINE_ENDING, '\n');
  return outsideCodeSpans(text, (plain) => plain.replace(/<(?=[A-Za-z/!?])/g, '&lt;')).replace(/\n/g, '<br>');
}

/** The first run of backticks in `text` from `from` that opens a code span: one a backslash does not escape. */
function openingRun(text: string, from: number): { index: number; fence: string } | undefined {
  const runs = /`+/g;
  runs.lastIndex = from;
  for (let run = runs.exec(text); run; run = runs.exec(text)) {
    const backslashes = /\\*$/.exec(text.slice(0, run.index))?.[0].length ?? 0;
    if (backslashes % 2 === 0) return { index: run.index, fence: run[0] };
    if (run[0].length > 1) return { index: run.index + 1, fence: run[0].slice(1) };
  }
  return undefined;
}

/** `plain` applied to the parts of `text` that are not code spans (an unescaped run of backticks up to the next run as long). */
function outsideCodeSpans(text: string, plain: (part: string) => string): string {
  let shown = '';
  let rest = text;
  for (let open = openingRun(rest, 0); open; open = openingRun(rest, 0)) {
    const { fence } = open;
    const after = rest.slice(open.index + fence.length);
    const close = new RegExp(`(?<!\`)${fence}(?!\`)`).exec(after);
    if (!close) {
      shown += plain(rest.slice(0, open.index)) + fence;
      rest = after;
      continue;
    }
    shown += plain(rest.slice(0, open.index)) + fence + after.slice(0, close.index + fence.length);
    rest = after.slice(close.index + fence.length);
  }
  return shown + plain(rest);
}

export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const head = `| ${headers.map(cell).join(' | ')} |`;
  const rule = `|${headers.map(() => '---').join('|')}|`;
  return [head, rule, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/** A folded block; GitHub renders markdown inside when blank lines surround it. */
export function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** Long tables fold so that the verdict stays on screen. */
export function foldIfLong(summary: string, body: string, rows: number, limit = 15): string {
  return rows > limit ? details(summary, body) : body;
}

/**
 * Text as inline code, shown exactly as written (a name from the database, S3 or a person): the fence
 * is one backtick longer than the longest run inside, padded with a space where the text begins or
 * ends with a backtick or with spaces (which a code span would strip). A line ending, which would end
 * a heading or a list item part way, shows as ↵.
 */
export function code(text: string): string {
  const line = text.replace(LINE_ENDING, '↵');
  const longest = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^`|`$/.test(line) || (/^ [\s\S]* $/.test(line) && line.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}

/**
 * Text from a database, S3 or a person (a name, or a message that holds one) as markdown shows it
 * literally: no emphasis, strike-through, link, code span, heading, list or HTML in it takes effect.
 * Markdown characters get a backslash (an underscore inside a word, which never emphasises, is left
 * as it is); `&`, `<` and `>` become entities, which a table cell keeps
 * as they are; a pipe is left to table cells (cell), the only place it means something. Line endings are left to the caller (a table cell turns them into <br>).
 */
export function text(value: unknown): string {
  return String(value ?? '')
    .replace(/[\\`*~[\]#]|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(
      /^(\s*)([-+]|\d+[.)])(?=\s|$)/gm,
      (_, space: string, marker: string) => `${space}${marker.slice(0, -1)}\\${marker.slice(-1)}`,
    );
}

/**
 * A message of the product's own that holds names (a finding, a next step): its own code spans (a
 * command to run) are kept, and the rest is shown literally, as text() shows it.
 */
export function prose(value: unknown): string {
  return outsideCodeSpans(String(value ?? ''), text);
}

/** A fenced code block that no line of `body` can close early: its fence is longer than any run of backticks in it. */
export function codeBlock(body: string, info = ''): string {
  const longest = Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${body}\n${fence}`;
}

export const MARK = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;
