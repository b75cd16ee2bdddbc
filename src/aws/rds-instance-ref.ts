import { ConfigurationError } from '../errors.js';

/** An RDS DB instance named by identifier and region, with its ARN when known. */
export interface InstanceRef {
  id: string;
  region: string;
  arn?: string;
}

const IDENTIFIER = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-)){0,62}$/;
const ARN = /^arn:(aws[a-z-]*):rds:([a-z0-9-]+):(\d{12}):db:([a-zA-Z][a-zA-Z0-9-]*)$/;

export function isInstanceArn(text: string): boolean {
  return ARN.test(text);
}

/** RDS's identifier rules: 1 to 63 letters, digits or hyphens, starting with a letter, no '--', no trailing '-'. */
export function parseIdentifier(input: string, inputName: string): string {
  const text = input.trim();
  if (!text)
    throw new ConfigurationError(`${inputName} is required: the DB instance identifier, e.g. saas-production-replica`);
  if (isInstanceArn(text)) {
    throw new ConfigurationError(
      `${inputName} takes the DB instance identifier, not its ARN; use '${text.split(':').pop() ?? ''}'`,
    );
  }
  if (!IDENTIFIER.test(text) || text.endsWith('-')) {
    throw new ConfigurationError(
      `${inputName} '${text}' is not a DB instance identifier: 1 to 63 letters, digits or hyphens, starting with a letter, without '--' or a trailing '-'`,
    );
  }
  // RDS stores identifiers in lower case and matches them without regard to case.
  return text.toLowerCase();
}

/** An identifier in `defaultRegion`, or an ARN that names its own region. */
export function parseInstanceRef(text: string, defaultRegion: string): InstanceRef {
  const match = ARN.exec(text);
  if (match) return { id: (match[4] as string).toLowerCase(), region: match[2] as string, arn: text };
  return { id: text.toLowerCase(), region: defaultRegion };
}

/** The ARN of `ref`, in the partition and account of a sibling instance's ARN. */
export function arnFor(ref: InstanceRef, siblingArn: string | undefined): string | undefined {
  if (ref.arn) return ref.arn;
  const match = siblingArn ? ARN.exec(siblingArn) : null;
  if (!match) return undefined;
  return `arn:${match[1]}:rds:${ref.region}:${match[3]}:db:${ref.id}`;
}

export function sameInstance(a: InstanceRef, b: InstanceRef): boolean {
  return a.id === b.id && a.region === b.region;
}

export function describeRef(ref: InstanceRef): string {
  return `${ref.id} (${ref.region})`;
}
