# Shared by scripts/run, scripts/test and scripts/bench. Source it; do not run it.

# Installs the Debian packages named that are missing (apt-get update first, once).
ensure_packages() {
    local missing=()
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing: ${missing[*]}" >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "These packages are missing and this user cannot install them: ${missing[*]}" >&2
            return 1
        fi
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The packages the build needs.
BUILD_PACKAGES=(libssl-dev libedit-dev libc-ares-dev libldap-dev libcrypt-dev pkg-config)
# The packages the tests need: the clients they drive, and what each needs for TLS
# (swaks speaks TLS only with Perl's Net::SSLeay, which --no-install-recommends leaves out).
# slapd and ldap-utils: the SMTP AUTH tests run a private slapd on loopback (Tests/e2e/ldapfixture.py).
# iproute2: ss, to see a listening socket's accept queue.
TEST_PACKAGES=(openssl swaks libnet-ssleay-perl sslscan python3 procps slapd ldap-utils iproute2)
# etcd for a fleet (clusterconfig): the server for tests and scripts/fleet-demo, etcdctl to look inside.
FLEET_PACKAGES=(etcd-server etcd-client)

# The home scripts/run uses: $POSTERN_HOME, else .postern under the project.
default_home() {
    echo "${POSTERN_HOME:-$PROJECT_ROOT/.postern}"
}

# The pid of a Postern program (posternd, posternweb) serving a home, if it runs.
program_pid() {
    local home=$1 program=$2 pid
    [ -f "$home/run/$program.pid" ] || return 1
    pid=$(cat "$home/run/$program.pid")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "$program" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

engine_pid() { program_pid "$1" posternd; }
web_pid() { program_pid "$1" posternweb; }

# Stops a program by its pid file and waits for it to exit.
stop_program() {
    local home=$1 program=$2 pid
    if pid=$(program_pid "$home" "$program"); then
        kill -TERM "$pid"
        for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        echo "$program stopped."
    else
        echo "$program is not running for $home."
    fi
}
