"""A small DNS responder for tests, on loopback UDP: answers, delays, drops or fails each
question by rules, so the engine's resolver can be tried against a server that misbehaves.
Standard library only. Rules are tried in order, first match wins; a question no rule
matches gets NXDOMAIN. A rule is a dict:

    {"name": "*.in-addr.arpa", "type": "PTR", "action": "drop"}
    {"name": "1.0.0.127.in-addr.arpa", "type": "PTR", "values": ["mail.test"]}
    {"name": "mail.test", "type": "A", "values": ["127.0.0.1"], "delay": 0.5}

`name` is a shell-style pattern (case-insensitive), `type` a record type or "*", `action` one
of answer (the default), drop, nxdomain, nodata, servfail; `delay` seconds before replying.

Run as a program it reads the rules (JSON) from its argument, binds 127.0.0.1 on a free port,
prints the port on a line and serves until stdin closes."""
import fnmatch
import ipaddress
import json
import socket
import struct
import sys
import threading

TYPES = {"A": 1, "PTR": 12, "MX": 15, "AAAA": 28}
NAMES = {v: k for k, v in TYPES.items()}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(packet):
    """(id, flags, name, qtype, end of question) of a query."""
    ident, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        raise ValueError("one question expected")
    labels, at = [], 12
    while packet[at]:
        length = packet[at]
        labels.append(packet[at + 1:at + 1 + length].decode("ascii", "replace"))
        at += 1 + length
    qtype, _ = struct.unpack("!HH", packet[at + 1:at + 5])
    return ident, flags, ".".join(labels), qtype, at + 5


def rdata(qtype, value):
    if qtype == TYPES["A"]:
        return ipaddress.IPv4Address(value).packed
    if qtype == TYPES["AAAA"]:
        return ipaddress.IPv6Address(value).packed
    if qtype == TYPES["PTR"]:
        return encode_name(value)
    if qtype == TYPES["MX"]:
        preference, host = value.split(" ", 1) if " " in value else ("10", value)
        return struct.pack("!H", int(preference)) + encode_name(host)
    raise ValueError(f"no rdata for type {qtype}")


def reply(packet, rule):
    ident, flags, name, qtype, end = parse_question(packet)
    action = (rule or {}).get("action", "answer") if rule else "nxdomain"
    rcode = {"nxdomain": 3, "servfail": 2}.get(action, 0)
    values = rule.get("values", []) if rule and action == "answer" else []
    answers = b"".join(
        struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(data)) + data
        for data in (rdata(qtype, v) for v in values))
    header = struct.pack("!HHHHHH", ident, 0x8180 | (flags & 0x0100) | rcode, 1, len(values), 0, 0)
    return header + packet[12:end] + answers


class Responder:
    """Serves `rules` on 127.0.0.1 (a free port unless given) in a daemon thread. `asked`
    counts the questions seen per (name, type)."""

    def __init__(self, rules, port=0):
        self.rules = list(rules)
        self.asked = {}
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.server = f"127.0.0.1:{self.port}"
        self.running = True
        threading.Thread(target=self.serve, daemon=True).start()

    def match(self, name, qtype):
        for rule in self.rules:
            kind = rule.get("type", "*")
            if (kind == "*" or TYPES.get(kind) == qtype) and fnmatch.fnmatch(name.lower(), rule["name"].lower()):
                return rule
        return None

    def serve(self):
        while self.running:
            try:
                packet, peer = self.sock.recvfrom(4096)
                _, _, name, qtype, _ = parse_question(packet)
            except (OSError, ValueError, IndexError, struct.error):
                if not self.running:
                    return
                continue
            with self.lock:
                key = (name.lower(), NAMES.get(qtype, str(qtype)))
                self.asked[key] = self.asked.get(key, 0) + 1
            rule = self.match(name, qtype)
            if rule and rule.get("action") == "drop":
                continue
            try:
                data = reply(packet, rule)
            except ValueError:
                continue
            delay = (rule or {}).get("delay", 0)
            if delay:
                threading.Timer(delay, self.send, (data, peer)).start()
            else:
                self.send(data, peer)

    def send(self, data, peer):
        try:
            self.sock.sendto(data, peer)
        except OSError:
            pass

    def count(self, name, kind):
        with self.lock:
            return self.asked.get((name.lower(), kind), 0)

    def close(self):
        self.running = False
        self.sock.close()


def ptr_name(address):
    return ipaddress.ip_address(address).reverse_pointer


if __name__ == "__main__":
    responder = Responder(json.loads(sys.argv[1]))
    print(responder.port, flush=True)
    sys.stdin.read()
    responder.close()
