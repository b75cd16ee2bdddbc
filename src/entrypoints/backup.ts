import { run } from '../actions/backup.js';

await run();
