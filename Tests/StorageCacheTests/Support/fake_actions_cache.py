#!/usr/bin/env python3
"""A loopback fake of the GitHub Actions cache service v2 and of its Azure blob storage, for the test suite.

Twirp JSON routes (POST /twirp/github.actions.results.api.v1.CacheService/<Method>), Bearer token checked:
  CreateCacheEntry {key, version} -> {ok, signed_upload_url}
  FinalizeCacheEntryUpload {key, version, size_bytes} -> {ok, entry_id}
  GetCacheEntryDownloadURL {key, restore_keys, version} -> {ok, signed_download_url, matched_key}
Blob routes (/blob/<id>?sp=..&se=..&sig=..; sig = base64 HMAC-SHA256 of "sp\\npath\\nse", expiry checked):
  PUT (x-ms-blob-type: BlockBlob)  Put Blob
  PUT ?comp=block&blockid=<b64>    Put Block
  PUT ?comp=blocklist              Put Block List (XML <BlockList><Latest>id</Latest>...)
  GET with Range: bytes=a-b        ranged read (206 + Content-Range), x-ms-meta-* returned
Control (no auth, loopback only):
  POST /_control/faults {name: count, ...}   faults: deny_write_403, deny_write_ok_false, deny_read_403, twirp_429,
      twirp_500, blob_500, blob_429, truncate_download, stall_download, corrupt_download, expire_download_url; and
      max_entry_bytes (a limit, not a count)
  GET /_control/stats   per-route request counts, the Twirp calls in order ({method, key, restore_keys}) and the
      entries

Prints its port on stdout, then serves until stdin closes. Secrets: the token and signatures are never printed.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "/twirp/github.actions.results.api.v1.CacheService/"
SECRET = os.urandom(32)
TOKEN = os.environ.get("FAKE_CACHE_TOKEN", "")

lock = threading.RLock()
entries = []  # dicts: key, version, blob, size, finalized, sequence, created
blobs = {}  # id -> {"data": bytes or None, "blocks": {id: bytes}, "meta": {}}
faults = {}
stats = {}
calls = []  # Twirp calls in order: {method, key, restore_keys}
sequence = [0]


def take_fault(name):
    with lock:
        count = faults.get(name, 0)
        if count > 0:
            faults[name] = count - 1
            return True
        return False


def count(route):
    with lock:
        stats[route] = stats.get(route, 0) + 1


def sign(permission, path, expiry):
    message = f"{permission}\n{path}\n{expiry}".encode()
    return base64.b64encode(hmac.new(SECRET, message, hashlib.sha256).digest()).decode()


def signed_url(host, blob_id, permission, lifetime):
    path = f"/blob/{blob_id}"
    expiry = str(int(time.time() + lifetime))
    query = urllib.parse.urlencode({"sv": "2024-08-04", "sp": permission, "se": expiry, "sig": sign(permission, path, expiry)})
    return f"http://{host}{path}?{query}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - quiet: never echo URLs with signatures
        pass

    # -- helpers --------------------------------------------------------------------------------------------
    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        data = b""
        while len(data) < length:
            chunk = self.rfile.read(length - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def reply(self, status, payload=b"", headers=None, content_type="application/json"):
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def twirp_error(self, status, code, msg, headers=None):
        self.reply(status, {"code": code, "msg": msg}, headers)

    def azure_error(self, status, code, message):
        xml = f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
        self.reply(status, xml.encode(), {"x-ms-error-code": code}, "application/xml")

    # -- routing --------------------------------------------------------------------------------------------
    def do_POST(self):
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path == "/_control/faults":
            update = json.loads(self.body() or b"{}")
            with lock:
                faults.update(update)
            return self.reply(200, {"ok": True})
        if not parsed.path.startswith(SERVICE):
            return self.twirp_error(404, "bad_route", "no such route")
        method = parsed.path[len(SERVICE):]
        count(method)
        raw = self.body()
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.twirp_error(401, "unauthenticated", "bad or missing runtime token")
        if (self.headers.get("Content-Type") or "").split(";")[0] != "application/json":
            return self.twirp_error(415, "bad_route", "Content-Type must be application/json")
        if take_fault("twirp_429"):
            return self.twirp_error(429, "resource_exhausted", "rate limited", {"Retry-After": "1"})
        if take_fault("twirp_500"):
            return self.twirp_error(500, "internal", "injected failure")
        try:
            request = json.loads(raw)
        except ValueError:
            return self.twirp_error(400, "malformed", "body is not JSON")
        # As a protojson Twirp server: unknown fields are an error, int64 fields come as JSON strings.
        known = {"CreateCacheEntry": {"metadata", "key", "version"},
                 "FinalizeCacheEntryUpload": {"metadata", "key", "size_bytes", "version"},
                 "GetCacheEntryDownloadURL": {"metadata", "key", "restore_keys", "version"}}.get(method, set())
        if not isinstance(request, dict) or set(request) - known:
            return self.twirp_error(400, "malformed", "unknown fields in the request")
        if "size_bytes" in request and not isinstance(request["size_bytes"], str):
            return self.twirp_error(400, "malformed", "size_bytes must be an int64 JSON string")
        if not isinstance(request.get("restore_keys", []), list):
            return self.twirp_error(400, "malformed", "restore_keys must be a list")
        with lock:
            calls.append({"method": method, "key": request.get("key", ""),
                          "restore_keys": request.get("restore_keys", [])})
        handler = {
            "CreateCacheEntry": self.create,
            "FinalizeCacheEntryUpload": self.finalize,
            "GetCacheEntryDownloadURL": self.download_url,
        }.get(method)
        if handler is None:
            return self.twirp_error(404, "bad_route", f"no method {method}")
        return handler(request)

    def create(self, request):
        key, version = request.get("key", ""), request.get("version", "")
        if not key or not version:
            return self.twirp_error(400, "invalid_argument", "key and version are required")
        if take_fault("deny_write_403"):
            return self.twirp_error(403, "permission_denied", "cache write denied: the token for this run is read-only")
        if take_fault("deny_write_ok_false"):
            return self.reply(200, {"ok": False, "message": "cache write denied: the token for this run is read-only"})
        with lock:
            for entry in entries:
                if entry["key"] == key and entry["version"] == version:
                    if entry["finalized"]:
                        return self.twirp_error(409, "already_exists", "cache entry already exists")
                    return self.reply(200, {"ok": False})
            sequence[0] += 1
            blob_id = f"{sequence[0]}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
            blobs[blob_id] = {"data": None, "blocks": {}, "meta": {}}
            entries.append({"key": key, "version": version, "blob": blob_id, "size": 0, "finalized": False,
                            "sequence": sequence[0]})
        return self.reply(200, {"ok": True, "signed_upload_url": signed_url(self.headers["Host"], blob_id, "w", 600)})

    def finalize(self, request):
        key, version = request.get("key", ""), request.get("version", "")
        size = int(request.get("size_bytes", "0"))
        limit = faults.get("max_entry_bytes")
        if limit is not None and size > limit:
            return self.twirp_error(400, "invalid_argument", f"cache entry of {size} bytes is over the limit")
        with lock:
            for entry in entries:
                if entry["key"] == key and entry["version"] == version and not entry["finalized"]:
                    blob = blobs[entry["blob"]]
                    if blob["data"] is None or len(blob["data"]) != size:
                        return self.twirp_error(400, "invalid_argument", "size does not match the uploaded blob")
                    entry["finalized"] = True
                    entry["size"] = size
                    entry["created"] = time.time()
                    return self.reply(200, {"ok": True, "entry_id": str(entry["sequence"])})
        return self.twirp_error(404, "not_found", "no reserved cache entry")

    def download_url(self, request):
        if take_fault("deny_read_403"):
            return self.twirp_error(403, "permission_denied", "cache read denied: the token for this run may not read")
        key, version = request.get("key", ""), request.get("version", "")
        restore_keys = request.get("restore_keys", [])
        with lock:
            ready = [e for e in entries if e["finalized"] and e["version"] == version]
            match = next((e for e in ready if e["key"] == key), None)
            if match is None:
                for prefix in restore_keys:
                    candidates = [e for e in ready if e["key"].startswith(prefix)]
                    if candidates:
                        match = max(candidates, key=lambda e: e["sequence"])
                        break
        if match is None:
            return self.reply(200, {"ok": False, "signed_download_url": "", "matched_key": ""})
        lifetime = -5 if take_fault("expire_download_url") else 600
        url = signed_url(self.headers["Host"], match["blob"], "r", lifetime)
        return self.reply(200, {"ok": True, "signed_download_url": url, "matched_key": match["key"]})

    def blob_auth(self, permission):
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        match = re.fullmatch(r"/blob/([^/]+)", parsed.path)
        if match is None or match.group(1) not in blobs:
            self.azure_error(404, "BlobNotFound", "The specified blob does not exist.")
            return None
        expected = sign(query.get("sp", ""), parsed.path, query.get("se", ""))
        if query.get("sp") != permission or not hmac.compare_digest(expected, query.get("sig", "")):
            self.azure_error(403, "AuthenticationFailed", "Signature did not match.")
            return None
        if int(query.get("se", "0")) < time.time():
            self.azure_error(403, "AuthenticationFailed", "Signed expiry time has passed.")
            return None
        return match.group(1), query

    def do_PUT(self):
        count("blob-put")
        data = self.body()
        auth = self.blob_auth("w")
        if auth is None:
            return
        blob_id, query = auth
        if take_fault("blob_500"):
            return self.azure_error(500, "InternalError", "injected failure")
        if take_fault("blob_429"):
            return self.azure_error(503, "ServerBusy", "The server is busy.")
        blob = blobs[blob_id]
        meta = {k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-ms-meta-")}
        comp = query.get("comp")
        with lock:
            if comp == "block":
                block_id = query.get("blockid", "")
                try:
                    base64.b64decode(block_id, validate=True)
                except ValueError:
                    return self.azure_error(400, "InvalidQueryParameterValue", "blockid is not base64")
                lengths = {len(b) for b in blob["blocks"]}
                if lengths and len(block_id) not in lengths:
                    return self.azure_error(400, "InvalidBlobOrBlock", "block ids must have one length")
                blob["blocks"][block_id] = data
                count("put-block")
                return self.reply(201, b"")
            if comp == "blocklist":
                ids = re.findall(r"<(?:Latest|Uncommitted|Committed)>([^<]*)</", data.decode())
                if any(i not in blob["blocks"] for i in ids):
                    return self.azure_error(400, "InvalidBlockList", "a block in the list was not uploaded")
                blob["data"] = b"".join(blob["blocks"][i] for i in ids)
                blob["blocks"] = {}
                blob["meta"] = meta
                count("put-block-list")
                return self.reply(201, b"")
            if comp is not None:
                return self.azure_error(400, "InvalidQueryParameterValue", "unsupported comp")
            if self.headers.get("x-ms-blob-type") != "BlockBlob":
                return self.azure_error(400, "MissingRequiredHeader", "x-ms-blob-type is required")
            blob["data"] = data
            blob["meta"] = meta
            count("put-blob")
            return self.reply(201, b"")

    def do_GET(self):
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path == "/_control/stats":
            with lock:
                listing = [{k: v for k, v in e.items()} for e in entries]
                return self.reply(200, {"stats": dict(stats), "calls": list(calls), "entries": listing})
        count("blob-get")
        auth = self.blob_auth("r")
        if auth is None:
            return
        blob_id, _ = auth
        if take_fault("blob_500"):
            return self.azure_error(500, "InternalError", "injected failure")
        data = blobs[blob_id]["data"] or b""
        start, end = 0, len(data) - 1
        status = 200
        header = self.headers.get("Range") or self.headers.get("x-ms-range")
        if header:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", header.strip())
            if m is None or int(m.group(1)) >= len(data):
                return self.azure_error(416, "InvalidRange", "The range specified is invalid.")
            start = int(m.group(1))
            end = min(int(m.group(2)) if m.group(2) else len(data) - 1, len(data) - 1)
            status = 206
        chunk = data[start:end + 1]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(chunk)))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        for name, value in blobs[blob_id]["meta"].items():
            self.send_header(name, value)
        self.end_headers()
        if len(chunk) > 1 and take_fault("corrupt_download"):
            middle = len(chunk) // 2
            chunk = chunk[:middle] + bytes([chunk[middle] ^ 0xFF]) + chunk[middle + 1:]
        if take_fault("truncate_download") and len(chunk) > 1:
            self.wfile.write(chunk[: len(chunk) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if take_fault("stall_download") and len(chunk) > 1:
            self.wfile.write(chunk[: len(chunk) // 2])
            self.wfile.flush()
            time.sleep(30)
            self.close_connection = True
            return
        self.wfile.write(chunk)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
