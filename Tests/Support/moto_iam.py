#!/usr/bin/env python3
"""moto's server (S3 + IAM, which enforces IAM policies and checks SigV4 signatures) for the permission tests.

  moto_iam.py serve
      Starts moto on 127.0.0.1 (an ephemeral port). INITIAL_NO_AUTH_ACTION_COUNT must be set (to 3 or more) in
      the environment: the first three actions, unauthenticated, create an `admin` user with an allow-all policy
      and its access key. Prints one JSON line {"port", "adminAccessKeyId", "adminSecretAccessKey"}, then serves
      until its stdin closes (so it never outlives the test process that started it).

  moto_iam.py user --endpoint URL --name NAME --bucket B --prefix P [--actions a,b,...]
      With the admin keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: creates user NAME whose only policy is
      RFC-019's least-privilege statement restricted to --actions (default: its four), and prints
      {"accessKeyId", "secretAccessKey"}.

  moto_iam.py bucket --endpoint URL --name B
      Creates bucket B (as admin).

Only loopback: the server binds 127.0.0.1; the clients refuse a non-loopback endpoint.
"""

import argparse
import json
import os
import sys
import urllib.parse

RFC019_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]


def rfc019_policy(bucket, prefix, actions):
    """RFC-019's IAM policy (Security Considerations), with `actions` in place of its four."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": actions,
                "Resource": ["arn:aws:s3:::%s" % bucket, "arn:aws:s3:::%s/%s/*" % (bucket, prefix)],
            }
        ],
    }


def client(service, endpoint):
    host = urllib.parse.urlsplit(endpoint).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("moto_iam.py: the endpoint must be loopback")
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")


def serve():
    if "INITIAL_NO_AUTH_ACTION_COUNT" not in os.environ:
        sys.exit("moto_iam.py: set INITIAL_NO_AUTH_ACTION_COUNT")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    endpoint = "http://127.0.0.1:%d" % port
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bootstrap")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bootstrap")
    iam = client("iam", endpoint)
    iam.create_user(UserName="admin")
    iam.put_user_policy(
        UserName="admin", PolicyName="all",
        PolicyDocument=json.dumps({"Version": "2012-10-17",
                                   "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    print(json.dumps({"port": port, "adminAccessKeyId": key["AccessKeyId"],
                      "adminSecretAccessKey": key["SecretAccessKey"]}), flush=True)
    sys.stdin.read()
    server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["serve", "user", "bucket"])
    parser.add_argument("--endpoint")
    parser.add_argument("--name")
    parser.add_argument("--bucket")
    parser.add_argument("--prefix", default="opencode-storage")
    parser.add_argument("--actions", default=",".join(RFC019_ACTIONS))
    args = parser.parse_args()
    if args.command == "serve":
        return serve()
    if args.command == "bucket":
        client("s3", args.endpoint).create_bucket(Bucket=args.name)
        return
    iam = client("iam", args.endpoint)
    actions = [a for a in args.actions.split(",") if a]
    iam.create_user(UserName=args.name)
    iam.put_user_policy(UserName=args.name, PolicyName="rfc019",
                        PolicyDocument=json.dumps(rfc019_policy(args.bucket, args.prefix, actions)))
    key = iam.create_access_key(UserName=args.name)["AccessKey"]
    print(json.dumps({"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}))


if __name__ == "__main__":
    main()
