import { describe, expect, test } from '@jest/globals';
import { PR_BODY_LIMIT, pullRequestBody, truncateMarkdown } from '../../src/drill-report/pr-body.js';

const URL = 'https://github.com/acme/shop/blob/dr-drill/2026-01-01-1/docs/dr-drills/2026-01-01-1.md';

describe('pull request body', () => {
  test('a report that fits is the body unchanged', () => {
    const markdown = `# x\n${'a'.repeat(PR_BODY_LIMIT - 10)}`;
    expect(pullRequestBody(markdown, URL)).toBe(markdown);
  });

  test('a longer one is cut at a line, under the limit, ending with the link to the whole file', () => {
    const markdown = Array.from({ length: 5000 }, (_, i) => `| row ${i} | ${'x'.repeat(20)} |`).join('\n');
    const body = pullRequestBody(markdown, URL);
    expect(body.length).toBeLessThanOrEqual(PR_BODY_LIMIT);
    expect(body.length).toBeGreaterThan(PR_BODY_LIMIT - 200);
    const kept = body.slice(0, body.indexOf('\n\n---\n'));
    expect(markdown.startsWith(`${kept}\n`)).toBe(true);
    expect(body.endsWith(`[2026-01-01-1.md](${URL})\n`)).toBe(true);
  });

  test('a cut inside a code fence or <details> blocks closes them, so the notice renders as text', () => {
    const markdown = `<details><summary>s</summary>\n\n\`\`\`mermaid\n${'line\n'.repeat(200)}\`\`\`\n\n</details>\n`;
    const body = truncateMarkdown(markdown, URL, 500);
    expect(body.length).toBeLessThanOrEqual(500);
    const head = body.slice(0, body.indexOf('\n\n---\n'));
    expect((head.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect(head.match(/<\/details>/g)).toHaveLength(1);
  });
});
