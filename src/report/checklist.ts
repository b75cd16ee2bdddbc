import type { StepStatus } from './step-status.js';

/** The plan's Test Checklist (DISASTER-RECOVERY-PLAN.md, Testing Schedule), item by item. */
export const PLAN_CHECKLIST = {
  download: 'Download backup successfully',
  restore: 'Restore database from backup',
  applicationStarts: 'Application starts without errors',
  userLogin: 'User login works',
  payments: 'Payment processing works',
  criticalFeatures: 'All critical features functional',
  rto: 'Recovery time within RTO',
  rpo: 'Data loss within RPO',
  /** Not in the plan's list: the settings the plan assumes (dr-audit checks them). */
  prerequisites: 'Plan prerequisites in place',
} as const;

export type ChecklistKey = keyof typeof PLAN_CHECKLIST;

/** One row of the checklist as a run found it; drill-report merges these across reports. */
export interface ChecklistItem {
  key: ChecklistKey;
  item: string;
  status: StepStatus;
  detail?: string;
}

export function checklistItem(key: ChecklistKey, status: StepStatus, detail?: string): ChecklistItem {
  return { key, item: PLAN_CHECKLIST[key], status, ...(detail ? { detail } : {}) };
}
