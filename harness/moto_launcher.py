"""Starts moto_server with corrections so that the test stack behaves like AWS where moto does not.

RDS PromoteReadReplica: moto 5.2 flips `is_replica` and nothing else: the promoted
instance keeps `ReadReplicaSourceDBInstanceIdentifier` and stays in its source's
`ReadReplicaDBInstanceIdentifiers`. Real RDS clears both once promotion completes,
and promotion takes time: right after the call the instance still reads as an
`available` replica, then `modifying`, and only then a standalone `available`
instance. The failover action must wait for that end state, so the stack models it.
moto 5.2 also takes a second PromoteReadReplica (while the first is under way, or once the
instance is no replica) and answers as if it promoted; real RDS refuses both with
InvalidDBInstanceState, which is what a second failover run at the same moment meets.
A test that needs a promotion still under way at a moment of its choosing (a run killed while
RDS promotes, a run whose wait-timeout-seconds passes first) holds it with
POST /moto-api/dr-stack/rds/promotion-hold {"region", "instance", "held": true}: the promotion
then stays `modifying`, still a replica, until the same call with "held": false lets it finish
(at once when its time has come), not after however long the machine took to get there.

Route 53 ChangeResourceRecordSets: moto 5.2 checks a DELETE against the history of
changes rather than against the records as they are now, so deleting a record with
values it held earlier succeeds, and a CREATE of a name that already exists (with
other values) succeeds too. Real Route 53 validates the whole batch against the
current records and applies all of it or nothing; a DELETE must name the record's
current TTL and values exactly. That is what makes a DELETE+CREATE batch a
compare-and-swap, so the stack validates batches the way Route 53 does.

Route 53 change status: moto 5.2 answers every change with one fixed change id that
is INSYNC at once. Real Route 53 gives each change its own id, PENDING until every
name server has it (typically within 60 s). The stack gives unique ids that turn
INSYNC after MOTO_ROUTE53_INSYNC_SECONDS, and answers NoSuchChange for unknown ids.

S3 DeleteObjects refuses more than 1,000 keys in one request (MalformedXML); moto takes any
number, so a client that forgot to batch would pass against moto and fail against S3.

S3 replication, which the dr-audit tests depend on (moto 5.2 stores a replication configuration
but does nothing with it):
- GetBucketReplication answers every rule with Filter {Prefix: ""} and DeleteMarkerReplication
  Disabled, whatever was put. Real S3 answers the rule as it was put; the stack does too.
- Objects never get a ReplicationStatus. Real S3 replicates each new object that an enabled rule
  covers, marking the source COMPLETED (or FAILED when the destination cannot take it, e.g. its
  versioning is off) and the copy REPLICA. The stack does that on PutObject, synchronously (S3
  passes through PENDING for seconds first), and reports the status as x-amz-replication-status.

S3 lifecycle, which the dr-audit tests depend on: moto 5.2 answers GetBucketLifecycleConfiguration
without a filter's ObjectSizeGreaterThan and ObjectSizeLessThan (alone or in an And) and without
NewerNoncurrentVersions, so a rule narrowed by object size reads as covering the whole bucket. Real
S3 answers the rules as they were put; the stack does too.

RDS across accounts and copies, which the dr-audit and hourly-snapshot tests depend on:
- moto 5.2 looks a source named by ARN up in the caller's own account, whatever account the ARN
  names, so a read replica of an instance in another account replicates from a same-named instance
  of the caller's. Real RDS takes the account from the ARN; the stack does too (an account is
  reached with credentials from STS AssumeRole of a role in it, as in moto).
- Every instance (and so every snapshot) has one and the same DbiResourceId in moto 5.2. Real RDS
  gives each instance its own, which its snapshots and their copies keep: it tells a snapshot of
  the instance from one of a same-named instance elsewhere. The stack gives each its own too.
- moto 5.2 answers no DBInstanceAutomatedBackupsReplications. Real RDS lists, on the source
  instance, each replication of its automated backups (an ARN in the destination region); the
  stack lists those StartDBInstanceAutomatedBackupsReplication made.
- A cross-region or cross-account CopyDBSnapshot leaves no trace in moto 5.2. Real RDS answers
  such a copy with SourceDBSnapshotIdentifier (the source snapshot's ARN) and SourceRegion; the
  stack does too (a copy within one region and account has neither, as in RDS).

S3 Object Lock, which the backup's lock tests depend on:
- An Object Lock mode and retain-until date sent with CreateMultipartUpload are lost when the upload
  completes in moto 5.2. Real S3 gives the completed object the lock the upload was created with
  (and refuses the lock headers on a bucket without Object Lock); the stack does too.
- moto 5.2 lets PutObjectRetention shorten a COMPLIANCE retention, or change its mode. Real S3
  refuses both (AccessDenied) until it expires, and refuses shortening a GOVERNANCE retention
  without x-amz-bypass-governance-retention; the stack does too.
- On a bucket with Object Lock, real S3 refuses an UploadPart that carries neither Content-MD5 nor
  an x-amz-checksum-* header (InvalidRequest); moto takes it. The stack refuses it.

S3 replication status over time: real S3 reports PENDING for seconds to minutes before COMPLETED.
Tests that wait for replication set, per source bucket, how long new objects stay PENDING with
POST /moto-api/dr-stack/s3/replication-delay {"bucket", "seconds"} ("seconds": null means the
replication never completes, as with a rule whose role cannot write the destination).

S3 bucket policies are not evaluated by moto 5.2. A test that needs S3 to refuse some writes (as
a bucket policy denying them would) sets POST /moto-api/dr-stack/s3/deny-put {"bucket", "suffix"}:
PutObject of a key in that bucket ending with the suffix then answers AccessDenied.

S3 object age: an object's LastModified is the time S3 wrote it. A test of what a day-old leftover
means sets it with POST /moto-api/dr-stack/s3/written-at {"bucket", "key", "time"} rather than
waiting a day, as LatestRestorableTime is set for RDS.

S3 conditional writes (If-None-Match: *) on PutObject and CompleteMultipartUpload: moto 5.2
checks that the key is free and then writes, two steps that two requests in threads can both pass.
S3 makes the check and the write one atomic step, so exactly one of two racing writers wins; the
stack serialises conditional writes so that it does too.

RDS LatestRestorableTime: moto 5.2 always answers "now". Real RDS answers the last moment the
instance's logs reached S3, which stops moving when log backup stalls. Tests set it per instance
with POST /moto-api/dr-stack/rds/latest-restorable-time {"region", "instance", "time"}; without
that, the stack answers "now" as before.

RDS ModifyDBInstance NewDBInstanceIdentifier: moto 5.2 renames at once, leaves the instance
`available`, and overwrites an instance that already has the new name. Real RDS refuses a name in
use (DBInstanceAlreadyExists) and an instance that is not `available` (InvalidDBInstanceState),
renames only with ApplyImmediately (else in the maintenance window), and reports the instance
`renaming` for a while before it is `available` under the new name, whose endpoint it then has.
The stack does the same (MOTO_RDS_RENAME_SECONDS of `renaming`), and the endpoint a restore was
served at follows the instance to its new name.

RDS restores, which the rds-restore-test tests depend on. moto 5.2 creates the restored instance
at once, available, holding no data; accepts any RestoreTime, even outside the retention window;
copies the source's settings (and tags) over false-valued overrides such as DeletionProtection=false;
and has no StartDBInstanceAutomatedBackupsReplication nor RestoreWindow. Real RDS keeps the new
instance `creating` for minutes while it restores the data as of the recovery point, refuses a time
outside [EarliestRestorableTime, LatestRestorableTime] (InvalidRestoreFault), takes the settings and
tags the call gives, and restores in another region from replicated automated backups. The stack:
- restores only inside the window, applies false overrides and the call's tags;
- leaves the instance `creating` and lists the request at GET /moto-api/dr-stack/rds/restores
  (region, instance, target time, source); the test restores a real PostgreSQL to that time and
  answers POST /moto-api/dr-stack/rds/restored {"region", "instance", "address", "port"}, which
  makes the instance `available` at that endpoint;
- implements StartDBInstanceAutomatedBackupsReplication and answers DescribeDBInstanceAutomatedBackups
  with RestoreWindow, ARN and Region, in the source region and (replicated) in the destination;
  RestoreDBInstanceToPointInTime takes SourceDBInstanceAutomatedBackupsArn.

RDS-managed master passwords (ManageMasterUserPassword), which the rds-restore-test tests depend on:
- moto 5.2 stores every managed secret as {"username": "admin", "password": "P@55w0rd!"}, whatever
  the instance. Real RDS stores the instance's master user name and a password it generates; the
  stack does too (a random password with punctuation, none of the characters RDS excludes).
- A restored instance in moto 5.2 copies its source's ManageMasterUserPassword and gets a managed
  secret of its own. RDS for PostgreSQL restores keep the source's master password in the restored
  data and manage no secret for it (ManageMasterUserPassword on a restore is for Oracle only); the
  stack's restored instances have no MasterUserSecret either.

TLS for clients that make many small requests (pgBackRest speaks S3 only over TLS), with
--faithful-tls CERT KEY in place of moto's -c/-k. Werkzeug, which moto_server runs on, charges
each request costs that S3 does not have: it closes a TLS connection without a close_notify (a
strict client such as pgBackRest takes that for a truncated response), leaves Nagle's algorithm
on (a small response waits for the client's delayed ACK), and after every response waits 10 ms
for request bytes the client might still send. With the option, the server sends close_notify
before it closes, sets TCP_NODELAY, and drains only what has already arrived.

MOTO_RDS_PROMOTE_SECONDS (default 2) sets how long a promotion takes;
MOTO_ROUTE53_INSYNC_SECONDS (default 1) how long a DNS change stays PENDING.
GET /moto-api/dr-stack/identity answers DR_STACK_MOTO_IDENTITY: the port this server was given was
free a moment before it bound it, and whoever starts it asks this before anything else, so that a
server of someone else's that took the port first (a proxy to another moto) is never taken for it.
Usage: python3 moto_launcher.py -H 127.0.0.1 -p PORT
"""

import copy
import json
import os
import secrets
import selectors
import socket
import ssl
import string
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import xmltodict
from moto.core import DEFAULT_ACCOUNT_ID as DEFAULT_ACCOUNT
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
import moto.moto_api._internal.urls as moto_api_urls
from moto.rds.exceptions import DBInstanceAlreadyExists, InvalidParameterCombination, RDSClientError
from moto.rds.models import DBInstance, MasterUserSecret, RDSBackend, rds_backends
from moto.rds.responses import RDSResponse
from moto.route53.exceptions import DnsNameInvalidForZone, InvalidActionValue, Route53ClientError
from moto.route53.models import Route53Backend
from moto.route53.responses import Route53
from moto.route53.utils import validate_domain_name
from moto.s3.exceptions import AccessDeniedByLock, LockNotEnabled, MalformedXML, ReplicationConfigurationNotFoundError, S3ClientError
from moto.s3.models import FakeKey, S3Backend, s3_backends
from moto.s3.responses import S3Response
from moto.server import main
import werkzeug.serving as werkzeug_serving

PROMOTE_SECONDS = float(os.environ.get("MOTO_RDS_PROMOTE_SECONDS", "2"))
INSYNC_SECONDS = float(os.environ.get("MOTO_ROUTE53_INSYNC_SECONDS", "1"))


def patches(cls, name):
    """Installs the decorated function as cls.name; it is called with the method it replaces first.

    Each patch holds its own original in a closure, so two patches of one method (S3's PutObject and
    POST handlers have two each) chain in the order they are installed, instead of one calling
    itself through a module global that a later patch rebound.
    """

    def install(wrapper):
        original = getattr(cls, name)

        def patched(self, *args, **kwargs):
            return wrapper(original, self, *args, **kwargs)

        patched.__name__ = wrapper.__name__
        setattr(cls, name, patched)
        return wrapper

    return install


def _json_body(request, headers):
    """The JSON body of a POST to one of the stack's own /moto-api/dr-stack endpoints."""
    size = int(headers.get("Content-Length") or 0)
    return json.loads(request.environ["wsgi.input"].read(size).decode("utf-8")) if size else {}


def _parse_time(text):
    """An ISO-8601 time as the SDKs and the tests send it ("Z" included)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _region_of(resource):
    return resource.db_instance_arn.split(":")[3]


# --- Which server this is -------------------------------------------------------------


def identity(request, full_url, headers):
    return 200, {"Content-Type": "text/plain"}, os.environ.get("DR_STACK_MOTO_IDENTITY", "")


moto_api_urls.url_paths["{0}/moto-api/dr-stack/identity"] = identity


# --- RDS: promotion ---------------------------------------------------------------


def _finish_promotion(backend, database):
    source_id = database.source_db_instance_identifier
    if source_id:
        try:
            source = backend.find_db_from_id(source_id)
        except Exception:  # the source may be gone, as in a regional outage
            source = None
        if source is not None:
            for entry in (database.db_instance_arn, database.db_instance_identifier):
                if entry in source.replicas:
                    source.replicas.remove(entry)
    database.source_db_instance_identifier = None
    database.is_replica = False
    database.status = "available"


def promote_read_replica(self, db_kwargs):
    database = self.databases[db_kwargs["db_instance_identifier"]]
    if not database.is_replica:
        raise RDSClientError("InvalidDBInstanceState", "DB Instance is not a read replica.")
    if getattr(database, "_promoting", False):
        raise RDSClientError("InvalidDBInstanceState", "Database instance is not in available state.")
    database._promoting = True
    database.update(**db_kwargs)

    def start():
        database.status = "modifying"

    def finish():
        _finish_promotion(self, database)
        database._promoting = False

    held = (_region_of(database), database.db_instance_identifier)
    threading.Timer(PROMOTE_SECONDS * 0.2, start).start()
    threading.Timer(PROMOTE_SECONDS, lambda: _finish_unless_held(held, finish)).start()
    return database


RDSBackend.promote_read_replica = promote_read_replica

_promotion_holds = threading.Lock()
_held_promotions = {}  # (region, instance) -> None while held, or the promotion's finish once its time came


def _finish_unless_held(held, finish):
    with _promotion_holds:
        if held in _held_promotions:
            _held_promotions[held] = finish
            return
    finish()


def hold_promotion(request, full_url, headers):
    body = _json_body(request, headers)
    held = (body["region"], body["instance"])
    due = None
    with _promotion_holds:
        if body["held"]:
            _held_promotions.setdefault(held, None)
        else:
            due = _held_promotions.pop(held, None)
    if due is not None:
        due()
    return 201, {}, ""


moto_api_urls.url_paths["{0}/moto-api/dr-stack/rds/promotion-hold"] = hold_promotion


# --- S3: DeleteObjects takes at most 1,000 keys ------------------------------------

DELETE_OBJECTS_LIMIT = 1000


@patches(S3Response, "_bucket_response_delete_keys")
def delete_keys_within_limit(original, self, bucket_name, authenticated=True):
    objects = xmltodict.parse(self.body).get("Delete", {}).get("Object", [])
    if isinstance(objects, list) and len(objects) > DELETE_OBJECTS_LIMIT:
        raise MalformedXML()
    return original(self, bucket_name, authenticated)


# --- S3: a conditional write checks and writes in one step -------------------------

_conditional_writes = threading.Lock()


def _atomically_if_conditional(original, self, *args, **kwargs):
    if self.headers.get("If-None-Match") != "*":
        return original(self, *args, **kwargs)
    with _conditional_writes:
        return original(self, *args, **kwargs)


patches(S3Response, "put_object")(_atomically_if_conditional)
patches(S3Response, "_key_response_post")(_atomically_if_conditional)


# --- Route 53: change batches validated against the current records ----------------


class InvalidChangeBatchMessage(Route53ClientError):
    def __init__(self, message):
        super().__init__("InvalidChangeBatch", message)


class NoSuchChange(Route53ClientError):
    def __init__(self, change_id):
        super().__init__("NoSuchChange", f"A change with the specified change ID does not exist: {change_id}")


def _name(value):
    return value.strip().lower().rstrip(".") + "."


def _key(name, record_type, set_identifier):
    return (_name(name), record_type, set_identifier or None)


def _alias(alias):
    if not alias:
        return None
    evaluate = str(alias.get("EvaluateTargetHealth", "false")).lower() == "true"
    return (alias.get("HostedZoneId"), _name(alias.get("DNSName", "")), evaluate)


def _values(records):
    return sorted(r["Value"] if isinstance(r, dict) else r for r in (records or []))


def _ttl(value):
    return None if value in (None, "") else int(value)


def _stored_shape(record):
    return (_ttl(record.ttl) if not record.alias_target else None, _values(record.records), _alias(record.alias_target))


def _requested_shape(record_set):
    alias = record_set.get("AliasTarget")
    return (_ttl(record_set.get("TTL")) if not alias else None, _values(record_set.get("ResourceRecords")), _alias(alias))


def _describe(record_set):
    return f"[name='{_name(record_set['Name'])}', type='{record_set['Type']}']"


def _validate(zone, change_list):
    """Route 53's own rules: the batch as a whole, against the records as they are now."""
    current = {_key(r.name, r.type, r.set_identifier): _stored_shape(r) for r in zone.rrsets}
    for change in change_list:
        action = change["Action"]
        record_set = change["ResourceRecordSet"]
        key = _key(record_set["Name"], record_set["Type"], record_set.get("SetIdentifier"))
        if action == "DELETE":
            if key not in current:
                raise InvalidChangeBatchMessage(f"[Tried to delete resource record set {_describe(record_set)} but it was not found]")
            if current[key] != _requested_shape(record_set):
                raise InvalidChangeBatchMessage(
                    f"[Tried to delete resource record set {_describe(record_set)} but the values provided do not match the current values]"
                )
            del current[key]
        elif action == "CREATE":
            if key in current:
                raise InvalidChangeBatchMessage(f"[Tried to create resource record set {_describe(record_set)} but it already exists]")
            current[key] = _requested_shape(record_set)
        elif action == "UPSERT":
            current[key] = _requested_shape(record_set)
        else:
            raise InvalidActionValue(action)


def change_resource_record_sets(self, zoneid, change_list):
    the_zone = self.get_hosted_zone(zoneid)
    for change in change_list:
        validate_domain_name(change["ResourceRecordSet"]["Name"], code="InvalidChangeBatch")
        cleaned_record_name = change["ResourceRecordSet"]["Name"].strip(".").lower()
        if not cleaned_record_name.endswith(the_zone.name.strip(".").lower()):
            raise DnsNameInvalidForZone(name=change["ResourceRecordSet"]["Name"], zone_name=the_zone.name)
    _validate(the_zone, change_list)

    # Valid as a whole: apply every change, in order.
    for change in change_list:
        original_change = copy.deepcopy(change)
        record_set = change["ResourceRecordSet"]
        if not record_set["Name"].endswith("."):
            record_set["Name"] += "."
        key = _key(record_set["Name"], record_set["Type"], record_set.get("SetIdentifier"))
        if change["Action"] == "DELETE":
            the_zone.rrsets = [r for r in the_zone.rrsets if _key(r.name, r.type, r.set_identifier) != key]
        else:
            if "ResourceRecords" in record_set:
                record_set["ResourceRecords"] = [x["Value"] for x in record_set["ResourceRecords"]]
            if change["Action"] == "CREATE":
                the_zone.add_rrset(record_set)
            else:
                the_zone.upsert_rrset(record_set)
        the_zone.rr_changes.append(original_change)


Route53Backend.change_resource_record_sets = change_resource_record_sets


# --- Route 53: each change has its own id, PENDING until it propagates -------------

_changes = {}
_changes_lock = threading.Lock()


def _change_info(change_id):
    submitted, submitted_at = _changes[change_id]
    status = "INSYNC" if time.monotonic() - submitted >= INSYNC_SECONDS else "PENDING"
    return {"Id": f"/change/{change_id}", "Status": status, "SubmittedAt": submitted_at}


@patches(Route53, "change_resource_record_sets")
def respond_change_resource_record_sets(original, self):
    result = original(self)  # validates and applies, or raises
    change_id = "C" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(20))
    with _changes_lock:
        _changes[change_id] = (time.monotonic(), utcnow())
        result.result["ChangeInfo"] = _change_info(change_id)
    return result


def respond_get_change(self):
    change_id = self._get_param("Id").split("/")[-1]
    with _changes_lock:
        if change_id not in _changes:
            raise NoSuchChange(change_id)
        return ActionResult({"ChangeInfo": _change_info(change_id)})


Route53.get_change = respond_get_change


# --- S3: replication configuration answered as put ------------------------------------


def _filter_as_put(rule):
    if "Filter" not in rule:
        return {"Prefix": rule.get("Prefix") or ""}
    raw = rule.get("Filter") or {}
    if "And" in raw:
        both = raw["And"] or {}
        tags = both.get("Tag") or []
        return {"And": {"Prefix": both.get("Prefix") or "", "Tags": tags if isinstance(tags, list) else [tags]}}
    if "Tag" in raw:
        return {"Tag": raw["Tag"]}
    return {"Prefix": raw["Prefix"] or ""} if "Prefix" in raw else {}


def get_bucket_replication_as_put(self):
    self.data["Action"] = "GetBucketReplication"
    replication = self.backend.get_bucket_replication(self.bucket_name)
    if not replication:
        raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
    rules = [
        {
            "ID": rule["ID"],
            "Priority": rule["Priority"],
            "Status": rule["Status"],
            "DeleteMarkerReplication": rule.get("DeleteMarkerReplication") or {"Status": "Disabled"},
            "Filter": _filter_as_put(rule),
            "Destination": rule["Destination"],
        }
        for rule in replication["Rule"]
    ]
    return self.serialized(ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}}))


S3Response.get_bucket_replication = get_bucket_replication_as_put


# --- S3: lifecycle configuration answered as put -------------------------------------


@patches(S3Backend, "put_bucket_lifecycle")
def put_bucket_lifecycle_kept_as_put(original, self, bucket_name, rules):
    original(self, bucket_name, rules)
    self.get_bucket(bucket_name)._lifecycle_as_put = copy.deepcopy(rules)


@patches(S3Backend, "delete_bucket_lifecycle")
def delete_bucket_lifecycle_as_put(original, self, bucket_name):
    original(self, bucket_name)
    self.get_bucket(bucket_name)._lifecycle_as_put = None


@patches(S3Response, "get_bucket_lifecycle")
def get_bucket_lifecycle_as_put(original, self):
    answer = original(self)  # raises NoSuchLifecycleConfiguration as S3 does
    rules = getattr(self.backend.get_bucket(self.bucket_name), "_lifecycle_as_put", None)
    if not rules:
        return answer
    status, headers, _ = answer
    body = xmltodict.unparse({"LifecycleConfiguration": {"@xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "Rule": rules}})
    return status, headers, body


# --- S3: new objects replicated, with their ReplicationStatus -------------------------

_replicating = threading.local()


def _covering_rule(replication, key):
    rules = []
    for rule in replication.get("Rule") or []:
        if rule.get("Status") != "Enabled":
            continue
        scope = _filter_as_put(rule)
        if "Tag" in scope or scope.get("And", {}).get("Tags"):
            continue  # tag filters are not modelled: such objects read as not replicated
        prefix = scope.get("Prefix", scope.get("And", {}).get("Prefix", "")) or ""
        if key.startswith(prefix):
            rules.append(rule)
    return max(rules, key=lambda r: int(r.get("Priority") or 0)) if rules else None


@patches(S3Backend, "put_object")
def put_object_replicating(put_object, self, bucket_name, key_name, value, *args, **kwargs):
    new_key = put_object(self, bucket_name, key_name, value, *args, **kwargs)
    if getattr(_replicating, "active", False):
        new_key._replication_status = "REPLICA"
        return new_key
    replication = getattr(self.get_bucket(bucket_name), "replication", None)
    rule = _covering_rule(replication, key_name) if replication else None
    if rule is None:
        return new_key
    destination_name = str(rule["Destination"]["Bucket"]).split(":::")[-1]
    destination = self.buckets.get(destination_name)
    if destination is None or destination.versioning_status != "Enabled":
        new_key._replication_status = "FAILED"
        return new_key
    _replicating.active = True
    try:
        put_object(self, destination_name, key_name, value)._replication_status = "REPLICA"
    finally:
        _replicating.active = False
    new_key._replication_status = "COMPLETED"
    new_key._replication_started = time.monotonic()
    return new_key


_response_dict = FakeKey.response_dict


def response_dict_with_replication(self):
    headers = _response_dict.fget(self)
    status = _replication_status_now(self)
    if status:
        headers["x-amz-replication-status"] = status
    return headers


FakeKey.response_dict = property(response_dict_with_replication)


# --- RDS: sources named by ARN in other accounts, and what a copy keeps of its source ------


def find_db_from_id_in_its_account(self, db_id):
    if not self.arn_regex.match(db_id):
        return self.describe_db_instances(db_id)[0]
    parts = db_id.split(":")
    return rds_backends[parts[4] or self.account_id][parts[3]].describe_db_instances(parts[-1])[0]


RDSBackend.find_db_from_id = find_db_from_id_in_its_account


def _new_resource_id():
    return "db-" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(26))


@patches(DBInstance, "__init__")
def instance_with_its_own_resource_id(original, self, *args, **kwargs):
    original(self, *args, **kwargs)
    self.dbi_resource_id = _new_resource_id()


@patches(RDSBackend, "create_db_instance_read_replica")
def read_replica_with_its_own_resource_id(original, self, db_kwargs):
    replica = original(self, db_kwargs)
    replica.dbi_resource_id = _new_resource_id()
    return replica


@patches(RDSBackend, "copy_db_snapshot")
def copy_db_snapshot_naming_its_source(original, self, source_db_snapshot_identifier, target_db_snapshot_identifier, *args, **kwargs):
    copied = original(self, source_db_snapshot_identifier, target_db_snapshot_identifier, *args, **kwargs)
    if source_db_snapshot_identifier.startswith("arn:"):
        parts = source_db_snapshot_identifier.split(":")
        if parts[3] != self.region_name or parts[4] != self.account_id:
            copied.source_db_snapshot_identifier = source_db_snapshot_identifier
            copied.source_region = parts[3]
    return copied


# --- RDS: LatestRestorableTime set by the tests -----------------------------------------

_restorable = {}


def latest_restorable_time(self):
    return _restorable.get((_region_of(self), self.db_instance_identifier)) or utcnow()


DBInstance.latest_restorable_time = property(latest_restorable_time)


def set_latest_restorable_time(request, full_url, headers):
    body = _json_body(request, headers)
    _restorable[(body["region"], body["instance"])] = _parse_time(body["time"])
    return 201, {}, ""


moto_api_urls.url_paths["{0}/moto-api/dr-stack/rds/latest-restorable-time"] = set_latest_restorable_time


# --- S3: replication PENDING for a while, per source bucket ---------------------------

_replication_delay = {}  # bucket -> seconds new objects stay PENDING (None: forever)


def _replication_status_now(key):
    status = getattr(key, "_replication_status", None)
    if status != "COMPLETED":
        return status
    started = getattr(key, "_replication_started", None)
    bucket = getattr(key, "bucket_name", None)
    if started is None or bucket not in _replication_delay:
        return status
    delay = _replication_delay[bucket]
    return "PENDING" if delay is None or time.monotonic() - started < delay else status


def set_replication_delay(request, full_url, headers):
    body = _json_body(request, headers)
    _replication_delay[body["bucket"]] = body.get("seconds")
    return 201, {}, ""


moto_api_urls.url_paths["{0}/moto-api/dr-stack/s3/replication-delay"] = set_replication_delay


# --- S3: an object written earlier, as if the test had waited that long ------------------

def set_written_at(request, full_url, headers):
    """Sets an object's LastModified, which S3 gives it when written: a day-old object without waiting a day."""
    body = _json_body(request, headers)
    key = s3_backends[DEFAULT_ACCOUNT]["global"].get_object(body["bucket"], body["key"])
    if key is None:
        return 404, {}, ""
    key.last_modified = _parse_time(body["time"]).astimezone(timezone.utc).replace(tzinfo=None)
    return 201, {}, ""


moto_api_urls.url_paths["{0}/moto-api/dr-stack/s3/written-at"] = set_written_at


# --- S3 Object Lock: kept through multipart completion; never shortened; part checksums ----

_lock_headers = threading.local()


@patches(S3Response, "_key_response_post")
def key_response_post_with_lock(original, self, request, body, bucket_name, query, key_name):
    if body == b"" and "uploads" in query:
        mode = request.headers.get("x-amz-object-lock-mode")
        until = request.headers.get("x-amz-object-lock-retain-until-date")
        hold = request.headers.get("x-amz-object-lock-legal-hold")
        if (mode or until or hold == "ON") and not self.backend.get_bucket(bucket_name).object_lock_enabled:
            raise LockNotEnabled()
        _lock_headers.value = (mode, until, hold)
    try:
        return original(self, request, body, bucket_name, query, key_name)
    finally:
        _lock_headers.value = None


@patches(S3Backend, "create_multipart_upload")
def create_multipart_upload_with_lock(original, self, *args, **kwargs):
    multipart = original(self, *args, **kwargs)
    multipart._object_lock = getattr(_lock_headers, "value", None)
    return multipart


@patches(S3Backend, "complete_multipart_upload")
def complete_multipart_upload_with_lock(original, self, bucket_name, multipart_id, body):
    multipart = self.get_bucket(bucket_name).multiparts.get(multipart_id)
    lock = getattr(multipart, "_object_lock", None)
    key = original(self, bucket_name, multipart_id, body)
    if key is not None and lock:
        mode, until, hold = lock
        if mode or until:
            key.lock_mode, key.lock_until = mode, until
        if hold:
            key.lock_legal_status = hold
    return key


def _parse_until(text):
    return _parse_time(text) if text else None


@patches(S3Response, "put_object_retention")
def put_object_retention_never_shortened(original, self):
    key = self.backend.get_object(self.bucket_name, self.parse_key_name(), version_id=self._get_param("versionId"))
    current_until = _parse_until(getattr(key, "lock_until", None)) if key is not None else None
    if current_until is not None and current_until > datetime.now(current_until.tzinfo):
        mode, until = self._mode_until_from_body()
        new_until = _parse_until(until)
        shorter = new_until is None or new_until < current_until
        bypass = self.headers.get("x-amz-bypass-governance-retention", "").lower() == "true"
        if key.lock_mode == "COMPLIANCE" and (shorter or mode != "COMPLIANCE"):
            raise AccessDeniedByLock()
        if key.lock_mode == "GOVERNANCE" and (shorter or mode != "GOVERNANCE") and not bypass:
            raise AccessDeniedByLock()
    return original(self)


class PartChecksumRequired(S3ClientError):
    def __init__(self):
        super().__init__(
            "InvalidRequest",
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters",
        )


@patches(S3Response, "upload_part")
def upload_part_with_checksum_on_locked_bucket(original, self):
    if self.backend.get_bucket(self.bucket_name).object_lock_enabled:
        names = [name.lower() for name in self.headers.keys()]
        if "content-md5" not in names and not any(n.startswith("x-amz-checksum-") for n in names):
            raise PartChecksumRequired()
    return original(self)


# --- S3: writes denied as by a bucket policy ------------------------------------------

_denied_puts = set()  # (bucket, key suffix)


@patches(S3Response, "put_object")
def put_object_unless_denied(original, self):
    key_name = self.parse_key_name()
    if any(bucket == self.bucket_name and key_name.endswith(suffix) for bucket, suffix in _denied_puts):
        raise S3ClientError("AccessDenied", "Access Denied")
    return original(self)


def deny_put(request, full_url, headers):
    body = _json_body(request, headers)
    _denied_puts.add((body["bucket"], body["suffix"]))
    return 201, {}, ""


moto_api_urls.url_paths["{0}/moto-api/dr-stack/s3/deny-put"] = deny_put


# --- RDS: managed master secrets hold the instance's user and a generated password -------

# Printable ASCII but for what RDS leaves out of the passwords it generates: / " @ and space.
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits + string.punctuation if c not in '/"@')


# RDS may put any of these in a password; every generated one holds them all, so each test sees
# the quoting and escaping (SQL, shell, URL, the runner's ::add-mask:: encoding) every time.
_CHARACTERS_THAT_NEED_ESCAPING = "%'$\\`:"


def generated_master_login(self):
    characters = list(_CHARACTERS_THAT_NEED_ESCAPING)
    characters += [secrets.choice(_PASSWORD_ALPHABET) for _ in range(28 - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    password = "".join(characters)
    return json.dumps({"username": self.resource.master_username, "password": password})


MasterUserSecret._generate_secret_string = generated_master_login


def _restored_without_managed_secret(database):
    """A restored PostgreSQL instance keeps the source's password and manages no secret of its own."""
    managed = getattr(database, "master_user_secret", None)
    if managed is not None:
        managed.delete_secret()
        del database.master_user_secret
    database.manage_master_user_password = False


# --- RDS: restores take time, hold data, and follow RDS's rules -------------------------

_pending_restores = {}
_endpoints = {}
_replicated_backups = {}  # (destination region, automated backups ARN) -> (source region, instance id)
_restore_lock = threading.Lock()
_FALSE_OVERRIDES = ("deletion_protection", "publicly_accessible", "multi_az")


class InvalidRestoreFault(RDSClientError):
    def __init__(self, message):
        super().__init__("InvalidRestoreFault", message)


def _aware(value):
    if isinstance(value, str):
        value = _parse_time(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _iso(value):
    return _aware(value).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def restore_window(database):
    latest = _aware(database.latest_restorable_time)
    retention = int(database.backup_retention_period or 0)
    earliest = max(_aware(database.created), latest - timedelta(days=retention))
    return earliest, latest


def _automated_backups_arn(database, region=None):
    parts = database.db_instance_arn.split(":")
    return f"arn:aws:rds:{region or parts[3]}:{parts[4]}:auto-backup:ab-{database.db_instance_identifier}"


def _param(overrides, *names):
    for name in names:
        if name in overrides and overrides[name] is not None:
            return overrides[name]
    return None


def _is_false(value):
    return value is False or str(value).lower() == "false"


def _finish_restore_call(backend, database, overrides, request):
    """What RDS does with a restore call that moto skips: the call's settings and tags, then minutes of `creating`."""
    _restored_without_managed_secret(database)
    for key in _FALSE_OVERRIDES:
        camel = "".join(part.capitalize() for part in key.split("_")).replace("Az", "AZ")
        value = _param(overrides, key, camel)
        if value is not None and _is_false(value):
            setattr(database, key, False)
    database.tags = list(_param(overrides, "tags", "Tags") or [])
    database.status = "creating"
    with _restore_lock:
        _pending_restores[(backend.region_name, database.db_instance_identifier)] = {
            "region": backend.region_name,
            "instance": database.db_instance_identifier,
            **request,
        }
    return database


def _source_for_point_in_time(self, source_db_identifier, overrides):
    backups_arn = _param(overrides, "source_db_instance_automated_backups_arn", "SourceDBInstanceAutomatedBackupsArn")
    if backups_arn:
        with _restore_lock:
            found = _replicated_backups.get((self.region_name, backups_arn))
        if found is None:
            raise RDSClientError("DBInstanceAutomatedBackupNotFoundFault", f"automated backups {backups_arn} not found")
        region, instance = found
        return rds_backends[self.account_id][region].describe_db_instances(instance)[0]
    return self.find_db_from_id(source_db_identifier)


def restore_db_instance_to_point_in_time(self, source_db_identifier, target_db_identifier, overrides):
    source = _source_for_point_in_time(self, source_db_identifier, overrides)
    restore_time = _param(overrides, "restore_time", "RestoreTime")
    use_latest = _param(overrides, "use_latest_restorable_time", "UseLatestRestorableTime")
    use_latest = use_latest is not None and not _is_false(use_latest)
    if use_latest and restore_time:
        raise InvalidParameterCombination("Cannot specify both RestoreTime and UseLatestRestorableTime")
    if not use_latest and not restore_time:
        raise InvalidParameterCombination("Either RestoreTime or UseLatestRestorableTime must be specified")
    earliest, latest = restore_window(source)
    target = latest if use_latest else _aware(restore_time)
    if target < earliest or target > latest:
        raise InvalidRestoreFault(f"Restore time {_iso(target)} is outside the restorable window {_iso(earliest)} to {_iso(latest)}")
    if target_db_identifier in self.databases:
        raise DBInstanceAlreadyExists()
    props = {}
    for key, value in source.__dict__.items():
        key = key[1:] if key.startswith("_") else key
        if key in ("backend", "db_subnet_group", "max_allocated_storage", "tags", "replicas", "is_replica", "source_db_instance_identifier"):
            continue
        props[key] = copy.deepcopy(value)
    props["db_name"] = source.db_name
    if not source.option_group_supplied:
        del props["option_group_name"]
    for key, value in overrides.items():
        if value:
            props[key] = value
    props["db_instance_identifier"] = target_db_identifier
    database = self.create_db_instance(props)
    request = {"kind": "point-in-time", "sourceRegion": _region_of(source), "sourceInstance": source.db_instance_identifier, "targetTime": _iso(target)}
    return _finish_restore_call(self, database, overrides, request)


RDSBackend.restore_db_instance_to_point_in_time = restore_db_instance_to_point_in_time


@patches(RDSBackend, "restore_db_instance_from_db_snapshot")
def restore_db_instance_from_db_snapshot(original, self, from_snapshot_id, overrides):
    snapshot_name = self.extract_snapshot_name_from_arn(from_snapshot_id) if from_snapshot_id.startswith("arn:") else from_snapshot_id
    snapshot = self.describe_db_snapshots(db_instance_identifier=None, db_snapshot_identifier=snapshot_name)[0]
    database = original(self, from_snapshot_id, overrides)
    request = {
        "kind": "snapshot",
        "snapshot": snapshot.db_snapshot_identifier,
        "sourceRegion": _region_of(snapshot.database),
        "sourceInstance": snapshot.database.db_instance_identifier,
        "targetTime": _iso(snapshot.original_snapshot_create_time),
    }
    return _finish_restore_call(self, database, overrides, request)


_address = DBInstance.address


def address(self):
    return _endpoints.get((_region_of(self), self.db_instance_identifier)) or _address.fget(self)


DBInstance.address = property(address)


def pending_restores(request, full_url, headers):
    with _restore_lock:
        return 200, {"Content-Type": "application/json"}, json.dumps(list(_pending_restores.values()))


def restored(request, full_url, headers):
    body = _json_body(request, headers)
    key = (body["region"], body["instance"])
    database = rds_backends[DEFAULT_ACCOUNT][body["region"]].databases.get(body["instance"])
    if database is None:
        return 404, {}, "no such instance"
    with _restore_lock:
        _pending_restores.pop(key, None)
        _endpoints[key] = body["address"]
    database.port = int(body["port"])
    database.status = "available"
    return 201, {}, ""


@patches(RDSBackend, "delete_db_instance")
def delete_db_instance(original, self, db_instance_identifier, *args, **kwargs):
    database = original(self, db_instance_identifier, *args, **kwargs)
    with _restore_lock:
        # A deleted instance is no longer being restored, and its endpoint goes with it.
        _pending_restores.pop((self.region_name, db_instance_identifier), None)
        _endpoints.pop((self.region_name, db_instance_identifier), None)
    return database


# --- RDS: a rename takes its time, and never takes a name in use ----------------------

RENAME_SECONDS = float(os.environ.get("MOTO_RDS_RENAME_SECONDS", "1"))


@patches(RDSBackend, "modify_db_instance")
def modify_db_instance_renaming_as_rds(original, self, db_instance_identifier, db_kwargs):
    new_id = db_kwargs.get("new_db_instance_identifier")
    if not new_id:
        return original(self, db_instance_identifier, db_kwargs)
    database = self.describe_db_instances(db_instance_identifier)[0]
    new_id = new_id.lower()
    if new_id in self.databases:
        raise DBInstanceAlreadyExists()
    if database.status != "available":
        raise RDSClientError("InvalidDBInstanceState", f"Database instance is not in available state. (Service: Rds, Status Code: 400) {db_instance_identifier} is {database.status}")
    if not db_kwargs.get("apply_immediately"):
        return database  # RDS renames in the next maintenance window
    old_key = (self.region_name, database.db_instance_identifier)
    db_kwargs["new_db_instance_identifier"] = new_id
    renamed = original(self, db_instance_identifier, db_kwargs)
    with _restore_lock:
        if old_key in _endpoints:
            _endpoints[(self.region_name, new_id)] = _endpoints.pop(old_key)
    renamed.status = "renaming"
    threading.Timer(RENAME_SECONDS, lambda: setattr(renamed, "status", "available")).start()
    return renamed


moto_api_urls.url_paths["{0}/moto-api/dr-stack/rds/restores"] = pending_restores
moto_api_urls.url_paths["{0}/moto-api/dr-stack/rds/restored"] = restored


class _AutomatedBackup:
    """DBInstanceAutomatedBackup as RDS describes it (moto's has only an identifier and a status)."""

    def __init__(self, database, region, arn):
        earliest, latest = restore_window(database)
        self.db_instance_arn = database.db_instance_arn
        self.dbi_resource_id = database.dbi_resource_id
        self.region = _region_of(database)
        self.db_instance_identifier = database.db_instance_identifier
        self.restore_window = {"EarliestTime": earliest, "LatestTime": latest}
        self.allocated_storage = database.allocated_storage
        self.status = "replicating" if region != self.region else "active"
        self.port = database.port
        self.instance_create_time = database.created
        self.master_username = database.master_username
        self.engine = database.engine
        self.engine_version = database.engine_version
        self.encrypted = bool(database.storage_encrypted)
        self.backup_retention_period = database.backup_retention_period
        self.db_instance_automated_backups_arn = arn


def describe_db_instance_automated_backups(self, db_instance_identifier=None, **_):
    found = []
    for database in self.databases.values():
        if int(database.backup_retention_period or 0) > 0 and not database.is_replica:
            found.append(_AutomatedBackup(database, self.region_name, _automated_backups_arn(database)))
    with _restore_lock:
        replicated = [(arn, source) for (region, arn), source in _replicated_backups.items() if region == self.region_name]
    for arn, (region, instance) in replicated:
        database = rds_backends[self.account_id][region].databases.get(instance)
        if database is not None:
            found.append(_AutomatedBackup(database, self.region_name, arn))
    if db_instance_identifier:
        found = [b for b in found if b.db_instance_identifier == db_instance_identifier]
    return found


RDSBackend.describe_db_instance_automated_backups = describe_db_instance_automated_backups


def start_db_instance_automated_backups_replication(self):
    source_arn = self.params.get("SourceDBInstanceArn")
    region, instance = source_arn.split(":")[3], source_arn.split(":")[-1]
    database = rds_backends[self.current_account][region].describe_db_instances(instance)[0]
    arn = _automated_backups_arn(database, self.region)
    with _restore_lock:
        _replicated_backups[(self.region, arn)] = (region, instance)
    return ActionResult({"DBInstanceAutomatedBackup": _AutomatedBackup(database, self.region, arn)})


RDSResponse.start_db_instance_automated_backups_replication = start_db_instance_automated_backups_replication


def automated_backups_replications(self):
    source = (_region_of(self), self.db_instance_identifier)
    with _restore_lock:
        arns = [arn for (_, arn), replicated_from in _replicated_backups.items() if replicated_from == source]
    return [{"DBInstanceAutomatedBackupsArn": arn} for arn in arns]


DBInstance.db_instance_automated_backups_replications = property(automated_backups_replications)

class _NoWaitSelector(selectors.DefaultSelector):
    """Werkzeug's drain after each response, without its 10 ms wait for bytes not yet sent."""

    def select(self, timeout=None):
        return super().select(timeout=0)


def _send_close_notify(original, self, request):
    if isinstance(request, ssl.SSLSocket):
        try:
            request.settimeout(1)
            request.unwrap()
        except (OSError, ValueError):
            pass  # the client went first, or closed without answering: the socket closes anyway
    original(self, request)


def _faithful_tls(argv):
    """Takes --faithful-tls CERT KEY out of argv, installs the TLS fixes, and hands moto -c/-k."""
    if "--faithful-tls" not in argv:
        return argv
    at = argv.index("--faithful-tls")
    cert, key = argv[at + 1], argv[at + 2]
    werkzeug_serving.WSGIRequestHandler.disable_nagle_algorithm = True
    werkzeug_serving.selectors = type("selectors", (), {"DefaultSelector": _NoWaitSelector, "EVENT_READ": selectors.EVENT_READ})
    original = werkzeug_serving.BaseWSGIServer.shutdown_request
    werkzeug_serving.BaseWSGIServer.shutdown_request = lambda self, request: _send_close_notify(original, self, request)
    return argv[:at] + argv[at + 3 :] + ["-c", cert, "-k", key]


if __name__ == "__main__":
    main(_faithful_tls(sys.argv[1:]))
