import { parseEndpointUrl, parseRegion } from '../aws/settings.js';
import { ConfigurationError } from '../errors.js';
import { parseReportPath } from '../report/report-path.js';
import { parseMinKeep, parseRetention } from '../retention/retention.js';
import { parseBucket, parsePrefix } from '../storage/inputs.js';
import { parseBoolean, parseChoice, parseInteger, type InputReader } from '../util/inputs.js';
import { ALL_CHECKS } from './catalog.js';
import { SEVERITIES, type AuditArea } from './check.js';
import type { AuditSettings, BackupSettings, DnsSettings, MediaSettings } from './settings.js';
import { areaSkipped, parseSkip } from './skip.js';

export const DEFAULT_REPORT_PATH = 'dr-audit-report.json';

function required(raw: string, name: string, area: AuditArea | undefined, what: string): string {
  const value = raw.trim();
  const hint = area ? `. A team without it skips the area with skip: '${area}: why it does not apply'` : '';
  if (!value) throw new ConfigurationError(`${name} is required: ${what}${hint}`);
  return value;
}

function rdsId(value: string, name: string): string {
  if (!/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/.test(value) || value.endsWith('-') || value.includes('--')) {
    throw new ConfigurationError(
      `${name} '${value}' is not an RDS instance identifier (a letter, then letters, digits and single hyphens, at most 63)`,
    );
  }
  return value;
}

function list(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseMedia(input: InputReader): MediaSettings {
  const prefixes = list(input('media-prefixes')).map((p) => parsePrefix(p, 'media-prefixes'));
  return {
    bucket: parseBucket(
      required(input('media-bucket'), 'media-bucket', 'media', 'the S3 bucket of the media files'),
      'media-bucket',
    ),
    replicaBucket: parseBucket(
      required(
        input('media-replica-bucket'),
        'media-replica-bucket',
        'media',
        'the bucket in secondary-region that media-bucket replicates to',
      ),
      'media-replica-bucket',
    ),
    prefixes: prefixes.length ? prefixes : [''],
    deleteMarkers: parseChoice(
      input('media-delete-marker-replication'),
      'media-delete-marker-replication',
      ['enabled', 'disabled'] as const,
      'enabled',
    ),
  };
}

function parseBackup(input: InputReader): BackupSettings {
  const replica = input('backup-replica-bucket').trim();
  const objectLock = parseBoolean(input('backup-object-lock'), 'backup-object-lock', false);
  return {
    bucket: parseBucket(
      required(input('backup-bucket'), 'backup-bucket', 'backup', 'the S3 bucket the backup action writes to'),
      'backup-bucket',
    ),
    prefix: parsePrefix(input('backup-prefix').trim() || 'database/', 'backup-prefix'),
    maxAgeSeconds: parseInteger(input('backup-max-age-seconds'), 'backup-max-age-seconds', 93_600, 60),
    versioning: parseBoolean(input('backup-versioning'), 'backup-versioning', false) || objectLock,
    objectLock,
    ...(replica ? { replicaBucket: parseBucket(replica, 'backup-replica-bucket') } : {}),
    retention: parseRetention(input('backup-retention'), 'backup-retention'),
    minKeep: parseMinKeep(input('backup-min-keep'), 'backup-min-keep'),
  };
}

function parseDns(input: InputReader): DnsSettings {
  const zone = required(
    input('hosted-zone-id'),
    'hosted-zone-id',
    'dns',
    'the Route 53 zone of the record failover moves',
  ).replace(/^\/?hostedzone\//, '');
  if (!/^[A-Z0-9]{1,32}$/.test(zone))
    throw new ConfigurationError(`hosted-zone-id '${zone}' is not a Route 53 hosted zone id like Z1234567890ABC`);
  const name = required(
    input('record-name'),
    'record-name',
    'dns',
    'the name the application connects to, e.g. db.example.com',
  ).replace(/\.$/, '');
  if (!/^[a-zA-Z0-9_*]([a-zA-Z0-9_-]*\.)+[a-zA-Z0-9-]+$/.test(name))
    throw new ConfigurationError(`record-name '${name}' is not a DNS name like db.example.com`);
  const domain = input('health-check-domain').trim();
  return {
    hostedZoneId: zone,
    recordName: name,
    maxTtlSeconds: parseInteger(input('max-ttl-seconds'), 'max-ttl-seconds', 300, 0, 172_800),
    ...(domain ? { healthCheckDomain: domain } : {}),
  };
}

/** Reads and checks every input before the first AWS call; one mistake, one ConfigurationError saying what to change. */
export function parseAuditInputs(
  input: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): AuditSettings {
  const primaryRegion = parseRegion(
    required(
      input('primary-region'),
      'primary-region',
      undefined,
      'the region of the primary database and buckets, e.g. us-east-1',
    ),
    env,
    'primary-region',
  );
  const secondaryRegion = parseRegion(
    required(input('secondary-region'), 'secondary-region', undefined, 'the failover region, e.g. us-west-2'),
    env,
    'secondary-region',
  );
  if (primaryRegion === secondaryRegion)
    throw new ConfigurationError(
      `secondary-region must differ from primary-region (both are ${primaryRegion}): the plan fails over to another region`,
    );
  const skip = parseSkip(input('skip'), ALL_CHECKS);
  const active = (area: AuditArea) => !areaSkipped(skip, area, ALL_CHECKS);
  const failOn = parseChoice(input('fail-on'), 'fail-on', [...SEVERITIES, 'none'] as const, 'high');
  return {
    primaryRegion,
    secondaryRegion,
    endpointUrl: parseEndpointUrl(input('endpoint-url')),
    ...(active('database')
      ? {
          database: {
            instanceId: rdsId(
              required(input('db-instance-id'), 'db-instance-id', 'database', 'the primary RDS instance'),
              'db-instance-id',
            ),
            replicaId: rdsId(
              required(
                input('replica-id'),
                'replica-id',
                'database',
                'the cross-region read replica in secondary-region',
              ),
              'replica-id',
            ),
          },
        }
      : {}),
    ...(active('media') ? { media: parseMedia(input) } : {}),
    ...(active('backup') ? { backup: parseBackup(input) } : {}),
    ...(active('dns') ? { dns: parseDns(input) } : {}),
    ...(active('cache')
      ? {
          cache: {
            replicationGroupId: required(
              input('cache-replication-group-id'),
              'cache-replication-group-id',
              'cache',
              'the ElastiCache Redis replication group',
            ),
          },
        }
      : {}),
    rpoSeconds: parseInteger(input('rpo-seconds'), 'rpo-seconds', 3600, 1),
    rtoSeconds: parseInteger(input('rto-seconds'), 'rto-seconds', 28_800, 1),
    skip,
    failOn,
    reportPath: parseReportPath(input('report-path'), DEFAULT_REPORT_PATH, cwd),
  };
}
