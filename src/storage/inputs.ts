import { ConfigurationError } from '../errors.js';

/** S3's bucket naming rules (general purpose buckets), checked before any call. */
export function parseBucket(input: string, inputName = 'bucket'): string {
  const bucket = input.trim();
  if (!bucket) throw new ConfigurationError(`${inputName} is required: the S3 bucket that holds the backups`);
  const problems: string[] = [];
  if (bucket.length < 3 || bucket.length > 63) problems.push('be 3 to 63 characters long');
  if (!/^[a-z0-9.-]+$/.test(bucket)) problems.push('use only lowercase letters, digits, dots and hyphens');
  if (!/^[a-z0-9]/.test(bucket) || !/[a-z0-9]$/.test(bucket)) problems.push('begin and end with a letter or digit');
  if (bucket.includes('..')) problems.push('not contain two dots in a row');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) problems.push('not look like an IP address');
  if (problems.length)
    throw new ConfigurationError(
      `${inputName} '${bucket}' is not a valid S3 bucket name: it must ${problems.join(', ')}`,
    );
  return bucket;
}

/**
 * Characters AWS lists as ones to avoid in object key names (besides the backslash and ASCII's
 * control characters, refused on their own, and the non-printable C1 controls U+0080 to U+009F),
 * as they need special handling in URLs, XML or tools:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
 */
const AVOIDED_IN_KEYS = ['{', '}', '^', '%', '`', '[', ']', '"', "'", '<', '>', '~', '#', '|'];

/** A folder-like key prefix: empty, or ending in '/'; never starting with '/'. */
export function parsePrefix(input: string, inputName = 'prefix'): string {
  const prefix = input.trim();
  if (prefix === '') return '';
  if (prefix.startsWith('/'))
    throw new ConfigurationError(
      `${inputName} '${prefix}' must not start with '/': S3 keys have no leading slash; use '${prefix.replace(/^\/+/, '')}'`,
    );
  if (!prefix.endsWith('/'))
    throw new ConfigurationError(`${inputName} '${prefix}' must end with '/', e.g. '${prefix}/'`);
  if (prefix.includes('//')) throw new ConfigurationError(`${inputName} '${prefix}' has an empty folder ('//')`);
  const hasControl = [...prefix].some((char) => char.charCodeAt(0) < 0x20 || char === '\u007f' || char === '\\');
  if (hasControl) throw new ConfigurationError(`${inputName} must not contain control characters or backslashes`);
  const dotSegment = prefix.split('/').find((segment) => segment === '.' || segment === '..');
  if (dotSegment !== undefined) {
    throw new ConfigurationError(
      `${inputName} '${prefix}' has a '${dotSegment}' folder: S3 stores it literally, while the console and sync tools resolve it; write the folders out, e.g. '${prefix
        .split('/')
        .filter((s) => s !== '.' && s !== '..')
        .join('/')}'`,
    );
  }
  const avoided = [
    ...new Set(
      [...prefix].filter(
        (char) => AVOIDED_IN_KEYS.includes(char) || (char.charCodeAt(0) >= 0x80 && char.charCodeAt(0) <= 0x9f),
      ),
    ),
  ];
  if (avoided.length) {
    throw new ConfigurationError(
      `${inputName} '${prefix}' contains ${avoided.map((c) => JSON.stringify(c)).join(', ')}, which AWS lists as characters to avoid in key names; remove them from the prefix`,
    );
  }
  if (Buffer.byteLength(prefix) > 900)
    throw new ConfigurationError(`${inputName} is too long: S3 keys are at most 1,024 bytes`);
  return prefix;
}
