# Sourced by the set-up scripts: `apt_get ARGS...` runs apt-get non-interactively and, when another apt-get or dpkg
# holds the package lock (an unattended upgrade, a second `make` in another checkout), waits for it instead of
# failing the whole set-up.
apt_get() {
    local attempt rc
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        rc=0
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 -qq "$@" >/dev/null || rc=$?
        (( rc == 0 )) && return 0
        # Exit code 100 with another package manager still running: the lock was held; try again once it is gone.
        if (( rc == 100 )) && pgrep -x 'apt-get|apt|dpkg|unattended-upgr' >/dev/null; then
            echo "[apt] another apt-get or dpkg holds the lock; waiting for it (attempt $attempt)" >&2
            while pgrep -x 'apt-get|apt|dpkg|unattended-upgr' >/dev/null; do sleep 2; done
            continue
        fi
        return "$rc"
    done
    return "$rc"
}
