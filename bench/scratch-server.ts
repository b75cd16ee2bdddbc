/**
 * The settings .github/workflows/restore-verify.yml gives its scratch server, for a server whose
 * data may be lost at any moment (docs/adopting.md, server settings for a restore, says what each costs):
 * nothing waits for the disk, no WAL beyond what crash recovery needs, no checkpoints forced by WAL
 * volume, and no autovacuum competing with the restore.
 */
export const SCRATCH_SERVER_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: '0',
  max_wal_size: "'8GB'",
  autovacuum: 'off',
};
