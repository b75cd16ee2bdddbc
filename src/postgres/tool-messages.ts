/**
 * A parallel pg_restore's workers share one stderr, and each writes a message in pieces ("pg_restore:",
 * " ", "error: ", then the text and its newline), so two workers' messages arrive run together:
 * `pg_restore:pg_restore: error: error: could not read ...` and a bare `could not read ...` on the
 * next line. This takes them apart again: one message a line, each with its program and level.
 */

const LEVELS = ['error', 'warning', 'detail', 'hint'];

interface Message {
  level?: string;
  text: string;
}

/** Strips the pieces every message starts with, however many are run together; returns the rest and the levels seen. */
function stripHeads(line: string, program: string): { rest: string; levels: string[]; stripped: boolean } {
  const head = `${program}:`;
  const levels: string[] = [];
  let rest = line;
  let stripped = false;
  for (;;) {
    const trimmed = rest.replace(/^ +/, '');
    const level = LEVELS.find((l) => trimmed.startsWith(`${l}: `));
    if (trimmed.startsWith(head)) rest = trimmed.slice(head.length);
    else if (level) {
      levels.push(level);
      rest = trimmed.slice(level.length + 2);
    } else return { rest: stripped ? trimmed : rest, levels, stripped };
    stripped = true;
  }
}

/**
 * The messages in `stderr`, one a line as `<program>: <level>: <text>`, in the order their texts
 * came, the first error first, each once. A line with no heads of its own continues the message
 * before it (pg_restore's "Command was: ..."), unless a level is waiting for its text.
 */
export function untangleMessages(stderr: string, program: string): string[] {
  const messages: Message[] = [];
  const waiting: string[] = [];
  for (const line of stderr.split('\n')) {
    const { rest, levels, stripped } = stripHeads(line, program);
    waiting.push(...levels);
    if (!rest.trim()) continue;
    const last = messages[messages.length - 1];
    if (!stripped && waiting.length === 0 && last) last.text += `\n${rest}`;
    else messages.push({ level: waiting.shift(), text: rest });
  }
  const lines = messages.map((m) => `${program}: ${m.level ? `${m.level}: ` : ''}${m.text}`);
  const unique = [...new Set(lines)];
  const firstError = unique.findIndex((line) => line.startsWith(`${program}: error: `));
  return firstError > 0 ? [unique[firstError] as string, ...unique.filter((_, i) => i !== firstError)] : unique;
}
