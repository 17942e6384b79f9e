"""Idle sessions for scenario (e) of scripts/bench: many connections that stop after EHLO,
half of them in plaintext and half after STARTTLS, held open while a load runs beside them."""
import concurrent.futures
import resource
import socket
import ssl


def _reply(sock):
    """Reads one whole (possibly multi-line) SMTP reply; returns its code."""
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
        lines = data.split(b"\r\n")
        for line in lines[:-1]:
            if len(line) >= 4 and line[3:4] == b" ":
                return int(line[:3])


def _open(port, tls, context):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        _reply(sock)
        sock.sendall(b"EHLO idle.example\r\n")
        _reply(sock)
        if tls:
            sock.sendall(b"STARTTLS\r\n")
            if _reply(sock) != 220:
                raise ConnectionError("STARTTLS refused")
            sock = context.wrap_socket(sock, server_hostname="localhost")
            sock.sendall(b"EHLO idle.example\r\n")
            _reply(sock)
        return sock
    except Exception:
        sock.close()
        raise


class IdleSessions:
    """`count` sessions held open; half of them (`tls_share`) after STARTTLS."""

    def __init__(self, port, count, tls_share=0.5, ciphers="HIGH:!aNULL:!MD5"):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < count + 1024:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 4096), hard))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_ciphers(ciphers)
        tls_count = int(count * tls_share)
        self.sockets = []
        self.failed = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
            futures = [pool.submit(_open, port, i < tls_count, context) for i in range(count)]
            for future in futures:
                try:
                    self.sockets.append(future.result())
                except (OSError, ConnectionError):
                    self.failed += 1

    def close(self):
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass
        self.sockets = []
