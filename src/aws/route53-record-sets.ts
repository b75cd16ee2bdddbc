import { ListResourceRecordSetsCommand, type ResourceRecordSet, type Route53Client } from '@aws-sdk/client-route-53';

// A file of its own: the read-only audit reaches it without reaching the calls that change records.
/** Record sets in Route 53's order starting at `name`; the first few are enough to see every set of that name. */
export async function recordSetsFrom(
  client: Route53Client,
  hostedZoneId: string,
  name: string,
): Promise<ResourceRecordSet[]> {
  const listed = await client.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, StartRecordName: name, MaxItems: 20 }),
  );
  return listed.ResourceRecordSets ?? [];
}
