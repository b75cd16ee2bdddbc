import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The text of every source file an action's entry point reaches through relative imports. */
export function actionSources(action: string): string {
  return sourcesFrom(join('src', 'actions', `${action}.ts`));
}

/** The text of every source file `entry` (relative to the root) reaches through relative imports. */
export function sourcesFrom(entry: string): string {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)\.js'/g))
      visit(resolve(dirname(file), `${match[1]}.ts`));
  };
  visit(join(root, entry));
  return [...seen].map((file) => readFileSync(file, 'utf8')).join('\n');
}
