"""weft arp and weft capture without root: usage errors (exit 2, naming the bad argument), a
missing interface (exit 1, naming it), and what an unprivileged user is told (exit 1, naming
the interface and saying that CAP_NET_RAW / root is needed). The CI runs as root: the
unprivileged cases then run the binary as nobody (setpriv). The lab test
(tests/interop/arp_capture_lab_test.py) covers what these commands do with the privilege."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403

NOBODY = 65534


def usage_error(argv, *names):
    """Runs weft with argv; checks exit 2 and that stderr names each of `names`."""
    rc, out, err = run([WEFT, *argv], timeout=30)
    check(rc == 2, "weft %s: exit %d (expected 2, a usage error); stderr %r" % (" ".join(argv), rc, err))
    for name in names:
        check(name in err, "weft %s: the error does not name %r: %r" % (" ".join(argv), name, err))
    check(out == b"", "weft %s printed on stdout: %r" % (" ".join(argv), out))
    return err


def test_arp_bad_ip():
    for bad in ("198.18.0.256", "not-an-ip", "198.18.0", "::1"):
        usage_error(["arp", bad, "--iface", "lo"], "'%s'" % bad)


def test_arp_missing_iface_and_ip():
    usage_error(["arp", "198.18.0.2"], "--iface")
    usage_error(["arp", "--iface", "lo"], "ip")


def test_arp_bad_timeout():
    for bad in ("0", "-1", "soon"):
        usage_error(["arp", "198.18.0.2", "--iface", "lo", "--timeout", bad], "--timeout", "'%s'" % bad)


def test_capture_missing_iface():
    usage_error(["capture", "--count", "1"], "--iface")


def test_capture_bad_filter():
    # A usage error before anything is opened: the same with or without root.
    err = usage_error(["capture", "--iface", "lo", "--filter", "tcp prot 80"], "invalid filter 'tcp prot 80'")
    check(err.startswith("weft: invalid filter 'tcp prot 80': "), "message %r" % err)
    usage_error(["capture", "--iface", "lo", "--filter", "port 99999"], "'port 99999'")


def test_capture_bad_count_and_duration():
    for bad in ("0", "-3", "many"):
        usage_error(["capture", "--iface", "lo", "--count", bad], "--count", "'%s'" % bad)
    for bad in ("0", "-1", "later"):
        usage_error(["capture", "--iface", "lo", "--duration", bad], "--duration", "'%s'" % bad)


def test_missing_interface():
    # The interface is looked up before the packet socket is opened: no root needed to learn
    # that it does not exist.
    rc, out, err = run([WEFT, "arp", "198.18.0.2", "--iface", "nope", "--timeout", "1"], timeout=30)
    check(rc == 1 and err.strip() == "weft: interface 'nope': No such device",
          "weft arp --iface nope: exit %d stderr %r (expected 1, \"weft: interface 'nope': No such device\")" % (rc, err))
    rc, out, err = run([WEFT, "capture", "--iface", "nope", "--count", "1"], timeout=30)
    check(rc == 1 and "'nope'" in err and "No such device" in err,
          "weft capture --iface nope: exit %d stderr %r (expected 1, naming 'nope', No such device)" % (rc, err))


def unprivileged(argv):
    """argv run without CAP_NET_RAW: as it is when this test is not root, else as nobody through
    setpriv (with the binary copied where nobody can run it, if the build tree is closed)."""
    if os.geteuid() != 0:
        return argv, None
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        skip("running as root and setpriv (util-linux) is missing: cannot drop to nobody")
    binary, tmp = argv[0], None
    rc, _, _ = run([setpriv, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", binary, "--help"])
    if rc != 0:  # a directory on the way is closed to others: run a copy
        tmp = tempfile.mkdtemp(prefix="weft-nobody-")
        os.chmod(tmp, 0o755)
        binary = os.path.join(tmp, "weft")
        shutil.copy2(argv[0], binary)
        os.chmod(binary, 0o755)
    return [setpriv, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--inh-caps=-all",
            binary, *argv[1:]], tmp


def check_needs_privilege(argv):
    cmd, tmp = unprivileged([WEFT, *argv])
    try:
        rc, out, err = run(cmd, timeout=30)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    what = "weft %s without CAP_NET_RAW" % " ".join(argv)
    check(rc == 1, "%s: exit %d (expected 1); stderr %r" % (what, rc, err))
    check(err.startswith("weft: ") and err.count("\n") == 1, "%s: not one 'weft: ' line: %r" % (what, err))
    check("'lo'" in err, "%s: the message does not name the interface 'lo': %r" % (what, err))
    check("CAP_NET_RAW" in err and "root" in err, "%s: the message does not say CAP_NET_RAW/root is needed: %r"
          % (what, err))
    check(out == b"", "%s printed on stdout: %r" % (what, out))


def test_capture_needs_privilege():
    check_needs_privilege(["capture", "--iface", "lo", "--count", "1", "--duration", "5"])
    check_needs_privilege(["capture", "--iface", "lo", "--count", "1", "--filter", "tcp port 9", "--json"])


def test_arp_needs_privilege():
    check_needs_privilege(["arp", "127.0.0.2", "--iface", "lo", "--timeout", "1"])


if __name__ == "__main__":
    main([test_arp_bad_ip, test_arp_missing_iface_and_ip, test_arp_bad_timeout, test_capture_missing_iface,
          test_capture_bad_filter, test_capture_bad_count_and_duration, test_missing_interface,
          test_capture_needs_privilege, test_arp_needs_privilege])
