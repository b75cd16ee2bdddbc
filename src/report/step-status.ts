/** How a step, or a row of the plan's checklist, ended. Shared by the report and its checklist. */
export type StepStatus = 'passed' | 'failed' | 'skipped';
