/** The plan's own numbers (DISASTER-RECOVERY-PLAN.md) that the audit holds the settings to. */
export const PLAN = {
  /** "Point-in-Time Recovery: Enabled (up to 7 days)" */
  pitrDays: 7,
  /** "Keep versions for 90 days / Delete old versions after 90 days" */
  noncurrentVersionDays: 90,
} as const;

/** Sentences of the plan, quoted by the checks that keep them true. */
export const SENTENCE = {
  pitr: 'Point-in-Time Recovery: Enabled (up to 7 days)',
  rpo: 'Recovery Point Objective: Maximum 1 hour of data loss',
  databaseReplication: 'Database: Continuous replication + hourly snapshots',
  crossRegionReplica: 'Database replication: Cross-region read replica',
  promote: 'Promote Read Replica: aws rds promote-read-replica --region us-west-2',
  regionalOutage: 'Regional outage: RTO 8 hours',
  enableVersioning: 'Media Files Backup: Enable versioning',
  realTimeReplication: 'Media Files: Real-time S3 replication',
  crossRegionReplication: 'S3 Cross-Region Replication',
  keepVersions: 'Lifecycle Policy: Keep versions for 90 days',
  deleteOldVersions: 'Lifecycle Policy: Delete old versions after 90 days',
  dailyBackups: 'Automated Daily Backups (runs daily at 2 AM UTC) to s3://saas-backups/database/',
  identifyLatestBackup:
    'Complete Database Recovery: 1. Identify latest backup (aws s3 ls s3://saas-backups/database/ | tail -5)',
  restoreFromBackup: 'Complete Database Recovery: 5. Restore from backup',
  retention: 'Retention Policy: daily 30 days, weekly 90 days, monthly 1 year',
  updateDns: 'Update DNS: Update Route53 to point to secondary region',
  verifyFailover: 'Verify Failover: Check application health',
  redis: 'Application State: Redis persistence enabled',
} as const;
