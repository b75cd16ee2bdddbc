import { run } from '../actions/rds-restore-test.js';

await run();
