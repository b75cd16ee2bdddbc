import { Signer } from '@aws-sdk/rds-signer';
import type { DatabaseTarget } from '../postgres/connection.js';
import { parseDatabaseAuth, withDatabaseAuth, type DatabaseAuth } from '../postgres/database-auth.js';

/** Called with every token before it is used, to mask it wherever the step's output goes. */
export type TokenMask = (token: string) => void;

export const ignoreTokens: TokenMask = () => undefined;

export interface RdsAuthTokenOptions {
  /** The region a token is signed for when the host is not an RDS endpoint that names its own (a CNAME). */
  region: string;
  onToken: TokenMask;
}

/** `<id>.<hash>.<region>.rds.amazonaws.com`, proxies and China's partition alike. */
const RDS_ENDPOINT_REGION = /\.([a-z]{2}(?:-[a-z]+)+-\d+)\.rds\.amazonaws\.com(?:\.cn)?$/i;

/** The region an RDS endpoint names (a token signed for another region is refused), else `fallback`. */
export function tokenRegion(host: string, fallback: string): string {
  return RDS_ENDPOINT_REGION.exec(host)?.[1]?.toLowerCase() ?? fallback;
}

/**
 * IAM database authentication tokens for RDS, one per call: a SigV4-signed `rds-db:connect` for the
 * host, port and user, valid 15 minutes, signed locally with the job's own credentials (the SDK's
 * chain: environment, web identity, profile, instance role), without a call to AWS.
 */
export function rdsAuthTokens(options: RdsAuthTokenOptions) {
  return {
    async token(endpoint: { host: string; port: number; user: string }): Promise<string> {
      const signer = new Signer({
        hostname: endpoint.host,
        port: endpoint.port,
        username: endpoint.user,
        region: tokenRegion(endpoint.host, options.region),
      });
      const token = await signer.getAuthToken();
      options.onToken(token);
      return token;
    },
  };
}

/**
 * The database-auth input as one action applies it to its database URLs: each target that
 * `databaseTarget` is given signs in as database-auth says (see withDatabaseAuth).
 */
export function databaseAuthFor(authInput: string, region: string, onToken: TokenMask) {
  const auth: DatabaseAuth = parseDatabaseAuth(authInput);
  const tokens = () => rdsAuthTokens({ region, onToken });
  return {
    auth,
    apply: (target: DatabaseTarget, inputName: string, env: NodeJS.ProcessEnv = process.env): DatabaseTarget =>
      withDatabaseAuth(target, auth, tokens, inputName, env),
  };
}
