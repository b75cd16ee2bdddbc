import { run } from '../actions/failover.js';

await run();
