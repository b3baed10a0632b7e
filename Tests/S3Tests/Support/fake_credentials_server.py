"""A loopback-only fake of STS, the container credentials endpoint and EC2 instance metadata (IMDSv2).

Binds 127.0.0.1 on an ephemeral port, prints the port on stdout, and exits when stdin closes.
Usage: fake_credentials_server.py [--lifetime SECONDS]   (credential lifetime, default 3600)

  POST /sts                         AssumeRoleWithWebIdentity (form body); token "bad" -> 400 InvalidIdentityToken,
                                    a token "flaky..." -> 400 IDPCommunicationError the first time
  GET  /container/creds             needs Authorization: container-auth-token
  PUT  /latest/api/token            needs X-aws-ec2-metadata-token-ttl-seconds; answers the token imds-token-abc
  GET  /latest/meta-data/iam/security-credentials/         needs the token; answers "test-role"
  GET  /latest/meta-data/iam/security-credentials/test-role needs the token; answers credentials JSON
  GET  /stats                       counters and the last STS form, as JSON
  GET  /free-port                   a port that was just bound and closed
"""

import datetime
import http.server
import json
import socket
import sys
import threading
import urllib.parse

LIFETIME = 3600
IMDS_TOKEN = "imds-token-abc"
CONTAINER_AUTH = "container-auth-token"
ROLE_ARN = "arn:aws:iam::123456789012:role/storage-cache-test"

stats = {"sts": 0, "container": 0, "imds_token": 0, "imds_role": 0, "imds_creds": 0, "last_sts_form": None}
lock = threading.Lock()
flaky_seen = set()


def count(name):
    with lock:
        stats[name] += 1
        return stats[name]


def expiration():
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=LIFETIME)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/plain"):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self):
        body = self.body()
        if self.path != "/sts":
            return self.reply(404, "not found")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        with lock:
            stats["last_sts_form"] = form
        n = count("sts")
        if form.get("Action") != "AssumeRoleWithWebIdentity" or form.get("Version") != "2011-06-15":
            return self.reply(400, error_xml("InvalidAction", "unexpected action"), "text/xml")
        if form.get("RoleArn") != ROLE_ARN:
            return self.reply(403, error_xml("AccessDenied", "Not authorized to assume this role"), "text/xml")
        token = form.get("WebIdentityToken") or ""
        with lock:
            first_flaky = token.startswith("flaky") and token not in flaky_seen
            flaky_seen.add(token)
        if first_flaky:
            return self.reply(400, error_xml("IDPCommunicationError", "try again"), "text/xml")
        if token in ("", "bad"):
            return self.reply(400, error_xml("InvalidIdentityToken", "The token is not valid"), "text/xml")
        xml = f"""<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ci:runner</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/storage-cache-test/{form.get("RoleSessionName")}</Arn>
      <AssumedRoleId>AROAEXAMPLE:{form.get("RoleSessionName")}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>stsToken{n}</SessionToken>
      <SecretAccessKey>stsSecret{n}</SecretAccessKey>
      <Expiration>{expiration()}</Expiration>
      <AccessKeyId>ASIASTS{n}</AccessKeyId>
    </Credentials>
    <Provider>oidc.example.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>"""
        self.reply(200, xml, "text/xml")

    def do_PUT(self):
        self.body()
        if self.path != "/latest/api/token":
            return self.reply(404, "not found")
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "missing ttl")
        count("imds_token")
        self.reply(200, IMDS_TOKEN)

    def do_GET(self):
        prefix = "/latest/meta-data/iam/security-credentials/"
        if self.path == "/stats":
            with lock:
                return self.reply(200, json.dumps(stats), "application/json")
        if self.path == "/free-port":
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            return self.reply(200, str(port))
        if self.path == "/container/creds":
            if self.headers.get("Authorization") != CONTAINER_AUTH:
                return self.reply(401, "unauthorized")
            n = count("container")
            return self.reply(200, creds_json("ASIACONTAINER", n), "application/json")
        if self.path.startswith(prefix):
            if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
                return self.reply(401, "unauthorized")
            role = self.path[len(prefix):]
            if role == "":
                count("imds_role")
                return self.reply(200, "test-role\n")
            if role == "test-role":
                n = count("imds_creds")
                return self.reply(200, creds_json("ASIAIMDS", n, code=True), "application/json")
        self.reply(404, "not found")


def creds_json(prefix, n, code=False):
    doc = {
        "AccessKeyId": f"{prefix}{n}",
        "SecretAccessKey": f"secret{n}",
        "Token": f"token{n}",
        "Expiration": expiration(),
    }
    if code:
        doc.update({"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": expiration()})
    else:
        doc["RoleArn"] = ROLE_ARN
    return json.dumps(doc)


def error_xml(code, message):
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>0</RequestId></ErrorResponse>"
    )


def main():
    global LIFETIME
    if len(sys.argv) == 3 and sys.argv[1] == "--lifetime":
        LIFETIME = int(sys.argv[2])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # until the test process closes stdin or exits
    server.shutdown()


if __name__ == "__main__":
    main()
