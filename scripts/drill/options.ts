import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface DrillOptions {
  /** The sample database's size in megabytes. */
  sizeMb: number;
  /** Leave the servers running when the drill ends, to look around. */
  keep: boolean;
  /** Print one JSON verdict instead of the running commentary. */
  json: boolean;
  /** Where the reports, job summaries and the drill report go (emptied first). */
  outDir: string;
  /** The application role's password, from APP_DB_PASSWORD as a secret would give it, never printed. */
  appPassword: string;
}

/** `npm run drill -- [--size MB] [--keep] [--json] [--out DIR]`; throws, saying what to change, on a bad option. */
export function parseDrillOptions(argv: string[], env: NodeJS.ProcessEnv): DrillOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: '50' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      out: { type: 'string', default: 'drill-output' },
    },
  });
  const sizeMb = Number(values.size);
  if (!Number.isFinite(sizeMb) || sizeMb < 1) throw new Error('--size must be a number of megabytes, 1 or more');
  return {
    sizeMb,
    keep: values.keep,
    json: values.json,
    outDir: resolve(values.out),
    appPassword: env.APP_DB_PASSWORD || randomBytes(18).toString('base64url'),
  };
}
