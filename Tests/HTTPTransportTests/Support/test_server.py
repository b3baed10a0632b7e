"""A loopback-only HTTP/1.1 server for HTTPTransportTests.

Binds 127.0.0.1 on an ephemeral port, prints the port on stdout, and exits when stdin closes (the test
process ended). With `--tls CERT KEY` it speaks HTTPS (HTTP/1.1 only over ALPN). Endpoints:
  GET  /hello               200, "hello world", header X-Test-Header: Value-1
  *    /echo-headers        200, the method, then the request headers as "name: value" lines
  GET  /bytes?n=N           200, N bytes of the pattern i % 251 (HEAD: headers only)
  PUT|POST /sha256          reads the body, 200 "<sha256 hex> <length>"
  GET  /status/404          404, an S3-style XML error body
  GET  /stall[?s=S]         200 with Content-Length 1000, then no body for S seconds (default 60)
  GET  /slow?ms=M           sleeps M ms, then 200 "slow"
  GET  /connections         200, how many TCP connections this server has accepted
  GET  /free-port           200, a port that was just bound and closed (nothing listens on it)
"""

import hashlib
import http.server
import socket
import ssl
import sys
import threading
import time
import urllib.parse

connections = 0
connections_lock = threading.Lock()


def pattern(n):
    block = bytes(i % 251 for i in range(251))
    return (block * (n // 251 + 1))[:n]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        global connections
        with connections_lock:
            connections += 1
        super().setup()

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_pattern(self, n):
        """Streams n pattern bytes in chunks (a multiple of 251 long, so the pattern runs on)."""
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        chunk = pattern(251 * 4096)
        while n > 0:
            piece = chunk[: min(n, len(chunk))]
            self.wfile.write(piece)
            n -= len(piece)

    def echo_headers(self):
        text = f"{self.command}\n" + "".join(f"{name}: {value}\n" for name, value in self.headers.items())
        self.reply(200, text.encode())

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        return url.path, urllib.parse.parse_qs(url.query)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path, query = self.route()
        if path == "/hello":
            self.reply(200, b"hello world", [("X-Test-Header", "Value-1")])
        elif path == "/echo-headers":
            self.echo_headers()
        elif path == "/bytes":
            self.send_pattern(int(query["n"][0]))
        elif path == "/status/404":
            body = b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code></Error>"
            self.reply(404, body, [("Content-Type", "application/xml")])
        elif path == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.flush()
            time.sleep(int(query.get("s", ["60"])[0]))
            self.close_connection = True
        elif path == "/slow":
            time.sleep(int(query["ms"][0]) / 1000)
            self.reply(200, b"slow")
        elif path == "/connections":
            with connections_lock:
                count = connections
            self.reply(200, str(count).encode())
        elif path == "/free-port":
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            probe.close()
            self.reply(200, str(port).encode())
        else:
            self.reply(404, b"no such endpoint")

    def do_PUT(self):
        path, _ = self.route()
        length = int(self.headers.get("Content-Length", "0"))
        digest = hashlib.sha256()
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
        if path == "/sha256":
            self.reply(200, f"{digest.hexdigest()} {length - remaining}".encode())
        elif path == "/echo-headers":
            self.echo_headers()
        else:
            self.reply(404, b"no such endpoint")

    do_POST = do_PUT
    do_DELETE = do_PUT


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def handle_error(self, request, client_address):
        # Clients hang up on purpose (aborted uploads, timeouts, cancellation): nothing to report.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    server = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        context.set_alpn_protocols(["http/1.1"])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__":
    main()
