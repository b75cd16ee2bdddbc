import type { AwsSettings } from '../aws/settings.js';
import type { AuditSettings } from './settings.js';

/** What every area's checks need: the settings, both regions' AWS settings, and the clock. */
export interface AuditContext {
  settings: AuditSettings;
  primary: AwsSettings;
  secondary: AwsSettings;
  now: Date;
}

export function secondsSince(time: Date, now: Date): number {
  return Math.max(0, Math.round((now.getTime() - time.getTime()) / 1000));
}
