import { ConfigurationError } from '../errors.js';

const LABEL = /^(?:\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

/** Lower case with a trailing dot, as Route 53 returns names; Route 53 writes '*' as \052. */
export function canonicalDnsName(name: string): string {
  const text = name.trim().toLowerCase().replace(/\\052/g, '*');
  return text.endsWith('.') ? text : `${text}.`;
}

/** canonicalDnsName without the trailing dot: how names and record values read in outputs and tables. */
export function bareDnsName(name: string): string {
  return canonicalDnsName(name).slice(0, -1);
}

export function normalizeDnsName(input: string, inputName: string): string {
  const name = canonicalDnsName(input);
  const labels = name.slice(0, -1).split('.');
  if (name.length > 254 || labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
    throw new ConfigurationError(`${inputName} '${input.trim()}' is not a DNS name like db.example.com`);
  }
  return name;
}

export function sameDnsName(a: string, b: string): boolean {
  return canonicalDnsName(a) === canonicalDnsName(b);
}
