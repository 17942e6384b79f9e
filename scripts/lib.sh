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
BUILD_PACKAGES=(libssl-dev libedit-dev pkg-config)
# etcd for a fleet (clusterconfig): the server for tests and scripts/fleet-demo, etcdctl to look inside.
FLEET_PACKAGES=(etcd-server etcd-client)

# The home scripts/run uses: $POSTERN_HOME, else .postern under the project.
default_home() {
    echo "${POSTERN_HOME:-$PROJECT_ROOT/.postern}"
}

# The pid of the engine serving a home, if it runs.
engine_pid() {
    local home=$1 pid
    [ -f "$home/run/posternd.pid" ] || return 1
    pid=$(cat "$home/run/posternd.pid")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q posternd "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}
