import { run } from '../actions/drill-report.js';

await run();
