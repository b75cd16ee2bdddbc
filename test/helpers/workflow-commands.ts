/** Whitespace as .NET's TrimStart sees it: JavaScript's, and U+0085 (NEXT LINE). */
const trimmed = (line: string) => line.replace(/^[\s\u0085]+|[\s\u0085]+$/g, '');

/**
 * The workflow commands the runner would obey in a step's output, as it reads them: lines end at
 * \r or \n; a line that starts with `::` once trimmed, or holds the older `##[name]` form anywhere
 * (read here as `::name::` after it), except between `::stop-commands::TOKEN` and `::TOKEN::`.
 */
export function obeyedCommands(stdout: string): string[] {
  const obeyed: string[] = [];
  let stoppedUntil: string | undefined;
  for (const text of stdout.split(/\r\n|\r|\n/).map(trimmed)) {
    const older = /##\[([^\]\s]+)[^\]]*\](.*)$/.exec(text);
    const line = !text.startsWith('::') && older ? `::${older[1]}::${older[2]}` : text;
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
