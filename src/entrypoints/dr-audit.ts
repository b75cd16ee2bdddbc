import { run } from '../actions/dr-audit.js';

await run();
