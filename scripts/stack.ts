/**
 * `npm run stack`: starts the test stack and keeps it running until Ctrl-C, printing the
 * variables that let `npm test`, the aws CLI and psql reach it from another shell.
 */
import { startStack } from '../harness/stack.js';

const stack = await startStack();
const exports = Object.entries(stack.env).map(([name, value]) => `export ${name}='${value}'`);
process.stdout.write(`${exports.join('\n')}\n`);
process.stdout.write(
  `# psql: PGPASSWORD='${stack.postgres.password}' psql -h 127.0.0.1 -p ${stack.postgres.port} -U ${stack.postgres.user}\n`,
);
process.stdout.write(`# aws:  aws --endpoint-url ${stack.awsEndpoint} s3 ls\n# Ctrl-C stops the stack.\n`);
const stop = async () => {
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
setInterval(() => undefined, 1 << 30);
