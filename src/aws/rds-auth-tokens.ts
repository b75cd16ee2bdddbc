import { Signer } from '@aws-sdk/rds-signer';

export interface RdsAuthTokenOptions {
  /** The database instance's region: the token is signed for it. */
  region: string;
  /** Called with every token before it is used, to mask it wherever the step's output goes. */
  onToken(token: string): void;
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
        region: options.region,
      });
      const token = await signer.getAuthToken();
      options.onToken(token);
      return token;
    },
  };
}
