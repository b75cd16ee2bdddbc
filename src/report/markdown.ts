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

/** `plain` applied to the parts of `text` that are not code spans (a run of backticks up to the next run as long). */
function outsideCodeSpans(text: string, plain: (part: string) => string): string {
  let shown = '';
  let rest = text;
  for (let open = /`+/.exec(rest); open; open = /`+/.exec(rest)) {
    const fence = open[0];
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

/** Text as inline code; a line ending, which would end a heading or a list item part way, shows as ↵. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(LINE_ENDING, '↵')}\``;
}

export const MARK = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;
