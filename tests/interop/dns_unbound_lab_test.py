"""A real recursive resolver (unbound) resolves through three `weft dns serve` instances: the
tutorial's hierarchy (root "." -> "test." -> "example.test.") on port 53, in a lab of two network
namespaces joined by a veth link. Needs root (skips with the reason otherwise).

  dnslab-<pid>-srv: veth dnslab-srv  198.18.0.2 (root), .3 (test.), .4 (example.test.)
  dnslab-<pid>-res: veth dnslab-res  198.18.0.5: unbound, and dig asking it

unbound knows only the root hints (a.root-servers.lab. at 198.18.0.2); every answer it gives for
example.test has to come from walking the referrals. The namespaces are deleted in `finally`,
also on SIGTERM/SIGINT, after the processes the test started in them are stopped by PID; names
left by a run that was killed outright (its pid gone) are deleted by the next run."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403
import weft_testlib  # noqa: E402
from weft_lab import in_ns, interruptible, ip, link_up, remove_leftover_namespaces  # noqa: E402

PREFIX = "dnslab-"
SRV_NS, RES_NS = "%s%d-srv" % (PREFIX, os.getpid()), "%s%d-res" % (PREFIX, os.getpid())
SRV_IF, RES_IF = "dnslab-srv", "dnslab-res"
ROOT_ADDR, TLD_ADDR, ZONE_ADDR, RESOLVER_ADDR = "198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5"

ROOT_ZONE = """$ORIGIN .
$TTL 86400
@                    SOA  a.root-servers.lab. hostmaster.root-servers.lab. 2026120701 1800 900 604800 86400
@                    NS   a.root-servers.lab.
a.root-servers.lab.  A    %s
test.                NS   ns.nic.test.
ns.nic.test.         A    %s
""" % (ROOT_ADDR, TLD_ADDR)

TLD_ZONE = """$ORIGIN test.
$TTL 3600
@            SOA  ns.nic hostmaster.nic 2026120701 1800 900 604800 300
@            NS   ns.nic
ns.nic       A    %s
example      NS   ns1.example
ns1.example  A    %s
""" % (TLD_ADDR, ZONE_ADDR)

EXAMPLE_ZONE = """$ORIGIN example.test.
$TTL 300
@      SOA   ns1 hostmaster ( 2026120701 3600 600 86400 60 )
@      NS    ns1
@      MX    10 mail
ns1    A     %s
www    A     198.18.0.10
www    AAAA  2001:db8::10
mail   A     198.18.0.25
alias  CNAME www
chain  CNAME alias
txt    TXT   "resolved through weft"
""" % ZONE_ADDR + "".join('big TXT "%s"\n' % (chr(ord("a") + i) * 200) for i in range(9))  # ~1.9 KB: TCP only


def build_lab(created):
    """The two namespaces and the veth link between them; appends each namespace made to
    `created` at once, so the caller's finally deletes it whatever fails later."""
    for ns in (SRV_NS, RES_NS):
        rc, _, err = ip("netns", "add", ns, check_rc=False)
        if rc != 0:
            skip("cannot create a network namespace (ip netns add %s): %s" % (ns, err.strip()))
        created.append(ns)
    # Each end is created in its namespace directly: no name is ever taken in ours.
    ip("link", "add", SRV_IF, "netns", SRV_NS, "type", "veth", "peer", "name", RES_IF, "netns", RES_NS)
    for ns, dev, addrs in ((SRV_NS, SRV_IF, (ROOT_ADDR, TLD_ADDR, ZONE_ADDR)), (RES_NS, RES_IF, (RESOLVER_ADDR,))):
        for a in addrs:
            ip("-n", ns, "addr", "add", a + "/24", "dev", dev)
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "link", "set", dev, "up")
    # Until the kernel's link watcher has seen the carrier, the veth drops what is sent on it.
    wait_for(lambda: link_up(SRV_NS, SRV_IF) and link_up(RES_NS, RES_IF), timeout=10, what="the veth link to come up")


def start_unbound(tmp, unbound):
    hints = os.path.join(tmp, "root.hints")
    with open(hints, "w") as f:
        f.write(".                   3600000  NS  a.root-servers.lab.\n"
                "a.root-servers.lab. 3600000  A   %s\n" % ROOT_ADDR)
    log = os.path.join(tmp, "unbound.log")
    conf = os.path.join(tmp, "unbound.conf")
    with open(conf, "w") as f:
        f.write("""server:
    interface: {addr}
    port: 53
    access-control: 198.18.0.0/24 allow
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "{tmp}"
    pidfile: "{tmp}/unbound.pid"
    logfile: "{log}"
    use-syslog: no
    verbosity: 1
    log-queries: yes
    root-hints: "{hints}"
    do-ip4: yes
    do-ip6: no
    do-udp: yes
    do-tcp: yes
    module-config: "iterator"
    qname-minimisation: yes
    num-threads: 1
    outgoing-interface: {addr}
    so-reuseport: no
    # test. is special-use (RFC 6761): unbound answers it locally (NXDOMAIN) unless told not to.
    local-zone: "test." nodefault
remote-control:
    control-enable: no
""".format(addr=RESOLVER_ADDR, tmp=tmp, log=log, hints=hints))
    checkconf = shutil.which("unbound-checkconf")
    if checkconf:
        rc, out, err = run([checkconf, conf], timeout=10)
        check(rc == 0, "unbound-checkconf %s: %s %s" % (conf, out.decode(errors="replace"), err))
    console = os.path.join(tmp, "unbound.out")
    with open(console, "w") as out:
        proc = subprocess.Popen(in_ns(RES_NS, unbound, "-d", "-c", conf), stdout=out, stderr=subprocess.STDOUT)
    weft_testlib._started.append(proc)  # killed by main()'s cleanup if all else fails

    def ready():
        if proc.poll() is not None:
            raise AssertionError("unbound exited with %s: %s %s" % (proc.returncode, read(console), read(log)))
        return "start of service" in read(log)
    wait_for(ready, timeout=15, what="unbound's 'start of service' in %s" % log)
    return proc, log


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def dig_via_unbound(dig, name, rtype):
    argv = in_ns(RES_NS, dig, "@" + RESOLVER_ADDR, name, rtype, "+time=5", "+tries=2",
                 "+noall", "+comments", "+answer", "+authority")
    rc, out, err = run(argv, timeout=30)
    text = out.decode(errors="replace")
    check(rc == 0, "%s: exit %d %s %s" % (" ".join(argv), rc, text, err))
    m = re.search(r"status: (\w+)", text)
    flags = re.search(r";; flags: ([a-z ]*);", text)
    check(m and flags, "%s: no header in %r" % (" ".join(argv), text))
    sections, section = {"ANSWER": [], "AUTHORITY": []}, None
    for line in text.splitlines():
        s = re.match(r";; (ANSWER|AUTHORITY) SECTION:", line)
        if s:
            section = s.group(1)
        elif not line.strip():
            section = None
        elif section and not line.startswith(";"):
            f = line.split()
            sections[section].append((f[0], f[3], " ".join(f[4:])))
    return m.group(1), set(flags.group(1).split()), sections, text


def test_unbound_resolves_through_three_weft_servers():
    dig = require_tool("dig", "bind9-dnsutils")
    unbound = require_tool("unbound", "unbound")
    require_tool("ip", "iproute2")
    if os.geteuid() != 0:
        skip("needs root: network namespaces (ip netns) and port 53")
    remove_leftover_namespaces(PREFIX, sides=("srv", "res"))
    created, servers, unbound_proc = [], [], None
    tmp = tempfile.mkdtemp(prefix="weft-dns-lab-")
    with interruptible():
        try:
            build_lab(created)
            for name, text, addr in (("root.zone", ROOT_ZONE, ROOT_ADDR), ("test.zone", TLD_ZONE, TLD_ADDR),
                                     ("example.test.zone", EXAMPLE_ZONE, ZONE_ADDR)):
                path = os.path.join(tmp, name)
                with open(path, "w") as f:
                    f.write(text)
                srv = Server(in_ns(SRV_NS, WEFT, "dns", "serve", "--zone", path, "--host", addr, "--port", "53"))
                servers.append((name, srv))
                check(srv.host == addr and srv.port == 53, "%s listens on %s:%d" % (name, srv.host, srv.port))
            unbound_proc, log = start_unbound(tmp, unbound)

            got = {}
            for name, rtype in (("www.example.test.", "A"), ("www.example.test.", "AAAA"),
                                ("chain.example.test.", "A"), ("example.test.", "MX"), ("txt.example.test.", "TXT"),
                                ("big.example.test.", "TXT"),
                                ("nothere.example.test.", "A"), ("nothere.test.", "A"), ("www.nosuchtld.", "A")):
                got[(name, rtype)] = dig_via_unbound(dig, name, rtype)

            def answer(key):
                status, flags, sections, text = got[key]
                check(status == "NOERROR" and "ra" in flags and "aa" not in flags,
                      "%s %s via unbound: status %s flags %s (a resolver's answer: NOERROR, ra, no aa)\n%s\nunbound log:\n%s"
                      % (key[0], key[1], status, sorted(flags), text, read(log)[-3000:]))
                return sections["ANSWER"]

            check(answer(("www.example.test.", "A")) == [("www.example.test.", "A", "198.18.0.10")],
                  "www A: %s" % got[("www.example.test.", "A")][3])
            check(answer(("www.example.test.", "AAAA")) == [("www.example.test.", "AAAA", "2001:db8::10")],
                  "www AAAA: %s" % got[("www.example.test.", "AAAA")][3])
            check(answer(("chain.example.test.", "A")) ==
                  [("chain.example.test.", "CNAME", "alias.example.test."),
                   ("alias.example.test.", "CNAME", "www.example.test."),
                   ("www.example.test.", "A", "198.18.0.10")], "chain A: %s" % got[("chain.example.test.", "A")][3])
            check(answer(("example.test.", "MX")) == [("example.test.", "MX", "10 mail.example.test.")],
                  "MX: %s" % got[("example.test.", "MX")][3])
            check(answer(("txt.example.test.", "TXT")) == [("txt.example.test.", "TXT", '"resolved through weft"')],
                  "TXT: %s" % got[("txt.example.test.", "TXT")][3])
            # Over 1232 bytes: weft truncates over UDP, unbound asks it again over TCP.
            check(sorted(r[2] for r in answer(("big.example.test.", "TXT"))) ==
                  ['"%s"' % (chr(ord("a") + i) * 200) for i in range(9)], "big TXT: %s" % got[("big.example.test.", "TXT")][3])
            # NXDOMAIN from each level: the zone's server, the TLD's, the root's; the SOA of the
            # zone that said so comes along in authority.
            for key, soa_owner in ((("nothere.example.test.", "A"), "example.test."), (("nothere.test.", "A"), "test."),
                                   (("www.nosuchtld.", "A"), ".")):
                status, flags, sections, text = got[key]
                check(status == "NXDOMAIN" and not sections["ANSWER"], "%s via unbound: %s\n%s" % (key[0], status, text))
                check([(r[0], r[1]) for r in sections["AUTHORITY"]] == [(soa_owner, "SOA")],
                      "%s: authority %s, expected %s's SOA" % (key[0], sections["AUTHORITY"], soa_owner))

            # Each weft server saw queries: their stop lines count them (and the zone's server got
            # big TXT's retry over TCP).
            for name, srv in servers:
                srv.signal(signal.SIGTERM)
                rc, _, err = srv.wait()
                check(rc == 0, "%s server: exit %d after SIGTERM: %s" % (name, rc, err))
                m = re.search(r"stopped: (\d+) udp queries in \d+ batches, (\d+) tcp queries", err)
                check(m is not None, "%s server: no stop line: %r" % (name, err))
                print("%s server: %s" % (name, m.group(0)))
                check(int(m.group(1)) > 0, "%s server was never asked: %s" % (name, m.group(0)))
                if name == "example.test.zone":
                    check(int(m.group(2)) > 0, "unbound never asked over TCP after TC: %s" % m.group(0))
        finally:
            for _, srv in servers:
                srv.stop()
            if unbound_proc is not None:
                terminate(unbound_proc)
            for ns in created:
                rc, _, err = ip("netns", "del", ns, check_rc=False)
                if rc != 0:
                    print("could not delete namespace %s: %s" % (ns, err.strip()), file=sys.stderr)
            shutil.rmtree(tmp, ignore_errors=True)
    _, out, _ = ip("netns", "list", check_rc=False)
    check(SRV_NS not in out and RES_NS not in out, "a lab namespace is left: %s" % out)


if __name__ == "__main__":
    main([test_unbound_resolves_through_three_weft_servers])
