import { run } from '../actions/restore-verify.js';

await run();
