import { text } from '../report/markdown.js';
/** GitHub refuses a pull request body longer than this many characters. */
export const PR_BODY_LIMIT = 65_536;

/** GitHub shows at most 1 MiB of a step's job summary. */
export const SUMMARY_LIMIT = 1_000_000;

/**
 * Markdown that fits `limit`: whole when it fits, else cut at a line boundary with every open
 * code fence and <details> block closed, and a link to the full report. Counted in UTF-16
 * code units, which is never fewer than GitHub's characters.
 */
export function truncateMarkdown(markdown: string, fullReportUrl: string, limit: number): string {
  if (markdown.length <= limit) return markdown;
  const notice = `\n\n---\n**This report is too long to show here whole, so it is cut.** Read all of it: [${text(fullReportUrl.split('/').pop())}](${fullReportUrl})\n`;
  let budget = limit - notice.length;
  for (;;) {
    const body = `${closeOpenBlocks(markdown.slice(0, lineBoundary(markdown, budget)))}${notice}`;
    if (body.length <= limit) return body;
    budget -= body.length - limit;
  }
}

/** The report as a pull request body, linking to the full file on the branch when cut. */
export function pullRequestBody(markdown: string, fullReportUrl: string): string {
  return truncateMarkdown(markdown, fullReportUrl, PR_BODY_LIMIT);
}

function lineBoundary(text: string, max: number): number {
  const cut = text.lastIndexOf('\n', max);
  return cut > 0 ? cut : max;
}

/** Closes a code fence and <details> blocks the cut leaves open, so the rest of the page renders. */
function closeOpenBlocks(head: string): string {
  const closers: string[] = [];
  if ((head.match(/^```/gm) ?? []).length % 2 === 1) closers.push('```');
  const open = (head.match(/<details>/g) ?? []).length - (head.match(/<\/details>/g) ?? []).length;
  for (let i = 0; i < open; i += 1) closers.push('</details>');
  return closers.length ? `${head}\n${closers.join('\n\n')}` : head;
}
