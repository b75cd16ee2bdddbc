/** Escapes text for a markdown table cell. */
export function cell(value: unknown): string {
  return String(value ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
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

export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

export const MARK = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;
