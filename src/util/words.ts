import { ConfigurationError } from '../errors.js';

/**
 * Splits a command line into words the way a user expects from a shell, without a shell:
 * whitespace separates words, single and double quotes group, backslash escapes the next
 * character outside single quotes. Nothing is expanded ($VAR, globs, ~ stay literal).
 */
export function splitWords(text: string, inputName: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else current += char;
    } else if (char === '\\') {
      const next = text[i + 1];
      if (next === undefined)
        throw new ConfigurationError(`${inputName} ends with a lone backslash; remove it or escape it as \\\\`);
      current += next;
      inWord = true;
      i += 1;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote) throw new ConfigurationError(`${inputName} has an unterminated ${quote} quote`);
  if (inWord) words.push(current);
  return words;
}
