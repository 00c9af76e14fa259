#!/usr/bin/python3
"""Origin servers for the egress tests, on 127.0.0.1 only.

    egress_servers.py http LOG            plain HTTP
    egress_servers.py tls LOG CERT KEY    HTTPS with the test CA's certificate
    egress_servers.py git LOG ROOT        git smart HTTP (git http-backend as CGI)

Prints "PORT <n>" once listening. Every request the server receives is
appended to LOG as "METHOD PATH auth=<Authorization header>", so a test can
assert that a refused request never arrived. Responses echo the same line.
"""
import http.server
import os
import socketserver
import ssl
import subprocess
import sys


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_handler(log_path, git_root=None):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def record(self):
            line = "%s %s auth=%s" % (self.command, self.path,
                                      self.headers.get("Authorization", "-"))
            with open(log_path, "a") as f:
                f.write(line + "\n")
            return line

        def body(self):
            n = int(self.headers.get("Content-Length", "0") or "0")
            return self.rfile.read(n) if n > 0 else b""

        def echo(self):
            line = self.record()
            data = self.body()
            out = (line + "\n").encode() + data
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)

        def git(self):
            self.record()
            path, _, query = self.path.partition("?")
            env = dict(os.environ)
            env.update({
                "GIT_PROJECT_ROOT": git_root,
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "REMOTE_ADDR": "127.0.0.1",
            })
            data = self.body()
            env["CONTENT_LENGTH"] = str(len(data))
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            proc = subprocess.run(["git", "http-backend"], input=data, env=env,
                                  capture_output=True)
            head, _, payload = proc.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for raw in head.split(b"\r\n"):
                name, _, value = raw.decode().partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def handle_any(self):
            if git_root is not None:
                self.git()
            else:
                self.echo()

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = handle_any

    return Handler


def main():
    mode, log_path = sys.argv[1], sys.argv[2]
    git_root = sys.argv[3] if mode == "git" else None
    server = Server(("127.0.0.1", 0), make_handler(log_path, git_root))
    if mode == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
