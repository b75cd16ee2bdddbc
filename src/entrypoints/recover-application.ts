import { run } from '../actions/recover-application.js';

await run();
