import { ConfigurationError } from '../errors.js';

/** Reads one action input (the empty string when unset); actions pass core.getInput, tests a record. */
export type InputReader = (name: string) => string;

export function parseBoolean(input: string, name: string, fallback: boolean): boolean {
  const text = input.trim();
  if (text === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  throw new ConfigurationError(`${name} must be true or false, got '${text}'`);
}

export function parseInteger(
  input: string,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const text = input.trim();
  if (text === '') return fallback;
  if (!/^-?\d+$/.test(text)) throw new ConfigurationError(`${name} must be a whole number, got '${text}'`);
  const value = Number(text);
  if (value < min) throw new ConfigurationError(`${name} must be at least ${min}, got ${value}`);
  if (value > max) throw new ConfigurationError(`${name} must be at most ${max}, got ${value}`);
  return value;
}

export function parseChoice<T extends string>(input: string, name: string, choices: readonly T[], fallback: T): T {
  const text = input.trim();
  if (text === '') return fallback;
  const match = choices.find((choice) => choice.toLowerCase() === text.toLowerCase());
  if (!match) throw new ConfigurationError(`${name} must be one of ${choices.join(', ')}, got '${text}'`);
  return match;
}
