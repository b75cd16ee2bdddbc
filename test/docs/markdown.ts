import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { root } from './sources.js';

/** The project's documents, relative to the root: the README, the guides in docs/, each action's README. */
export function documents(): string[] {
  const guides = readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`);
  const actions = readdirSync(join(root, 'actions'))
    .filter((name) => existsSync(join(root, 'actions', name, 'README.md')))
    .map((name) => `actions/${name}/README.md`);
  return ['README.md', ...guides.sort(), ...actions.sort()];
}

const FENCE = /^( *)```([a-z]*)\n([\s\S]*?)^\1```$/gm;

/** The fenced code blocks written in `language`, each without the indentation of a list item it sits in. */
export function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(FENCE)]
    .filter((block) => block[2] === language)
    .map((block) => {
      const indent = (block[1] as string).length;
      return (block[3] as string)
        .split('\n')
        .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
        .join('\n');
    });
}

/** The text outside fenced code blocks and inline code, where links and headings are. */
function prose(markdown: string): string {
  return markdown.replace(FENCE, '').replace(/`[^`\n]*`/g, (code) => code.replace(/[[\]()#]/g, ''));
}

/** The anchors GitHub gives the headings of a document: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const heading of markdown.replace(FENCE, '').matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const text = (heading[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Each relative link of `file` (relative to `base`) whose file, or whose anchor in a markdown file, does not exist. */
export function brokenLinks(file: string, base = root): string[] {
  const text = readFileSync(join(base, file), 'utf8');
  const targets = [...prose(text).matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((link) => link[1] as string);
  return targets
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .filter((target) => {
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const resolved = path === '' ? join(base, file) : join(base, dirname(file), decodeURIComponent(path));
      if (!resolved.startsWith(base) || !existsSync(resolved)) return true;
      if (anchor === undefined) return false;
      return (
        !statSync(resolved).isFile() ||
        !resolved.endsWith('.md') ||
        !anchors(readFileSync(resolved, 'utf8')).has(anchor)
      );
    })
    .map((target) => `${file}: ${target}`);
}
