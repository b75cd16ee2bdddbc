"""Starts moto_server with corrections so that the test stack behaves like AWS where moto does not.

1. moto 5.2's PromoteReadReplica flips `is_replica` and nothing else: the promoted
instance keeps `ReadReplicaSourceDBInstanceIdentifier` and stays in its source's
`ReadReplicaDBInstanceIdentifiers`. Real RDS clears both once promotion completes,
and promotion takes time: right after the call the instance still reads as an
`available` replica, then `modifying`, and only then a standalone `available`
instance. The failover action must wait for that end state, so the stack models it.

MOTO_RDS_PROMOTE_SECONDS (default 2) sets how long a promotion takes.

2. S3 DeleteObjects refuses more than 1,000 keys in one request (MalformedXML); moto takes any
number, so a client that forgot to batch would pass against moto and fail against S3.

Usage: python3 moto_launcher.py -H 127.0.0.1 -p PORT
"""

import os
import threading

import xmltodict
from moto.rds.models import RDSBackend
from moto.s3.exceptions import MalformedXML
from moto.s3.responses import S3Response
from moto.server import main

PROMOTE_SECONDS = float(os.environ.get("MOTO_RDS_PROMOTE_SECONDS", "2"))


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
    if not database.is_replica or getattr(database, "_promoting", False):
        return database
    database._promoting = True
    database.update(**db_kwargs)

    def start():
        database.status = "modifying"

    def finish():
        _finish_promotion(self, database)
        database._promoting = False

    threading.Timer(PROMOTE_SECONDS * 0.2, start).start()
    threading.Timer(PROMOTE_SECONDS, finish).start()
    return database


RDSBackend.promote_read_replica = promote_read_replica

DELETE_OBJECTS_LIMIT = 1000
_delete_keys = S3Response._bucket_response_delete_keys


def delete_keys_within_limit(self, bucket_name, authenticated=True):
    objects = xmltodict.parse(self.body).get("Delete", {}).get("Object", [])
    if isinstance(objects, list) and len(objects) > DELETE_OBJECTS_LIMIT:
        raise MalformedXML()
    return _delete_keys(self, bucket_name, authenticated)


S3Response._bucket_response_delete_keys = delete_keys_within_limit

if __name__ == "__main__":
    main()
