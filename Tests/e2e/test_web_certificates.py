"""Network → Certificates: list, paste, upload (multipart) and self-signed, through certconfig's
checks, staged for Commit Changes; raw HTTPS requests, and the CLI to see what was committed."""
import os
import re
import subprocess
import tempfile
import unittest
import uuid

from harness import Appliance
from webharness import ADMIN_PASSWORD, READONLY_PASSWORD, Client, Web

PATH = "/network/certificates"


def openssl_pair(directory, name, key_args):
    """A self-signed certificate and its key made by OpenSSL's own tool, as PEM text."""
    key = os.path.join(directory, name + ".key")
    crt = os.path.join(directory, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", *key_args, "-nodes", "-keyout", key, "-out", crt,
                    "-days", "30", "-subj", f"/CN={name}.example.com/O=Partner"],
                   check=True, capture_output=True, timeout=60)
    with open(crt) as c, open(key) as k:
        return c.read(), k.read()


def multipart(fields, files):
    boundary = "----postern" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    for name, (filename, text) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: application/x-pem-file\r\n\r\n{text}\r\n')
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


class CertificatesPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.appliance = Appliance()
        cls.web = Web(cls.appliance)
        cls.web.add_user("web1", "administrator", ADMIN_PASSWORD)
        cls.web.add_user("ro1", "readonly", READONLY_PASSWORD)
        cls.directory = tempfile.mkdtemp(prefix="postern-certs-")
        cls.rsa = openssl_pair(cls.directory, "rsa", ["rsa:2048"])
        cls.ec = openssl_pair(cls.directory, "ec", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()
        cls.appliance.remove()

    def setUp(self):
        self.admin = Client(self.web).login("web1", ADMIN_PASSWORD)

    def tearDown(self):
        self.admin.post("/commit", {"csrf": self.admin.csrf, "action": "abandon"})

    def row(self, page, name):
        found = re.search(rf'<tr id="certificate-{name}">(.*?)</tr>', page, re.S)
        return re.sub(r"<[^>]+>", "|", found.group(1)) if found else None

    def test_the_list_names_what_presents_each_profile(self):
        status, _, page = self.admin.get(PATH)
        self.assertEqual(status, 200)
        demo = self.row(page, "Demo")
        self.assertIn("listener InboundMail", demo)
        self.assertIn("HTTPS on Loopback", demo)
        self.assertIn("delivery", demo)
        self.assertIn("(self-signed)", demo)

    def test_a_pasted_certificate_is_staged_and_committed(self):
        certificate, key = self.rsa
        status, _, _ = self.admin.post(PATH, {"csrf": self.admin.csrf, "operation": "paste", "name": "Partner",
                                              "certificate": certificate, "key": key, "chain": ""})
        self.assertEqual(status, 302)
        _, _, page = self.admin.get(PATH)
        row = self.row(page, "Partner")
        self.assertIn("CN=rsa.example.com", row)
        self.assertIn("RSA 2048", row)
        self.assertIn("Valid", row)
        self.assertNotIn("Partner", self.appliance.cli("certconfig certificate print").stdout)
        self.admin.get("/commit")
        status, _, _ = self.admin.post("/commit", {"csrf": self.admin.csrf, "action": "commit",
                                                   "comment": "partner certificate"})
        self.assertEqual(status, 302)
        printed = self.appliance.cli("certconfig certificate print").stdout
        self.assertIn("Certificate profile: Partner", printed)
        self.assertIn("CN=rsa.example.com", printed)

    def test_a_key_that_does_not_sign_the_certificate_is_refused_in_certconfigs_words(self):
        status, _, page = self.admin.post(PATH, {"csrf": self.admin.csrf, "operation": "paste", "name": "Mixed",
                                                 "certificate": self.rsa[0], "key": self.ec[1], "chain": ""})
        self.assertEqual(status, 400)
        self.assertIn("key does not sign certificate", page)
        self.assertIsNone(self.row(page, "Mixed"))
        status, _, page = self.admin.post(PATH, {"csrf": self.admin.csrf, "operation": "paste", "name": "Junk",
                                                 "certificate": "not a certificate", "key": self.ec[1]})
        self.assertEqual(status, 400)
        self.assertIn("Invalid certificate...discarding", page)
        _, _, page = self.admin.get("/commit")
        self.assertIn("No Changes Pending", page)

    def test_pem_files_are_uploaded_as_multipart(self):
        certificate, key = self.ec
        body, content_type = multipart({"csrf": self.admin.csrf, "operation": "upload", "name": "Uploaded"},
                                       {"certificate": ("ec.crt", certificate), "key": ("ec.key", key),
                                        "chain": ("", "")})
        status, _, text = self.admin.request("POST", PATH, body=body, headers={"Content-Type": content_type})
        self.assertEqual(status, 302, text)
        _, _, page = self.admin.get(PATH)
        self.assertIn("ECDSA P-256", self.row(page, "Uploaded"))

    def test_a_self_signed_certificate_is_made_like_certconfig_new(self):
        fields = {"csrf": self.admin.csrf, "operation": "new", "name": "Lab", "cn": "lab.example.com",
                  "org": "Example", "ou": "", "city": "", "state": "", "country": "usa", "days": "365",
                  "key_type": "ecdsa", "key_bits": "2048", "dns": "lab.example.com, mx.example.com"}
        status, _, page = self.admin.post(PATH, fields)
        self.assertEqual(status, 400)
        self.assertIn("Country should be a ISO two character country code", page)
        self.assertIn('value="lab.example.com"', page)  # what was typed is kept
        fields["country"] = "us"
        status, _, _ = self.admin.post(PATH, fields)
        self.assertEqual(status, 302)
        _, _, page = self.admin.get(PATH)
        row = self.row(page, "Lab")
        self.assertIn("CN=lab.example.com", row)
        self.assertIn("C=US", row)
        self.assertIn("ECDSA P-256", row)
        self.assertIn("(self-signed)", row)

    def test_an_existing_name_needs_overwrite(self):
        fields = {"csrf": self.admin.csrf, "operation": "paste", "name": "demo", "certificate": self.rsa[0],
                  "key": self.rsa[1]}
        status, _, page = self.admin.post(PATH, fields)
        self.assertEqual(status, 400)
        self.assertIn("already exists", page)
        fields["overwrite"] = "on"
        status, _, _ = self.admin.post(PATH, fields)
        self.assertEqual(status, 302)
        _, _, page = self.admin.get(PATH)
        self.assertIn("CN=rsa.example.com", self.row(page, "Demo"))

    def test_a_read_only_operator_sees_the_list_but_cannot_add(self):
        viewer = Client(self.web).login("ro1", READONLY_PASSWORD)
        status, _, page = viewer.get(PATH)
        self.assertEqual(status, 200)
        self.assertIsNotNone(self.row(page, "Demo"))
        self.assertNotIn('id="paste-form"', page)
        status, _, _ = viewer.post(PATH, {"csrf": viewer.csrf, "operation": "paste", "name": "Sneaky",
                                          "certificate": self.rsa[0], "key": self.rsa[1]})
        self.assertEqual(status, 403)


if __name__ == "__main__":
    unittest.main()
