# SPDX-License-Identifier: MIT
"""A real nginx (Debian's package) running docs/nginx/rcauth-gate.conf — the documented
file itself, with only its three addresses replaced — in front of a small upstream API
that echoes what it received. Everything lives in a temp dir: nginx's prefix, conf, pid,
logs and temp paths; nginx runs in the foreground (`daemon off`) as the current user and is
stopped by its own pid."""

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import helpers

GATE_CONF = os.path.join(helpers.REPO_ROOT, "docs", "nginx", "rcauth-gate.conf")
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")

# The addresses docs/nginx/rcauth-gate.conf ships with, each replaced exactly once.
DOC_RCAUTH = "server 127.0.0.1:8080;"
DOC_API = "server 127.0.0.1:9000;"
DOC_LISTEN = "listen 127.0.0.1:8443;"


def nginx_binary():
    """The nginx binary, or an AssertionError saying how to get it (never a skip: the gate's
    acceptance needs a real nginx)."""
    for path in NGINX_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    found = shutil.which("nginx")
    if found:
        return found
    raise AssertionError("nginx is not installed: the gate tests need Debian's nginx package "
                         "(run scripts/install-deps.sh, or apt-get install nginx)")


def gate_conf(rcauth_port, api_port, listen_port):
    """The documented config with its three addresses pointed at this test's processes."""
    with open(GATE_CONF) as f:
        text = f.read()
    for doc, real in ((DOC_RCAUTH, "server 127.0.0.1:%d;" % rcauth_port),
                      (DOC_API, "server 127.0.0.1:%d;" % api_port),
                      (DOC_LISTEN, "listen 127.0.0.1:%d;" % listen_port)):
        assert text.count(doc) == 1, "%s: expected %r once" % (GATE_CONF, doc)
        text = text.replace(doc, real)
    return text


class UpstreamAPI:
    """A stand-in for the Remote Control API: answers every method 200 with a JSON echo of
    the method, the request target, the X-Rcauth-* headers and the body length it got, and
    remembers every request (by the X-Test-Id the test gave it)."""

    def __init__(self):
        self.seen = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                got = {"test_id": self.headers.get("X-Test-Id"),
                       "method": self.command, "path": self.path,
                       "client_id": self.headers.get("X-Rcauth-Client-Id"),
                       "account": self.headers.get("X-Rcauth-Account"),
                       "x_rcauth_headers": len([k for k in self.headers.keys()
                                                if k.lower().startswith("x-rcauth-")]),
                       "body_len": len(body),
                       "header_names": sorted(k.lower() for k in self.headers.keys())}
                api.seen.append(got)
                out = json.dumps(got).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(out)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Nginx:
    """nginx in the foreground with its own prefix in workdir."""

    def __init__(self, workdir, rcauth_port, api_port):
        self.binary = nginx_binary()
        self.dir = workdir
        self.port = helpers.free_port()
        self.proc = None
        os.makedirs(os.path.join(workdir, "logs"), exist_ok=True)
        with open(os.path.join(workdir, "rcauth-gate.conf"), "w") as f:
            f.write(gate_conf(rcauth_port, api_port, self.port))
        temp = "\n".join("    %s_temp_path %s;" % (k, os.path.join(workdir, k))
                         for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # As root, nginx's workers would switch to "nobody", who cannot enter the temp dir.
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.conf = os.path.join(workdir, "nginx.conf")
        self.error_log = os.path.join(workdir, "logs", "error.log")
        with open(self.conf, "w") as f:
            f.write("""%sdaemon off;
worker_processes 1;
pid %s;
error_log %s info;
events { worker_connections 256; }
http {
    access_log %s;
%s
    include %s;
}
""" % (user, os.path.join(workdir, "nginx.pid"), self.error_log,
                os.path.join(workdir, "logs", "access.log"), temp,
                os.path.join(workdir, "rcauth-gate.conf")))

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def log_text(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self, timeout=10):
        argv = [self.binary, "-p", self.dir + "/", "-c", self.conf, "-e", self.error_log]
        check = subprocess.run(argv + ["-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, "nginx -t refused the config:\n%s%s" % (check.stdout,
                                                                           check.stderr)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError("nginx did not start on port %d; error log:\n%s"
                             % (self.port, self.log_text()))

    def stop(self):
        """Fast shutdown (SIGTERM) of the master we started; it takes its workers along."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
