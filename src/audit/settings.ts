import type { RetentionPolicy } from '../retention/retention.js';
import type { FailOn } from './check.js';
import type { SkipList } from './skip.js';

export interface DatabaseSettings {
  instanceId: string;
  replicaId: string;
}
export interface MediaSettings {
  bucket: string;
  replicaBucket: string;
  /** '' for the whole bucket. */
  prefixes: string[];
  deleteMarkers: 'enabled' | 'disabled';
}
export interface BackupSettings {
  bucket: string;
  prefix: string;
  maxAgeSeconds: number;
  /** Versioning is checked when asked for, and always with Object Lock (which needs it). */
  versioning: boolean;
  objectLock: boolean;
  replicaBucket?: string;
  /** The backup action's `retention` and `min-keep`: what the backups are judged by. */
  retention: RetentionPolicy | 'off';
  minKeep: number;
}
export interface DnsSettings {
  hostedZoneId: string;
  recordName: string;
  maxTtlSeconds: number;
  healthCheckDomain?: string;
}
export interface CacheSettings {
  replicationGroupId: string;
}

/** What the audit checks. An area is absent when `skip` skips every check of it. */
export interface AuditSettings {
  primaryRegion: string;
  secondaryRegion: string;
  endpointUrl?: string;
  database?: DatabaseSettings;
  media?: MediaSettings;
  backup?: BackupSettings;
  dns?: DnsSettings;
  cache?: CacheSettings;
  rpoSeconds: number;
  rtoSeconds: number;
  skip: SkipList;
  failOn: FailOn;
  reportPath: string;
}
