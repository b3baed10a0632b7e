#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the S3 integration tests.

Listens on 127.0.0.1 (an ephemeral port unless --port is given), forwards every request to --upstream
(LocalStack) with its Host header untouched (so SigV4 signatures still match), and answers a seeded-random
share of requests itself before forwarding them: an S3-style 503 SlowDown, or a TCP reset (RST, no response).

Prints `PORT <n>` on stdout once it is listening.

Control endpoint (not counted, not faulted):
  GET  /__proxy/stats             -> {"requests": N, "forwarded": F, "faults": {"503": a, "reset": b}, "forced": c,
                                      "methods": {"GET": g, "PUT": p, ...}}
  POST /__proxy/config?force_status=403&fault_rate=0.2   (force_status=0 turns forcing off)
  POST /__proxy/config?bucket_region=eu-west-1   requests not signed for that region get S3's 301
                                           PermanentRedirect with x-amz-bucket-region (empty value: off)
  POST /__proxy/config?lost_completes=N    the next N CompleteMultipartUpload calls are forwarded (and take
                                           effect) but the answer is lost: the client sees a reset
  POST /__proxy/config?complete_errors=N   the next N CompleteMultipartUpload calls (POST ...?uploadId=) get
                                           a 200 whose body is an <Error> InternalError, as S3 sometimes sends
  GET  /__proxy/requests          -> [{"method", "path", "query", "owner"}, ...] every request seen (recording mode):
                                     `owner` is its x-amz-expected-bucket-owner header, or null. No other
                                     header is kept (never Authorization)
  POST /__proxy/config?bucket_owner=ID     play S3's bucket owner condition: a request whose
                                           x-amz-expected-bucket-owner is not ID gets 403 AccessDenied (empty: off)
  POST /__proxy/reset             -> zero the counters and the recording

Only loopback: it binds 127.0.0.1 and refuses an upstream that is not a loopback address.
"""

import argparse
import http.client
import http.server
import json
import random
import socket
import socketserver
import struct
import sys
import threading
import urllib.parse

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "expect",
}


class State:
    def __init__(self, seed, fault_rate, reset_share, force_status):
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.fault_rate = fault_rate
        self.reset_share = reset_share
        self.force_status = force_status
        self.complete_errors = 0
        self.bucket_region = ""
        self.lost_completes = 0
        self.bucket_owner = ""
        self.zero()

    def zero(self):
        self.requests = 0
        self.forwarded = 0
        self.faults = {"503": 0, "reset": 0}
        self.forced = 0
        self.complete_errors_sent = 0
        self.redirects = 0
        self.methods = {}
        self.recorded = []

    def record(self, method, path, owner):
        with self.lock:
            self.recorded.append({"method": method, "path": path.split("?")[0], "query": path.partition("?")[2],
                                  "owner": owner})

    def decide(self, method, path, authorization):
        """Returns 'redirect', 'forced', 'complete-error', '503', 'reset' or None, and counts the request."""
        with self.lock:
            self.requests += 1
            self.methods[method] = self.methods.get(method, 0) + 1
            if self.bucket_region and ("/%s/" % self.bucket_region) not in authorization:
                self.redirects += 1
                return "redirect"
            if self.lost_completes > 0 and method == "POST" and "uploadId=" in path:
                self.lost_completes -= 1
                self.faults["lost"] = self.faults.get("lost", 0) + 1
                return "forward-then-reset"
            if self.complete_errors > 0 and method == "POST" and "uploadId=" in path:
                self.complete_errors -= 1
                self.complete_errors_sent += 1
                return "complete-error"
            if self.force_status:
                self.forced += 1
                return "forced"
            if self.random.random() < self.fault_rate:
                kind = "reset" if self.random.random() < self.reset_share else "503"
                self.faults[kind] += 1
                return kind
            self.forwarded += 1
            return None

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "forwarded": self.forwarded, "faults": dict(self.faults),
                    "forced": self.forced, "completeErrors": self.complete_errors_sent, "redirects": self.redirects,
                    "methods": dict(self.methods)}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault-proxy"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fault-proxy: " + (fmt % args) + "\n")

    def handle(self):
        try:
            super().handle()
        except (ConnectionError, OSError):
            pass

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        chunks = []
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            length -= len(chunk)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return b"".join(chunks)

    def _send(self, status, body, content_type="application/xml", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _control(self):
        state = self.server.state
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        if parsed.path == "/__proxy/stats":
            self._send(200, json.dumps(state.stats()).encode(), "application/json")
        elif parsed.path == "/__proxy/requests":
            with state.lock:
                recorded = list(state.recorded)
            self._send(200, json.dumps(recorded).encode(), "application/json")
        elif parsed.path == "/__proxy/config":
            with state.lock:
                if "force_status" in query:
                    state.force_status = int(query["force_status"][0])
                if "bucket_owner" in query:
                    state.bucket_owner = query["bucket_owner"][0]
                if "bucket_region" in query:
                    state.bucket_region = query["bucket_region"][0]
                if "lost_completes" in query:
                    state.lost_completes = int(query["lost_completes"][0])
                if "complete_errors" in query:
                    state.complete_errors = int(query["complete_errors"][0])
                if "fault_rate" in query:
                    state.fault_rate = float(query["fault_rate"][0])
            self._send(200, b"{}", "application/json")
        elif parsed.path == "/__proxy/reset":
            with state.lock:
                state.zero()
            self._send(200, b"{}", "application/json")
        else:
            self._send(404, b"{}", "application/json")

    def _reset_connection(self):
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _handle(self):
        if self.path.startswith("/__proxy/"):
            self._read_body()
            return self._control()
        body = self._read_body()
        owner = self.headers.get("x-amz-expected-bucket-owner")
        self.server.state.record(self.command, self.path, owner)
        if owner is not None and self.server.state.bucket_owner and owner != self.server.state.bucket_owner:
            xml = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied"
                   b"</Message><RequestId>fault-proxy</RequestId></Error>")
            return self._send(403, xml)
        decision = self.server.state.decide(self.command, self.path, self.headers.get("Authorization", ""))
        if decision == "redirect":
            region = self.server.state.bucket_region
            xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect</Code><Message>The bucket"
                   " you are attempting to access must be addressed using the specified endpoint.</Message>"
                   "<RequestId>fault-proxy</RequestId></Error>").encode()
            return self._send(301, xml, extra=[("x-amz-bucket-region", region)])
        if decision == "complete-error":
            xml = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code><Message>We"
                   b" encountered an internal error. Please try again.</Message><RequestId>fault-proxy</RequestId>"
                   b"</Error>")
            return self._send(200, xml)
        if decision == "forced":
            status = self.server.state.force_status
            code = "AccessDenied" if status == 403 else "InjectedError"
            xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>injected by the fault"
                   " proxy</Message><RequestId>fault-proxy</RequestId></Error>" % code).encode()
            return self._send(status, xml)
        if decision == "503":
            xml = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce"
                   b" your request rate.</Message><RequestId>fault-proxy</RequestId></Error>")
            return self._send(503, xml)
        if decision == "reset":
            return self._reset_connection()
        if decision == "forward-then-reset":
            self._forward(body, discard=True)
            return self._reset_connection()
        self._forward(body)

    def _forward(self, body, discard=False):
        """Sends the request upstream and relays the answer (or, with `discard`, drops it)."""
        host, port = self.server.upstream
        upstream = http.client.HTTPConnection(host, port, timeout=120)
        try:
            upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() in HOP_BY_HOP or name.lower() == "content-length":
                    continue
                upstream.putheader(name, value)
            if body or self.command in ("PUT", "POST"):
                upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders()
            if body:
                upstream.send(body)
            response = upstream.getresponse()
            if discard:
                response.read()
                return
            self.send_response(response.status, response.reason)
            length = response.getheader("Content-Length")
            payload = None
            if length is None and self.command != "HEAD":
                payload = response.read()
                length = str(len(payload))
            for name, value in response.getheaders():
                if name.lower() in HOP_BY_HOP or name.lower() in ("content-length", "server", "date"):
                    continue
                self.send_header(name, value)
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            if self.command == "HEAD":
                return
            if payload is not None:
                self.wfile.write(payload)
            else:
                while True:
                    chunk = response.read(1 << 20)
                    if not chunk:
                        break
                    self.wfile.write(chunk)
        finally:
            upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", default="http://127.0.0.1:4566")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of requests faulted (0..1)")
    parser.add_argument("--reset-share", type=float, default=0.5, help="share of faults that are resets")
    parser.add_argument("--force-status", type=int, default=0, help="answer every request with this status")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    upstream = urllib.parse.urlsplit(args.upstream)
    if upstream.scheme != "http" or upstream.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the upstream must be a plain-http loopback URL")
    server = Server(("127.0.0.1", args.port), Handler)
    server.upstream = (upstream.hostname, upstream.port or 80)
    server.state = State(args.seed, args.fault_rate, args.reset_share, args.force_status)
    server.verbose = args.verbose
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
