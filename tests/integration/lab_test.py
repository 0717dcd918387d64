"""weft lab up|down|status (root): the tutorial's network in three namespaces. Up makes it
and starts its daemons; the web server answers from the gateway's namespace; status names
the namespaces, addresses and daemons; down removes everything (namespaces, daemons, run
directory), also when up runs twice in a row, and is idempotent. Without root: exit 1 with
the reason."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_lab import needs_weft_lab  # noqa: E402
from weft_testlib import WEFT, check, main, require_tool, run  # noqa: E402

NAMESPACES = ("weft-lab-host", "weft-lab-gw", "weft-lab-srv")
RUN_DIR = "/run/weft-lab"


def needs_root():
    needs_weft_lab("needs root: weft lab makes network namespaces and veth pairs")


def lab_namespaces():
    rc, out, err = run(["ip", "netns", "list"])
    check(rc == 0, "ip netns list: %s" % err)
    # The lab's own names only: the unit tests' netns_lab makes weft-lab-<pid>-a/b beside us.
    return {line.split()[0] for line in out.decode().splitlines() if line.strip() and line.split()[0] in NAMESPACES}


def daemon_pids():
    pids = {}
    for name in os.listdir(RUN_DIR):
        if name.endswith(".pid"):
            with open(os.path.join(RUN_DIR, name)) as f:
                pids[name[:-4]] = int(f.read().split()[0])
    return pids


def gone(pid):
    """True when pid has ended (a zombie not yet reaped by init counts as ended)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(") ", 1)[1][0] in "ZX"
    except OSError:
        return True


def lab(*args, timeout=60):
    return run([WEFT, "lab", *args], timeout=timeout)


def down_after(test):
    """Runs test, then `weft lab down` whatever happened, so no namespace outlives it."""
    def wrapped():
        try:
            test()
        finally:
            if os.geteuid() == 0:
                lab("down")
    wrapped.__name__ = test.__name__
    return wrapped


@down_after
def test_up_status_reach_down():
    needs_root()
    curl = require_tool("curl", "curl")
    rc, out, err = lab("up")
    check(rc == 0, "lab up exited %d: %s" % (rc, err))
    check(lab_namespaces() == set(NAMESPACES), "namespaces after up: %s" % lab_namespaces())
    pids = daemon_pids()
    check(set(pids) == {"dhcp", "dns-root", "dns-test", "dns-example.test", "http"}, "daemons: %s" % pids)

    rc, out, err = lab("status")
    text = out.decode()
    check(rc == 0, "lab status exited %d: %s" % (rc, err))
    for needle in ["weft-lab-host   eth0  up    (no address)", "198.18.0.1/24", "198.19.0.1/24",
                   "198.19.0.2/24 198.19.0.3/24 198.19.0.4/24 198.19.0.80/24"]:
        check(needle in text, "status lacks %r:\n%s" % (needle, text))
    check(text.count(" alive ") == 5, "five daemons alive:\n" + text)

    # The web server, from the gateway (on the other link of it), by curl and by weft.
    rc, out, err = run(["ip", "netns", "exec", "weft-lab-gw", curl, "-s", "--max-time", "10",
                        "http://198.19.0.80/"])
    check(rc == 0 and b"It works" in out, "curl from the gateway: rc %d %r %s" % (rc, out[:200], err))
    rc, out, err = run(["ip", "netns", "exec", "weft-lab-gw", WEFT, "http", "get", "http://198.19.0.80/",
                        "--timeout", "10"])
    check(rc == 0 and b"It works" in out and "200 OK" in err, "weft http get: rc %d %s" % (rc, err))
    # The hierarchy answers from the gateway too: the root refers to test.
    rc, out, err = run(["ip", "netns", "exec", "weft-lab-gw", WEFT, "dns", "query", "www.example.test", "--trace",
                        "--root", "198.19.0.2", "--port", "53"])
    check(rc == 0 and b"www.example.test. 300 IN A 198.19.0.80" in out, "trace: rc %d %r %s" % (rc, out, err))

    rc, out, err = lab("down")
    check(rc == 0, "lab down exited %d: %s" % (rc, err))
    check("stopped 5 daemons, removed 3 namespaces" in out.decode(), "down said %r" % out)
    check(not lab_namespaces(), "namespaces left after down: %s" % lab_namespaces())
    check(not os.path.exists(RUN_DIR), RUN_DIR + " left after down")
    for name, pid in pids.items():
        check(gone(pid), "%s (pid %d) still runs after down" % (name, pid))
    rc, out, err = lab("down")
    check(rc == 0 and "stopped 0 daemons, removed 0 namespaces" in out.decode(), "second down: %d %r %s" % (rc, out, err))
    rc, out, _ = lab("status")
    check(rc == 0 and b"lab: down" in out, "status after down: %r" % out)


@down_after
def test_up_twice_replaces_the_first():
    needs_root()
    rc, _, err = lab("up")
    check(rc == 0, "first up: %s" % err)
    first = daemon_pids()
    rc, _, err = lab("up")
    check(rc == 0, "second up: %s" % err)
    second = daemon_pids()
    check(lab_namespaces() == set(NAMESPACES), "namespaces after the second up: %s" % lab_namespaces())
    for name, pid in first.items():
        check(gone(pid), "the first up's %s (pid %d) still runs" % (name, pid))
    rc, out, _ = lab("status")
    check(out.decode().count(" alive ") == 5, "the second up's daemons alive:\n" + out.decode())
    check(set(first) == set(second) and not set(first.values()) & set(second.values()), "new daemons: %s %s"
          % (first, second))


@down_after
def test_up_after_a_crash():
    """A previous run killed hard (daemons kill -9'd, namespaces left): up cleans and works."""
    needs_root()
    rc, _, err = lab("up")
    check(rc == 0, "up: %s" % err)
    for pid in daemon_pids().values():
        os.kill(pid, 9)
    rc, _, err = lab("up")
    check(rc == 0, "up after the crash: %s" % err)
    rc, out, _ = lab("status")
    check(out.decode().count(" alive ") == 5, "daemons alive after up:\n" + out.decode())


def test_non_root_is_refused():
    if os.geteuid() == 0:
        # Drop to nobody for the one command (root can; a non-root run is the case itself).
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", WEFT, "lab", "up"]
    else:
        argv = [WEFT, "lab", "up"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    check(p.returncode == 1, "non-root lab up exited %d" % p.returncode)
    check(p.stderr.strip() == "weft: lab up: needs root (it creates network namespaces and veth pairs with ip)",
          "one line with the reason: %r" % p.stderr)
    check(p.stdout == "", "nothing on stdout: %r" % p.stdout)


if __name__ == "__main__":
    main([test_up_status_reach_down, test_up_twice_replaces_the_first, test_up_after_a_crash,
          test_non_root_is_refused])
