import { databaseAuthFor, ignoreTokens, type TokenMask } from '../aws/rds-auth-tokens.js';
import { ConfigurationError } from '../errors.js';
import { parseReportPath } from '../report/report-path.js';
import { parseEndpointUrl, parseRegion } from '../aws/settings.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../postgres/connection.js';
import { parseBoolean, parseChoice, parseInteger, type InputReader } from '../util/inputs.js';
import { parseIdentifier, parseInstanceRef, type InstanceRef } from '../aws/rds-instance-ref.js';
import { parseHealthTarget, type HealthTarget } from '../health/target.js';
import { normalizeDnsName } from '../aws/dns-names.js';
import { normalizeRecordValue } from '../aws/route53-record-value.js';
import type { RecordTarget } from '../aws/route53-record.js';

export type { RecordTarget } from '../aws/route53-record.js';

export type FailoverMode = 'plan' | 'execute';

export interface FailoverSettings {
  mode: FailoverMode;
  confirm: string;
  replicaId: string;
  region: string;
  /** The current primary when given; otherwise read from the replica. */
  source?: InstanceRef;
  record?: RecordTarget;
  /**
   * The record's value as the approved plan saw it (normalised, see normalizeRecordValue): preflight
   * refuses when the live record differs. Absent: the record is compared with what preflight reads.
   */
  expectedRecordValue?: string;
  health?: HealthTarget;
  replicaDatabase?: DatabaseTarget;
  maxLagSeconds: number;
  acceptDataLoss: boolean;
  waitTimeoutSeconds: number;
  rtoSeconds: number;
  endpointUrl?: string;
  reportPath: string;
}

const NO_ENV: NodeJS.ProcessEnv = {};
export const DEFAULT_REPORT_PATH = 'failover-report.json';
const HOSTED_ZONE_ID = /^(?:\/hostedzone\/)?([A-Z0-9]{1,32})$/;
const MAX_TTL = 2_147_483_647;

/**
 * The one guard every mutating call sits behind: execute needs `confirm` equal to `replica-id`.
 * Compared the way RDS compares identifiers (without regard to case), so the identifier typed as
 * the console or the README shows it is accepted.
 */
export function assertConfirmed(settings: Pick<FailoverSettings, 'mode' | 'confirm' | 'replicaId'>): void {
  if (settings.mode !== 'execute') return;
  const confirm = settings.confirm.trim().toLowerCase();
  if (!confirm) {
    throw new ConfigurationError(
      `mode is execute but confirm is empty, so nothing was changed: set confirm to '${settings.replicaId}' (the replica-id) to promote it and switch DNS; run mode: plan first to see every change`,
    );
  }
  if (confirm !== settings.replicaId.toLowerCase()) {
    throw new ConfigurationError(
      `confirm '${confirm}' does not equal replica-id '${settings.replicaId}', so nothing was changed: set confirm to exactly '${settings.replicaId}'`,
    );
  }
}

function parseHostedZoneId(input: string): string {
  const match = HOSTED_ZONE_ID.exec(input.trim());
  if (!match)
    throw new ConfigurationError(
      `hosted-zone-id '${input.trim()}' is not a Route 53 hosted zone id like Z1234567890ABC`,
    );
  return match[1] as string;
}

function parseRecord(input: InputReader): RecordTarget | undefined {
  const zone = input('hosted-zone-id').trim();
  const name = input('record-name').trim();
  const aliasDnsName = input('alias-target-dns-name').trim();
  const aliasZone = input('alias-target-hosted-zone-id').trim();
  if (!zone && !name) {
    if (aliasDnsName || aliasZone)
      throw new ConfigurationError(
        'alias-target-dns-name and alias-target-hosted-zone-id need hosted-zone-id and record-name: the record to switch',
      );
    return undefined;
  }
  if (!zone)
    throw new ConfigurationError(
      `record-name '${name}' is set but hosted-zone-id is not: give both (the zone that holds the record) or neither`,
    );
  if (!name)
    throw new ConfigurationError(
      'hosted-zone-id is set but record-name is not: give both (the name the application connects to, e.g. db.example.com) or neither',
    );
  const type = parseChoice(input('record-type'), 'record-type', ['CNAME', 'A'] as const, 'CNAME');
  const ttl = parseInteger(input('ttl'), 'ttl', 60, 0, MAX_TTL);
  const target: RecordTarget = {
    hostedZoneId: parseHostedZoneId(zone),
    name: normalizeDnsName(name, 'record-name'),
    type,
    ttl,
  };
  if (type === 'CNAME') {
    if (aliasDnsName || aliasZone) {
      throw new ConfigurationError(
        "alias-target-dns-name and alias-target-hosted-zone-id are for record-type A (an alias record); a CNAME points at the new primary's RDS endpoint itself",
      );
    }
    return target;
  }
  // An RDS endpoint's addresses change (promotion itself may change them) and Route 53 cannot alias an
  // RDS endpoint, so an A record can only be an alias to something that fronts the database.
  if (!aliasDnsName || !aliasZone) {
    throw new ConfigurationError(
      'record-type A needs alias-target-dns-name and alias-target-hosted-zone-id: an alias to the load balancer in front of the new primary (Route 53 cannot alias an RDS endpoint, and its IP addresses change). To point the record at the RDS endpoint itself, use record-type CNAME',
    );
  }
  return {
    ...target,
    alias: {
      dnsName: normalizeDnsName(aliasDnsName, 'alias-target-dns-name'),
      hostedZoneId: parseHostedZoneId(aliasZone),
    },
  };
}

function parseSource(input: InputReader, replicaRegion: string): InstanceRef | undefined {
  const idText = input('source-id').trim();
  const regionText = input('source-region').trim();
  if (!idText) {
    if (regionText)
      throw new ConfigurationError(
        'source-region is set but source-id is not: give source-id too, or neither to read the source from the replica',
      );
    return undefined;
  }
  const arnRef = parseInstanceRef(idText, replicaRegion);
  const region = regionText ? parseRegion(regionText, NO_ENV, 'source-region') : arnRef.region;
  if (arnRef.arn) {
    if (region !== arnRef.region)
      throw new ConfigurationError(
        `source-region '${region}' differs from the region in the source-id ARN (${arnRef.region}); drop one`,
      );
    return arnRef;
  }
  return { id: parseIdentifier(idText, 'source-id'), region };
}

/** expected-record-value, in the form record-value gives it; only meaningful with a record to compare. */
function parseExpectedRecordValue(text: string, record: RecordTarget | undefined): string | undefined {
  if (!text.trim()) return undefined;
  if (!record) {
    throw new ConfigurationError(
      "expected-record-value is set but hosted-zone-id and record-name are not: pass it only with the record it was read from (the plan job's record-value output)",
    );
  }
  return normalizeRecordValue(text);
}

/** Every input checked before the first AWS call; each mistake is one ConfigurationError. */
export function parseFailoverInputs(
  input: InputReader,
  cwd: string = process.cwd(),
  onToken: TokenMask = ignoreTokens,
): FailoverSettings {
  const mode = parseChoice(input('mode'), 'mode', ['plan', 'execute'] as const, 'plan');
  const replicaId = parseIdentifier(input('replica-id'), 'replica-id');
  // Lower case like replica-id (RDS identifiers are), so both are compared the same way.
  const confirm = input('confirm').trim().toLowerCase();
  assertConfirmed({ mode, confirm, replicaId });
  const regionText = input('region').trim();
  if (!regionText)
    throw new ConfigurationError("region is required: the replica's region (the secondary), e.g. us-west-2");
  const region = parseRegion(regionText, NO_ENV);
  const databaseUrl = input('replica-database-url').trim();
  const databaseAuth = databaseAuthFor(input('database-auth'), region, onToken);
  const record = parseRecord(input);
  return {
    mode,
    confirm,
    replicaId,
    region,
    source: parseSource(input, region),
    record,
    expectedRecordValue: parseExpectedRecordValue(input('expected-record-value'), record),
    health: parseHealthTarget(input),
    replicaDatabase: databaseUrl
      ? databaseAuth.apply(parseDatabaseUrl(databaseUrl, 'replica-database-url'), 'replica-database-url')
      : undefined,
    maxLagSeconds: parseInteger(input('max-lag-seconds'), 'max-lag-seconds', 3600, 0),
    acceptDataLoss: parseBoolean(input('accept-data-loss'), 'accept-data-loss', false),
    waitTimeoutSeconds: parseInteger(input('wait-timeout-seconds'), 'wait-timeout-seconds', 1800, 1),
    rtoSeconds: parseInteger(input('rto-seconds'), 'rto-seconds', 28_800, 1),
    endpointUrl: parseEndpointUrl(input('endpoint-url')),
    reportPath: parseReportPath(input('report-path'), DEFAULT_REPORT_PATH, cwd),
  };
}
