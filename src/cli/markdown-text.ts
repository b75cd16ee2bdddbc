/**
 * The job summary (GitHub-flavoured markdown) as terminal text: tables as aligned columns,
 * headings underlined, emphasis and HTML dropped, links as `text (url)`. What the summary says
 * is kept whole; only the markup goes.
 */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

/** A code span (any fence, a space stripped from each side when both have one) or a backslash escape: taken as written. */
const LITERAL = /\\([!-/:-@[-`{-~])|(?<!`)(`+)(?!`)([\s\S]*?[^`])\2(?!`)/g;

/** Marks a literal set aside while the markup around it goes (U+E000, private use: one in the summary itself is dropped first). */
const KEPT = '\uE000';
const KEPT_AGAIN = new RegExp(`${KEPT}(\\d+)${KEPT}`, 'g');

/** A code span's content as markdown shows it: one space stripped from each side when both have one. */
function codeContent(content: string): string {
  return /^ [\s\S]* $/.test(content) && content.trim() !== '' ? content.slice(1, -1) : content;
}

/** Inline markdown and HTML of one line or cell as plain text; code spans and escaped characters are kept as written. */
export function inlineText(text: string): string {
  const kept: string[] = [];
  const keep = (literal: string) => `${KEPT}${kept.push(literal) - 1}${KEPT}`;
  return text
    .replaceAll(KEPT, '')
    .replace(LITERAL, (_, escaped: string | undefined, _fence: string, content: string) =>
      keep(escaped ?? codeContent(content)),
    )
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<summary>(.*?)<\/summary>/gi, '$1:')
    .replace(/<\/?[a-z][^>]*>/gi, '')
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, (_, label: string, url: string) => (label === url ? url : `${label} (${url})`))
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/(^|[\s(])_([^_]+)_(?=$|[\s).,:;])/g, '$1$2')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name] ?? '')
    .replace(KEPT_AGAIN, (_, index: string) => kept[Number(index)] ?? '');
}

/** A table row's cells: split on pipes that are not escaped (`\|`). */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  // As GitHub's table parser does, an escaped pipe is a pipe before the cell is read, in code spans too.
  return inner.split(/(?<!\\)\|/).map((cell) => inlineText(cell.trim().replace(/\\\|/g, '|')));
}

const isSeparator = (line: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);

/** A markdown table as columns padded to their widest cell; a cell of several lines keeps them. A header of empty cells is left out. */
function tableText(table: string[][]): string[] {
  const headed = table[0]?.some((cell) => cell !== '') ?? false;
  const rows = headed ? table : table.slice(1);
  const columns = Math.max(...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(...rows.flatMap((row) => (row[c] ?? '').split('\n').map((part) => part.length))),
  );
  const lines: string[] = [];
  rows.forEach((row, index) => {
    const height = Math.max(...row.map((cell) => cell.split('\n').length));
    for (let l = 0; l < height; l += 1) {
      lines.push(
        widths
          .map((width, c) => (row[c] ?? '').split('\n')[l]?.padEnd(width) ?? ' '.repeat(width))
          .join('  ')
          .trimEnd(),
      );
    }
    if (index === 0 && headed) lines.push(widths.map((width) => '-'.repeat(width)).join('  '));
  });
  return lines;
}

function headingText(level: number, title: string): string[] {
  const text = inlineText(title);
  if (level <= 2) return [text, (level === 1 ? '=' : '-').repeat(text.length)];
  return [text];
}

/** The summary as terminal text. */
export function markdownToText(markdown: string): string {
  const lines = markdown.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) out.push(...headingText((heading[1] as string).length, heading[2] as string));
    else if (line.trim().startsWith('|') && isSeparator(lines[i + 1] ?? '')) {
      const rows = [cells(line)];
      for (i += 2; i < lines.length && (lines[i] as string).trim().startsWith('|'); i += 1)
        rows.push(cells(lines[i] as string));
      i -= 1;
      out.push(...tableText(rows));
    } else if (/^```/.test(line.trim())) continue;
    else out.push(...inlineText(line).split('\n'));
  }
  return out
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
