"""Real local servers the alert tests deliver to: a tiny SMTP server and an HTTP webhook."""

from __future__ import annotations

import http.server
import socketserver
import threading
from typing import Any


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough RFC 5321 for smtplib's send_message: EHLO/HELO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        server: Any = self.server
        self.wfile.write(b"220 test ESMTP\r\n")
        mail: dict[str, Any] = {"rcpt": []}
        while line := self.rfile.readline():
            cmd = line.decode().strip()
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == "MAIL":
                mail = {"from": cmd, "rcpt": []}
                self.wfile.write(b"250 OK\r\n")
            elif verb == "RCPT":
                mail["rcpt"].append(cmd)
                self.wfile.write(b"250 OK\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go on\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                mail["data"] = b"".join(data).decode()
                server.messages.append(mail)
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[dict[str, Any]] = []


class _HookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server: Any = self.server
        n = int(self.headers.get("Content-Length", 0))
        server.posts.append((self.path, self.rfile.read(n).decode()))
        self.send_response(server.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class HookServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, status: int = 204) -> None:
        super().__init__(("127.0.0.1", 0), _HookHandler)
        self.posts: list[tuple[str, str]] = []
        self.status = status


def serve(server: socketserver.BaseServer) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return t
