"""Signs test cases with botocore's S3 SigV4 signers, as an oracle for storage-cache's SigV4Signer.

Usage: botocore_sign.py CASES.json  -> prints a JSON list of {"authorization": ..., "presigned": ...}

Each case: method, url (already encoded), headers ([[name, value], ...]), body (text), signPayload (bool),
accessKeyID, secretAccessKey, sessionToken (or null), region, epoch (seconds), expires (presign seconds).
No network access: botocore only computes signatures here.
"""

import datetime
import json
import sys
from unittest import mock

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials


def sign(case):
    credentials = Credentials(case["accessKeyID"], case["secretAccessKey"], case.get("sessionToken"))
    now = datetime.datetime.fromtimestamp(case["epoch"], datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=now):
        request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode("utf-8"))
        for name, value in case["headers"]:
            request.headers[name] = value
        request.context["client_config"] = Config(s3={"payload_signing_enabled": case["signPayload"]})
        S3SigV4Auth(credentials, "s3", case["region"]).add_auth(request)
        authorization = request.headers["Authorization"]

        presign = AWSRequest(method=case["method"], url=case["url"])
        S3SigV4QueryAuth(credentials, "s3", case["region"], expires=case["expires"]).add_auth(presign)
        return {"authorization": authorization, "presigned": presign.url}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    json.dump([sign(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
