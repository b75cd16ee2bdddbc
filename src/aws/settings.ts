import { ConfigurationError } from '../errors.js';

/** Where AWS (or an S3-compatible service) is reached. */
export interface AwsSettings {
  region: string;
  /** MinIO, R2, moto: path-style addressing is used when set. */
  endpointUrl?: string;
  /** How long S3 may keep a request waiting; the defaults (s3-timeouts.ts) unless a test injects short ones. */
  s3Timeouts?: S3Timeouts;
}

/** Limits on an S3 connection that has stopped answering; none limits how long a request may take as a whole. */
export interface S3Timeouts {
  /** A TCP connection to S3 must be established within this. */
  connectMs: number;
  /** Nothing sent or received on a connection for this long, before or during the response: S3 has stopped answering. */
  idleMs: number;
}

export function parseRegion(input: string, env: NodeJS.ProcessEnv, inputName = 'region'): string {
  const region = input.trim() || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new ConfigurationError(`${inputName} '${region}' is not an AWS region name like us-east-1`);
  }
  return region;
}

export function parseEndpointUrl(input: string, inputName = 'endpoint-url'): string | undefined {
  const text = input.trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError(
      `${inputName} '${text}' is not a URL; expected e.g. https://s3.example.com or http://127.0.0.1:9000`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(`${inputName} must be an http:// or https:// URL, got '${text}'`);
  }
  if (url.username || url.password) {
    throw new ConfigurationError(
      `${inputName} must not hold credentials; pass them as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or through OIDC`,
    );
  }
  return text.replace(/\/+$/, '');
}
