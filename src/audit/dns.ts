import { ListHealthChecksCommand, type HealthCheck, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { createRoute53Client } from '../aws/clients.js';
import { recordSetsFrom } from '../aws/route53-record-sets.js';
import { formatDuration } from '../util/format.js';
import { unlessNotFound } from '../aws/errors.js';
import { defineChecks, skipped, verdict, type AuditCheck } from './check.js';
import type { AuditContext } from './context.js';
import type { DnsSettings } from './settings.js';
import { SENTENCE } from './plan.js';

export const DNS_CHECKS = defineChecks('dns', {
  record: ['dns.record', SENTENCE.updateDns, 'high'],
  ttl: ['dns.ttl', SENTENCE.regionalOutage, 'medium'],
  healthCheck: ['dns.health-check', SENTENCE.verifyFailover, 'medium'],
});

export interface DnsFacts {
  zoneExists: boolean;
  /** Every record set of the name (one, or a PRIMARY/SECONDARY failover pair). */
  records: ResourceRecordSet[];
  healthChecks: HealthCheck[];
}

const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;

async function allHealthChecks(ctx: AuditContext): Promise<HealthCheck[]> {
  const client = createRoute53Client(ctx.primary);
  const checks: HealthCheck[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListHealthChecksCommand({ Marker: marker }));
    checks.push(...(page.HealthChecks ?? []));
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  return checks;
}

export async function readDnsFacts(ctx: AuditContext, dns: DnsSettings): Promise<DnsFacts> {
  const client = createRoute53Client(ctx.primary);
  const [listed, healthChecks] = await Promise.all([
    unlessNotFound(recordSetsFrom(client, dns.hostedZoneId, dns.recordName), 'NoSuchHostedZone'),
    allHealthChecks(ctx),
  ]);
  const records = (listed ?? []).filter(
    (set) => fqdn(set.Name ?? '') === fqdn(dns.recordName) && ['CNAME', 'A', 'AAAA'].includes(set.Type ?? ''),
  );
  return { zoneExists: listed !== undefined, records, healthChecks };
}

const valueOf = (set: ResourceRecordSet) =>
  set.AliasTarget?.DNSName ?? (set.ResourceRecords ?? []).map((r) => r.Value).join(', ');

/** The health check that watches the primary: attached to the record, or pointed at what the record points at. */
function watching(dns: DnsSettings, facts: DnsFacts): HealthCheck | undefined {
  const enabled = facts.healthChecks.filter((h) => h.HealthCheckConfig?.Disabled !== true);
  const attached = facts.records.map((r) => r.HealthCheckId).filter(Boolean);
  const byId = enabled.find((h) => attached.includes(h.Id));
  if (byId) return byId;
  const targets = new Set(
    [
      dns.healthCheckDomain,
      dns.recordName,
      ...facts.records.flatMap((r) => (r.ResourceRecords ?? []).map((v) => v.Value)),
    ]
      .filter((t): t is string => Boolean(t))
      .map(fqdn),
  );
  return enabled.find((h) =>
    targets.has(fqdn(h.HealthCheckConfig?.FullyQualifiedDomainName ?? h.HealthCheckConfig?.IPAddress ?? '')),
  );
}

/** The DNS prerequisites of a failover: a record to move, a TTL short enough for the RTO, and a health check that notices the outage. */
export function dnsChecks(ctx: AuditContext, dns: DnsSettings, facts: DnsFacts): AuditCheck[] {
  const C = DNS_CHECKS;
  const name = fqdn(dns.recordName);
  const upsert = (ttl: number) =>
    `aws route53 change-resource-record-sets --hosted-zone-id ${dns.hostedZoneId} --change-batch '${JSON.stringify({ Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: facts.records[0]?.Type ?? 'CNAME', TTL: ttl, ResourceRecords: [{ Value: facts.records[0]?.ResourceRecords?.[0]?.Value ?? '<primary endpoint>' }] } }] })}'`;
  const target = dns.healthCheckDomain ?? facts.records[0]?.ResourceRecords?.[0]?.Value ?? name;
  const healthFix = `aws route53 create-health-check --caller-reference dr-$(date +%s) --health-check-config Type=TCP,FullyQualifiedDomainName=${fqdn(target).replace(/\.$/, '')},Port=5432,RequestInterval=30,FailureThreshold=3`;
  if (!facts.records.length) {
    const found = facts.zoneExists
      ? `no CNAME, A or AAAA record ${name} in zone ${dns.hostedZoneId}`
      : `hosted zone ${dns.hostedZoneId} does not exist`;
    const health = watching(dns, facts);
    return [
      verdict(C.record, false, found, upsert(60)),
      skipped(C.ttl, `not checked: ${found}, so there is no TTL to read (see dns.record)`, upsert(60)),
      verdict(
        C.healthCheck,
        health !== undefined,
        health
          ? `health check ${health.Id} watches ${health.HealthCheckConfig?.FullyQualifiedDomainName ?? health.HealthCheckConfig?.IPAddress}`
          : `${found}, and no enabled health check watches ${fqdn(target)}`,
        healthFix,
      ),
    ];
  }
  const ttls = facts.records.map((r) => (r.AliasTarget ? undefined : (r.TTL ?? 0)));
  const longest = Math.max(0, ...ttls.filter((t): t is number => t !== undefined));
  const health = watching(dns, facts);
  return [
    verdict(
      C.record,
      true,
      facts.records.map((r) => `${r.Type} ${name} → ${valueOf(r)}${r.Failover ? ` (${r.Failover})` : ''}`).join('; '),
      upsert(Math.min(longest || 60, dns.maxTtlSeconds)),
    ),
    verdict(
      C.ttl,
      longest <= dns.maxTtlSeconds && longest < ctx.settings.rtoSeconds,
      ttls.every((t) => t === undefined)
        ? 'alias record: resolvers follow the target at once'
        : `TTL ${formatDuration(longest)} (at most ${formatDuration(dns.maxTtlSeconds)}; RTO ${formatDuration(ctx.settings.rtoSeconds)}): clients keep the old address that long after the switch`,
      upsert(Math.min(60, dns.maxTtlSeconds)),
    ),
    verdict(
      C.healthCheck,
      health !== undefined,
      health
        ? `health check ${health.Id} (${health.HealthCheckConfig?.Type} ${health.HealthCheckConfig?.FullyQualifiedDomainName ?? health.HealthCheckConfig?.IPAddress ?? ''}) watches it`
        : `no enabled Route 53 health check is attached to ${name} or watches ${fqdn(target)}`,
      healthFix,
    ),
  ];
}
