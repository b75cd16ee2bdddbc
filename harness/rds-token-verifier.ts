import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verifies an RDS IAM database authentication token as RDS does before it lets a user in: the token
 * is a SigV4 presigned URL `host:port/?Action=connect&DBUser=...&X-Amz-...` for the service
 * `rds-db`. Written from the SigV4 specification, not from the SDK that signs, so that a token
 * the SDK gets wrong is refused here too.
 */

export interface TokenCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface TokenExpectation {
  /** host:port the client connected to, as RDS knows its own endpoint. */
  endpoint: string;
  /** The user of the startup message. */
  user: string;
  region: string;
  credentials: TokenCredentials;
  now: Date;
}

export type TokenVerdict = { valid: true } | { valid: false; reason: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'rds-db';
const EMPTY_PAYLOAD_SHA256 = createHash('sha256').update('').digest('hex');
/** RDS refuses tokens signed for longer than 15 minutes, and tokens dated in the future beyond a small skew. */
const MAX_EXPIRES_SECONDS = 900;
const CLOCK_SKEW_MS = 5 * 60_000;

/** RFC 3986 encoding, as SigV4's canonical query string wants it. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseAmzDate(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function expectedSignature(
  endpoint: string,
  params: [string, string][],
  amzDate: string,
  scope: string,
  secret: string,
): string {
  const [shortDate, region] = scope.split('/') as [string, string];
  const query = params
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = ['GET', '/', query, `host:${endpoint}`, '', 'host', EMPTY_PAYLOAD_SHA256].join('\n');
  const stringToSign = [
    ALGORITHM,
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  const key = ['aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(hmac(`AWS4${secret}`, shortDate), region), SERVICE),
  );
  return hmac(key, stringToSign).toString('hex');
}

function checkClaims(params: Map<string, string>, expected: TokenExpectation, host: string): string | undefined {
  if (host !== expected.endpoint) return `signed for ${host}, not ${expected.endpoint}`;
  if (params.get('Action') !== 'connect') return 'Action is not connect';
  if (params.get('DBUser') !== expected.user) return `signed for user ${params.get('DBUser')}, not ${expected.user}`;
  if (params.get('X-Amz-Algorithm') !== ALGORITHM) return 'not signed with AWS4-HMAC-SHA256';
  if (params.get('X-Amz-SignedHeaders') !== 'host') return 'SignedHeaders is not host';
  const [accessKeyId, ...scope] = (params.get('X-Amz-Credential') ?? '').split('/');
  if (accessKeyId !== expected.credentials.accessKeyId) return 'signed with an unknown access key';
  const amzDate = params.get('X-Amz-Date') ?? '';
  if (scope.join('/') !== `${amzDate.slice(0, 8)}/${expected.region}/${SERVICE}/aws4_request`) {
    return `credential scope is not ${expected.region}/${SERVICE} on the token's date`;
  }
  const signedAt = parseAmzDate(amzDate);
  const expires = Number(params.get('X-Amz-Expires'));
  if (!signedAt || !Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_SECONDS) {
    return 'bad X-Amz-Date or X-Amz-Expires';
  }
  if (signedAt.getTime() - CLOCK_SKEW_MS > expected.now.getTime()) return 'signed in the future';
  if (signedAt.getTime() + expires * 1000 < expected.now.getTime()) return 'expired';
  return undefined;
}

export function verifyRdsToken(token: string, expected: TokenExpectation): TokenVerdict {
  const slash = token.indexOf('/?');
  if (slash < 0) return { valid: false, reason: 'not a presigned URL' };
  const host = token.slice(0, slash);
  const params = [...new URLSearchParams(token.slice(slash + 2))];
  const byName = new Map(params);
  if (byName.size !== params.length) return { valid: false, reason: 'a parameter given twice' };
  const wrong = checkClaims(byName, expected, host);
  if (wrong) return { valid: false, reason: wrong };
  const amzDate = byName.get('X-Amz-Date') as string;
  const scope = (byName.get('X-Amz-Credential') as string).split('/').slice(1).join('/');
  const want = Buffer.from(expectedSignature(host, params, amzDate, scope, expected.credentials.secretAccessKey));
  const got = Buffer.from(byName.get('X-Amz-Signature') ?? '');
  if (got.length !== want.length || !timingSafeEqual(got, want))
    return { valid: false, reason: 'signature does not match' };
  return { valid: true };
}
