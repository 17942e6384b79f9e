"""A private OpenLDAP slapd on loopback, configured in a temporary directory (never the
system's), with a small directory of users. Debian's slapd and ldap-utils provide it."""
import os
import shutil
import socket
import subprocess
import tempfile

from harness import free_port, openssl_ca, wait_for

SUFFIX = "dc=example,dc=com"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "admin-secret-9"
READER_DN = f"cn=reader,{SUFFIX}"
READER_PASSWORD = "reader-secret-7"
# user -> password; alice and carol have hashed passwords (slappasswd), bob a cleartext one
# (the compare method needs the directory to compare it).
USERS = {"alice": "alice-pw-1", "bob": "bob-pw-2", "carol": "carol-pw-3", "x)(uid=*": "injected"}


def _hash(password):
    return subprocess.run(["slappasswd", "-s", password], capture_output=True, text=True, check=True).stdout.strip()


def _tls_files(directory):
    """A CA and a server certificate for 127.0.0.1 that it signed (openssl CLI)."""
    run = openssl_ca(directory, "Directory Test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "server.ext")
    return os.path.join(directory, "ca.crt")


class PrivateDirectory:
    """With tls=True the server also speaks StartTLS, with a certificate from its own CA
    (`ca_file`)."""

    def __init__(self, tls=False):
        self.dir = tempfile.mkdtemp(prefix="postern-slapd-")
        self.ca_file = _tls_files(self.dir) if tls else None
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.process = None
        os.mkdir(os.path.join(self.dir, "data"))
        self.conf = os.path.join(self.dir, "slapd.conf")
        tls_lines = (f"TLSCACertificateFile {self.dir}/ca.crt\nTLSCertificateFile {self.dir}/server.crt\n"
                     f"TLSCertificateKeyFile {self.dir}/server.key\n") if tls else ""
        with open(self.conf, "w") as f:
            f.write(tls_lines + f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {self.dir}/slapd.pid
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {self.dir}/data
access to attrs=userPassword by self write by anonymous auth by dn.exact="{READER_DN}" compare by * none
access to * by dn.exact="{READER_DN}" read by * none
""")
        entries = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n",
                   f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
                   f"dn: {READER_DN}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n"
                   f"cn: reader\nuserPassword: {_hash(READER_PASSWORD)}\n"]
        for user, password in USERS.items():
            stored = password if user == "bob" else _hash(password)
            rdn = user.replace("(", "\\28").replace(")", "\\29").replace("*", "\\2a")
            entries.append(f"dn: uid={rdn},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {user}\n"
                           f"cn: {user}\nsn: {user}\nuserPassword: {stored}\n")
        ldif = os.path.join(self.dir, "users.ldif")
        with open(ldif, "w") as f:
            f.write("\n".join(entries))
        subprocess.run(["slapadd", "-f", self.conf, "-l", ldif], check=True, capture_output=True)

    def start(self):
        with open(os.path.join(self.dir, "slapd.log"), "ab") as log:
            self.process = subprocess.Popen(["slapd", "-f", self.conf, "-h", f"{self.url}/", "-d", "0"],
                                            stdout=log, stderr=log)
        wait_for(self._answers, what="slapd to listen")
        return self

    def _answers(self):
        if self.process.poll() is not None:
            raise AssertionError("slapd exited:\n" + open(os.path.join(self.dir, "slapd.log")).read())
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
