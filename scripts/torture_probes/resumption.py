"""Torture probe of issue 12 §1: a TLS session made where no client certificate is asked
(sender group 127.0.0.2 → TLS Preferred) offered for resumption where Required - Verify
applies (127.0.0.1, a custom authority). Each trial makes a fresh session, then offers it;
the probe holds when no offer resumes and no MAIL FROM is accepted, while the same session
does resume within its own policy (the control). TLS 1.2 and TLS 1.3 are separate rows.

Standalone: python3 scripts/torture_probes/resumption.py [--quick]
"""
import os
import socket
import ssl
import subprocess
import sys
import tempfile

# However the runner loads this file, its sibling is importable.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memory import Engine  # noqa: E402  (a release posternd in a fresh home on a free port)

OTHER, VERIFIED = "127.0.0.2", "127.0.0.1"


def _authority(directory):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
                    "-days", "2", "-subj", "/CN=Probe CA", "-addext", "basicConstraints=critical,CA:TRUE"],
                   cwd=directory, check=True, capture_output=True)
    return os.path.join(directory, "ca.crt")


def _conversation(port, source, context, session, commands):
    """STARTTLS from `source` offering `session`; (resumed, session, last reply code) or an error name."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    stream = raw.makefile("rb")

    def code():
        while True:
            line = stream.readline()
            if not line:
                raise ConnectionError("closed")
            if line[3:4] != b"-":
                return int(line[:3])
    try:
        code()
        for line in (b"EHLO probe.example", b"STARTTLS"):
            raw.sendall(line + b"\r\n")
            code()
        tls = context.wrap_socket(raw, session=session)
        stream = tls.makefile("rb")
        last = None
        for line in commands:
            tls.sendall(line + b"\r\n")
            last = code()
        return tls.session_reused, tls.session, last
    except (OSError, ssl.SSLError, ConnectionError) as error:
        return type(error).__name__
    finally:
        raw.close()


def probes(env):
    trials = 5 if env.quick else 50
    directory = tempfile.mkdtemp(prefix="resumption-", dir=env.workdir)
    engine = Engine(env, setup=(
        f'certconfig certauthority custom import {_authority(directory)}; '
        'listenerconfig edit InboundMail hostaccess default --tls=required-verify --demo=yes; '
        'listenerconfig edit InboundMail hostaccess new policy PREF accept --tls=preferred --demo=yes; '
        f'listenerconfig edit InboundMail hostaccess new sendergroup OTHERS {OTHER} $PREF'))
    try:
        for name, version in (("TLS 1.2", ssl.TLSVersion.TLSv1_2), ("TLS 1.3", ssl.TLSVersion.TLSv1_3)):
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.minimum_version = context.maximum_version = version
            crossed = resumed_within = 0
            for _ in range(trials):
                made = _conversation(engine.port, OTHER, context, None, [b"EHLO probe.example"])
                if isinstance(made, str):
                    continue
                within = _conversation(engine.port, OTHER, context, made[1], [b"EHLO probe.example"])
                resumed_within += not isinstance(within, str) and within[0]
                offered = _conversation(engine.port, VERIFIED, context, made[1],
                                        [b"EHLO probe.example", b"MAIL FROM:<a@b.example>"])
                crossed += not isinstance(offered, str) and (offered[0] or offered[2] == 250)
            yield {
                "probe": f"resumption: a {name} session from a Preferred policy offered under Required - Verify",
                "trials": trials,
                "held": crossed == 0 and resumed_within == trials,
                "figure": f"{crossed} of {trials} crossed; {resumed_within} of {trials} resumed within their policy",
            }
    finally:
        engine.stop()


if __name__ == "__main__":
    import types
    here = os.path.dirname(os.path.abspath(__file__))
    env = types.SimpleNamespace(bin=os.path.join(os.path.dirname(os.path.dirname(here)), ".build", "release"),
                                workdir=tempfile.mkdtemp(prefix="torture-"), quick="--quick" in sys.argv)
    for row in probes(env):
        print(row)
