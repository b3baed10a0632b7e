"""Runs LocalStack (started by Scripts/localstack) with one fix that makes its S3 behave like S3 for the tests.

LocalStack 2026.3 overwrites an object in place: `EphemeralS3StoredObject.write` truncates the stored file, then
copies the request body into it. When the body fails mid-read (a client killed during a PutObject: Twisted closes
the buffered body and the copy raises "I/O operation on closed file"), the bucket keeps the old object's size, ETag
and checksum over a partial body, so later GETs stall (Content-Length never reached) or return wrong bytes.
S3 replaces an object atomically, and the kill tests (SyncKillTests) rely on that. Here the body is read in full
into a spool first; only then is the stored file rewritten, so a failed read leaves the old object untouched.
"""

import runpy
import tempfile

from localstack.services.s3.storage import ephemeral

_write = ephemeral.EphemeralS3StoredObject.write


def _atomic_write(self, stream):
    if stream is None or isinstance(stream, ephemeral.EphemeralS3StoredObject):
        return _write(self, stream)
    spool = tempfile.SpooledTemporaryFile(max_size=ephemeral.S3_MAX_FILE_SIZE_BYTES)
    try:
        while data := stream.read(ephemeral.S3_CHUNK_SIZE):
            spool.write(data)
        spool.seek(0)
        return _write(self, spool)
    finally:
        spool.close()


ephemeral.EphemeralS3StoredObject.write = _atomic_write

runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
