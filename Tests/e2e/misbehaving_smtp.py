"""A small SMTP server that breaks RFC 3207 in chosen ways, so that each `selftest` check is
seen to FAIL against something broken (the product itself has no switch that breaks it).

Faults (any combination):
  no_starttls          never lists STARTTLS
  starttls_after_tls   lists STARTTLS again in the EHLO after the handshake (RFC 3207 §4.2)
  plain_mail           answers 250 to MAIL before STARTTLS although the policy requires TLS (§4)
  keeps_session        remembers the EHLO from before STARTTLS: MAIL first inside TLS is accepted (§4.2)
  tls13_only           refuses TLS 1.2 although sslconfig lists it
  one_cipher           takes one TLS 1.2 cipher whatever sslconfig lists
  no_ehlo_after_tls    refuses the EHLO sent after the handshake (502; RFC 3207 §4.2 wants it answered)
  breaks_handshake     answers 220 to STARTTLS, then writes plaintext and closes instead of TLS
  answers_pipelined    keeps the commands pipelined behind STARTTLS in the clear and answers
                       them inside TLS (§5, the CVE-2011-0411 class); otherwise they are dropped
"""
import socket
import ssl
import threading


class MisbehavingSMTP:
    def __init__(self, port, certfile, keyfile, faults=()):
        self.faults = set(faults)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certfile, keyfile)
        if "one_cipher" in self.faults:
            self.context.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
        if "tls13_only" in self.faults:
            self.context.minimum_version = ssl.TLSVersion.TLSv1_3
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self.running = False
        self.thread.join()
        self.listener.close()

    def _serve(self):
        while self.running:
            try:
                connection, _ = self.listener.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._session, args=(connection,), daemon=True).start()

    def _session(self, connection):
        connection.settimeout(10)
        tls = False
        greeted = False
        received = b""

        def send(text):
            connection.sendall(text.encode() + b"\r\n")

        try:
            send("220 broken.example ESMTP")
            while True:
                while b"\r\n" not in received:
                    data = connection.recv(65536)
                    if not data:
                        return
                    received += data
                line, received = received.split(b"\r\n", 1)
                verb = line.decode(errors="replace").strip().split(" ")[0].upper()
                if verb in ("EHLO", "HELO") and tls and "no_ehlo_after_tls" in self.faults:
                    send("502 5.5.1 not after TLS")
                elif verb in ("EHLO", "HELO"):
                    greeted = True
                    offer = "no_starttls" not in self.faults and (not tls or "starttls_after_tls" in self.faults)
                    send("250-broken.example" + ("\r\n250-STARTTLS" if offer else "") + "\r\n250 PIPELINING")
                elif verb == "STARTTLS" and not tls:
                    if "answers_pipelined" not in self.faults:
                        received = b""  # what came in the clear behind STARTTLS is dropped
                    send("220 go ahead")
                    if "breaks_handshake" in self.faults:
                        send("this is not a TLS record")
                        return
                    connection = self.context.wrap_socket(connection, server_side=True)
                    tls = True
                    greeted = "keeps_session" in self.faults
                elif verb == "MAIL" and not greeted:
                    send("503 5.5.1 Send EHLO first")
                elif verb in ("MAIL", "RCPT"):
                    send("250 ok" if tls or "plain_mail" in self.faults else "530 5.7.0 Must issue a STARTTLS command first")
                elif verb == "HELP":
                    send("214 this server answers what it should have dropped")
                elif verb == "QUIT":
                    send("221 bye")
                    return
                else:
                    send("250 ok")
        except (OSError, ssl.SSLError):
            return
        finally:
            connection.close()
