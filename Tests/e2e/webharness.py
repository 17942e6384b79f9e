"""The web interface for end-to-end tests: posternweb on a free loopback port of a test
appliance, accounts made with the real CLI, and headless Chromium driven by Selenium."""
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request

from harness import BIN, POSTERN, free_port, wait_for

POSTERNWEB = os.path.join(BIN, "posternweb")
# Passwords the tests give their accounts (they pass the password policy).
ADMIN_PASSWORD = "Gateway-admin-7"
READONLY_PASSWORD = "Viewer-only-42"
# Where the browser test saves the screenshots Docs/gui.md shows (set to Docs/gui to refresh them).
SCREENSHOTS = os.environ.get("POSTERN_SCREENSHOTS")


class Web:
    """posternweb for an Appliance, on a free port written into its interface config."""

    def __init__(self, appliance, idle_minutes=None, connection_idle_seconds=None):
        """idle_minutes overrides adminaccessconfig's timeout (a test cannot wait its 5-minute minimum);
        connection_idle_seconds how long a connection may send nothing (60 seconds otherwise)."""
        self.appliance = appliance
        self.port = free_port()
        appliance.cli(f'interfaceconfig edit Loopback --https={self.port}; commit "web port" Y')
        self.url = f"https://127.0.0.1:{self.port}"
        self.log_path = os.path.join(appliance.home, "posternweb.stderr")
        self.arguments = [POSTERNWEB, "--home", appliance.home]
        if idle_minutes is not None:
            self.arguments += ["--idle-timeout", str(idle_minutes)]
        if connection_idle_seconds is not None:
            self.arguments += ["--connection-idle-timeout", str(connection_idle_seconds)]
        self.start()

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.arguments, stdout=log, stderr=log)
        wait_for(lambda: self.process.poll() is not None or self.answers(), what="posternweb to serve HTTPS")
        if self.process.poll() is not None:
            raise AssertionError("posternweb exited:\n" + open(self.log_path).read())

    def restart(self):
        self.stop()
        self.start()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def add_user(self, name, role, password):
        """`userconfig new` in batch, the password on standard input, then `commit`: accounts are
        staged like every other change."""
        command = f'userconfig new {name} --role={role}; commit "add {name}" Y'
        result = subprocess.run([POSTERN, "--home", self.appliance.home, "-c", command],
                                input=password + "\n", capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"userconfig new {name}: {result.stdout}\n{result.stderr}")

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as raw:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                with context.wrap_socket(raw) as tls:
                    return tls.version() is not None
        except (OSError, ssl.SSLError):
            return False

    def post(self, path, fields, cookie=None):
        """A form POST outside the browser; returns the HTTP status (redirects not followed)."""
        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.url + path, data=body, method="POST")
        if cookie:
            request.add_header("Cookie", cookie)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
        try:
            with opener.open(request, timeout=15) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def browser():
    """Headless Chromium; the appliance serves its self-signed demo certificate."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                     "--window-size=1280,1000", "--disable-gpu"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def screenshot(driver, name):
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))


def sign_in(driver, url, user, password, landing="current-user"):
    """Logs in through the login form and waits for the page that follows."""
    from selenium.webdriver.common.by import By
    driver.get(url + "/login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    wait_for(lambda: driver.find_elements(By.ID, landing), what=f"{user}'s first page")


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Client:
    """One hand-driven browser: its cookies, and the CSRF token of the last page it read."""

    def __init__(self, web):
        self.web = web
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPSConnection("127.0.0.1", self.web.port, timeout=30, context=tls_context())
        try:
            sent = dict(headers or {})
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if body is not None:
                sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in header:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            found = re.search(r'name="csrf" value="([0-9a-f]+)"', text)
            if found:
                self.csrf = found.group(1)
            return response.status, response.headers, text
        finally:
            connection.close()

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields, raw=None):
        body = raw if raw is not None else urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body=body)

    def login(self, user, password):
        self.get("/login")
        status, headers, _ = self.post("/login", {"csrf": self.csrf, "username": user, "password": password})
        if status != 302 or "postern_session" not in self.cookies:
            raise AssertionError(f"{user} could not log in: {status}")
        self.get("/mail-policies/mail-flow-policies" if user != "guest1" else "/monitor")
        return self
