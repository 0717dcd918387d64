"""A network lab for the script tests: two network namespaces joined by a veth pair, made by
the test and removed whatever happens to it (a failure, SIGINT, SIGTERM), with addresses from
198.18.0.0/15 and IPv6 off so that only the test's own traffic crosses the link.

    with Lab("dhcp", addresses=(None, "198.18.0.1/24")) as lab:
        proc = subprocess.Popen(lab.cmd("b", "dnsmasq", ...))
        rc, out, err = run(lab.cmd("a", WEFT, "dhcp", "client", "--iface", lab.iface("a")))

Needs root; Lab() skips (weft_testlib.skip) with the reason when it cannot make namespaces.
Namespaces are named weft-<tag>-<pid>-a/b; ones a killed run left behind are removed first.

Tests whose lab has another shape (more addresses, one lab for many tests) build it with the
helpers below: ip, in_ns, link_up, remove_leftover_namespaces and interruptible. Tests of
`weft lab` itself call needs_weft_lab first."""
import contextlib
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weft_testlib import WEFT, check, run, skip, wait_for  # noqa: E402


class Interrupted(BaseException):
    """SIGINT or SIGTERM while a lab exists: unwinds through every `finally`."""


@contextlib.contextmanager
def interruptible():
    """SIGINT and SIGTERM raise Interrupted inside the block, so every `finally` runs (and
    removes what the test made); the old handlers are back afterwards."""
    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    def interrupted(signum, frame):
        raise Interrupted("signal %d" % signum)
    try:
        for s in old:
            signal.signal(s, interrupted)
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def needs_weft_lab(why):
    """Skips the test, saying `why`, unless it runs as root where `weft lab` can make namespaces:
    in a container without CAP_SYS_ADMIN, weft lab says itself why not (a missing iproute2 is
    a failure, not a skip)."""
    if os.geteuid() != 0:
        skip(why)
    rc, _, err = run([WEFT, "lab", "status"])
    if rc != 0 and "do not work here" in err:
        skip(err.strip())


def ip(*args, check_rc=True):
    rc, out, err = run(["ip", *args], timeout=20)
    if check_rc:
        check(rc == 0, "ip %s: exit %d %s" % (" ".join(args), rc, err.strip()))
    return rc, out.decode(errors="replace"), err


def in_ns(ns, *argv):
    # `ip netns exec` execs the program after setns (no fork): a Popen's pid is the program's.
    return ["ip", "netns", "exec", ns, *argv]


def link_up(ns, dev):
    _, out, _ = ip("-n", ns, "-o", "link", "show", "dev", dev, check_rc=False)
    return "state UP" in out


def remove_leftover_namespaces(prefix, sides=("a", "b")):
    """Deletes the namespaces <prefix><pid>-<side> of earlier runs whose process is gone (killed
    before its `finally`), after killing what that run left running in them."""
    _, out, _ = ip("netns", "list", check_rc=False)
    for line in out.splitlines():
        m = re.match(r"(%s(\d+)-(?:%s))\b" % (re.escape(prefix), "|".join(map(re.escape, sides))), line)
        if m and int(m.group(2)) != os.getpid() and not os.path.exists("/proc/%s" % m.group(2)):
            _, pids, _ = ip("netns", "pids", m.group(1), check_rc=False)
            for pid in pids.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            ip("netns", "del", m.group(1), check_rc=False)


class Lab:
    def __init__(self, tag, addresses=("198.18.0.1/24", "198.18.0.2/24")):
        self.tag = tag
        self.prefix = "weft-%s-" % tag
        self.names = {s: "%s%d-%s" % (self.prefix, os.getpid(), s) for s in ("a", "b")}
        self.addresses = dict(zip(("a", "b"), addresses))
        self.created = []
        self.old_handlers = {}

    def ns(self, side):
        return self.names[side]

    @staticmethod
    def iface(side):
        return "weft-" + side  # each end lives in its own namespace: the name is never taken in ours

    def cmd(self, side, *argv):
        return in_ns(self.names[side], *argv)

    def mac(self, side):
        _, out, _ = ip("-n", self.names[side], "-o", "link", "show", "dev", self.iface(side))
        m = re.search(r"link/ether ([0-9a-f:]{17})", out)
        check(m is not None, "no MAC for %s: %s" % (self.iface(side), out))
        return m.group(1)

    def __enter__(self):
        if os.geteuid() != 0:
            skip("needs root: network namespaces (ip netns) and packet sockets")

        def interrupted(signum, frame):
            raise Interrupted("signal %d" % signum)
        for s in (signal.SIGTERM, signal.SIGINT):
            self.old_handlers[s] = signal.getsignal(s)
            signal.signal(s, interrupted)
        try:
            remove_leftover_namespaces(self.prefix)
            for side in ("a", "b"):
                rc, _, err = ip("netns", "add", self.names[side], check_rc=False)
                if rc != 0:
                    skip("cannot create a network namespace (ip netns add %s): %s" % (self.names[side], err.strip()))
                self.created.append(self.names[side])
            ip("link", "add", self.iface("a"), "netns", self.names["a"], "type", "veth", "peer", "name",
               self.iface("b"), "netns", self.names["b"])
            for side in ("a", "b"):
                ns = self.names[side]
                for knob in ("all", "default"):
                    run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.%s.disable_ipv6=1" % knob])
                if self.addresses[side]:
                    ip("-n", ns, "addr", "add", self.addresses[side], "dev", self.iface(side))
                ip("-n", ns, "link", "set", "lo", "up")
                ip("-n", ns, "link", "set", self.iface(side), "up")
            # Until the kernel's link watcher has seen the carrier, the veth drops what is sent.
            wait_for(lambda: all(self._up(s) for s in ("a", "b")), timeout=10, what="the veth link to come up")
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def _up(self, side):
        return link_up(self.names[side], self.iface(side))

    def __exit__(self, *exc):
        try:
            for ns in self.created:
                rc, _, err = ip("netns", "del", ns, check_rc=False)
                if rc != 0:
                    print("could not delete namespace %s: %s" % (ns, err.strip()), file=sys.stderr)
            self.created = []
        finally:
            for s, h in self.old_handlers.items():
                signal.signal(s, h)
            self.old_handlers = {}
        return False
