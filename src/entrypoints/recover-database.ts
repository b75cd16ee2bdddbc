import { run } from '../actions/recover-database.js';

await run();
