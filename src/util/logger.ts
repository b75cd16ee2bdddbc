/** What domain code may say while it works; the actions route it to @actions/core, tests silence it. */
export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

/** How often a long transfer (the dump's upload, the backup's download) says how far it got. */
export const PROGRESS_EVERY_MS = 30_000;

export const silentLogger: Logger = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined,
};
