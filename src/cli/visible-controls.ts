/**
 * A control character a terminal acts on instead of showing: ESC starts sequences that move the
 * cursor, clear the screen, hide text, retitle the window or write the clipboard (OSC 52); a
 * carriage return or a backspace overwrites what the line said. Tabs and line ends stay.
 */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
}

/**
 * Text for a terminal with each control character shown as \xNN: what the command line prints
 * comes from the database (table and role names), S3 (keys) and the smoke command, so a name can
 * never rewrite what an engineer reads during an incident.
 */
export function visibleControls(text: string): string {
  let shown = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    shown += isControl(code) ? `\\x${code.toString(16).padStart(2, '0')}` : char;
  }
  return shown;
}
