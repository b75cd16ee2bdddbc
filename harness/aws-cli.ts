import { execa } from 'execa';
import { stackFromEnv } from './stack.js';

/** The aws CLI against the stack's moto server: the reference client for the plan's manual procedures. */
export async function awsCli(args: string[]): Promise<string> {
  const { stdout } = await execa(
    'aws',
    ['--endpoint-url', stackFromEnv().awsEndpoint, '--region', 'us-east-1', ...args],
    {
      env: { AWS_PAGER: '' },
    },
  );
  return stdout;
}
