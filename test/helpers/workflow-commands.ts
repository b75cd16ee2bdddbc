/**
 * The workflow commands the runner would obey in a step's output, as it reads them: a line that
 * starts with `::` once trimmed, except between `::stop-commands::TOKEN` and `::TOKEN::`.
 */
export function obeyedCommands(stdout: string): string[] {
  const obeyed: string[] = [];
  let stoppedUntil: string | undefined;
  for (const line of stdout.split('\n').map((text) => text.trim())) {
    if (!line.startsWith('::')) continue;
    if (stoppedUntil !== undefined) {
      if (line === stoppedUntil) stoppedUntil = undefined;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) stoppedUntil = `::${stop[1]}::`;
    else obeyed.push(line);
  }
  return obeyed;
}

/** The line `core.setSecret(value)` prints: the runner decodes `%25`, `%0D` and `%0A` back before masking. */
export function maskCommand(value: string): string {
  return `::add-mask::${value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}`;
}
