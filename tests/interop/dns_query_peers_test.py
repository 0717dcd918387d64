"""weft dns query against independent DNS servers: dnsmasq and unbound, each started here in
the foreground on a port of 127.0.0.1 with a configuration of the test's own (never a system
service), stopped by its PID. dig and kdig ask the same questions as cross-checks: the answer
lines weft prints must be the ones dig prints, record for record."""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import weft_testlib  # noqa: E402
from weft_testlib import *  # noqa: E402,F403

# 40 TXT records of 60 bytes: about 2.8 KB, more than the 1232 bytes weft advertises with
# EDNS0, so a UDP answer must come back truncated and weft must ask again over TCP.
BIG_TXT = ["record %02d " % i + "x" * 50 for i in range(40)]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """A DNS server process in the foreground, ready once it has bound UDP and TCP on its port."""

    def __init__(self, make_argv, what):
        for _ in range(5):
            self.port = free_port()
            argv = make_argv(self.port)
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            weft_testlib._started.append(self.proc)
            try:
                wait_for(lambda: self.proc.poll() is not None or
                         (self.port in bound_ports(self.proc.pid, "udp") and self.port in bound_ports(self.proc.pid, "tcp")),
                         timeout=15, what="%s to listen on port %d" % (what, self.port))
            except AssertionError:
                self.stop()
                raise
            if self.proc.poll() is None:
                return
            out = self.proc.stdout.read()
            if "in use" not in out:  # a port taken meanwhile is retried; anything else is a failure
                raise AssertionError("%s exited with %s: %s" % (what, self.proc.returncode, out.strip()[-500:]))
        raise AssertionError("%s: no free port after 5 tries" % what)

    def stop(self):
        terminate(self.proc)


def start_dnsmasq(tmp):
    dnsmasq = require_tool("dnsmasq", "dnsmasq-base")

    def argv(port):
        args = [dnsmasq, "--no-daemon", "--port", str(port), "--listen-address", "127.0.0.1", "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file=" + os.path.join(tmp, "dnsmasq.pid"),
                "--local=/example.test/",  # answer for the domain itself: NXDOMAIN, not REFUSED
                "--local-ttl=300",
                "--host-record=www.example.test,198.18.0.10",
                "--address=/wild.example.test/198.18.0.11",
                "--txt-record=example.test,hello world",
                "--mx-host=example.test,mail.example.test,10",
                "--srv-host=_sip._udp.example.test,sip.example.test,5060,0,5",
                "--cname=alias.example.test,www.example.test"]
        args += ["--txt-record=big.example.test," + t for t in BIG_TXT]
        return args
    return Daemon(argv, "dnsmasq")


def start_unbound(tmp):
    unbound = require_tool("unbound", "unbound")

    def argv(port):
        conf = os.path.join(tmp, "unbound.conf")
        lines = [
            "server:",
            "  interface: 127.0.0.1",
            "  port: %d" % port,
            "  do-daemonize: no",
            '  chroot: ""',
            '  username: ""',
            '  directory: "%s"' % tmp,
            '  pidfile: "%s"' % os.path.join(tmp, "unbound.pid"),
            "  use-syslog: no",
            '  logfile: ""',
            "  do-ip6: no",
            "  num-threads: 1",
            "  so-reuseport: no",
            '  module-config: "iterator"',
            "  access-control: 127.0.0.0/8 allow",
            '  local-zone: "example.test." static',
            '  local-data: "example.test. 300 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60"',
            '  local-data: "example.test. 300 IN NS ns.example.test."',
            '  local-data: "www.example.test. 300 IN A 198.18.0.10"',
            '  local-data: "www.example.test. 300 IN AAAA 2001:db8::10"',
            '  local-data: "example.test. 300 IN MX 10 mail.example.test."',
            "  local-data: 'example.test. 300 IN TXT \"hello world\" \"second\"'",
            '  local-data: "_sip._udp.example.test. 300 IN SRV 0 5 5060 sip.example.test."',
            '  local-data: "alias.example.test. 300 IN CNAME www.example.test."',
            '  local-data-ptr: "198.18.0.10 www.example.test."',
        ]
        lines += ["  local-data: 'big.example.test. 300 IN TXT \"%s\"'" % t for t in BIG_TXT]
        lines += ["remote-control:", "  control-enable: no"]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [unbound, "-d", "-c", conf]
    return Daemon(argv, "unbound")


def weft_query(port, *args):
    rc, out, err = run([WEFT, "dns", "query", *args, "--server", "127.0.0.1:%d" % port, "--timeout", "3"])
    check(rc == 0, "weft dns query %s: rc %d %s" % (" ".join(args), rc, err))
    return out.decode()


def section(text, title):
    """The record lines of one section of weft's text output, whitespace-normalised."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith(";; ") and line.endswith(" SECTION:"):
            inside = line == ";; %s SECTION:" % title
            continue
        if inside and line and not line.startswith(";"):
            lines.append(" ".join(line.split()))
        elif inside and not line:
            inside = False
    return lines


def dig_answer(tool, port, name, qtype, *extra):
    """What dig (or kdig) prints in its answer section, whitespace-normalised."""
    once = "+retry=0" if os.path.basename(tool) == "kdig" else "+tries=1"
    rc, out, err = run([tool, "@127.0.0.1", "-p", str(port), name, qtype, "+noall", "+answer", "+time=3", once,
                        *extra])
    check(rc == 0, "%s %s %s: rc %d %s" % (tool, name, qtype, rc, err))
    return [" ".join(l.split()) for l in out.decode().splitlines() if l and not l.startswith(";")]


def dig_status(port, name, qtype):
    rc, out, err = run(["dig", "@127.0.0.1", "-p", str(port), name, qtype, "+time=3", "+tries=1"])
    m = re.search(r"status: (\w+)", out.decode())
    check(m is not None, "dig printed no status: %r %s" % (out, err))
    return m.group(1)


def rcode_of(text):
    m = re.match(r";; status: (\w+),", text)
    check(m is not None, "no header line: %r" % text[:200])
    return m.group(1)


def check_peer(port, questions):
    dig = require_tool("dig", "dnsutils")
    for name, qtype in questions:
        text = weft_query(port, name, "--type", qtype)
        ours, theirs = sorted(section(text, "ANSWER")), sorted(dig_answer(dig, port, name, qtype))
        check(ours == theirs and ours, "%s %s: weft %r, dig %r" % (name, qtype, ours, theirs))
        check(rcode_of(text) == dig_status(port, name, qtype) == "NOERROR", "%s %s: status" % (name, qtype))

    # NXDOMAIN is a response: exit 0, the same status dig sees.
    text = weft_query(port, "nosuch.example.test")
    check(rcode_of(text) == dig_status(port, "nosuch.example.test", "A") == "NXDOMAIN", text)

    # --json parses and carries the answer; --tcp goes over TCP; kdig agrees over TCP too.
    obj = json.loads(weft_query(port, "www.example.test", "--json"))
    check(obj["answers"][0]["data"] == "198.18.0.10" and obj["rcode"] == 0 and obj["qr"], "json %r" % obj)
    check(obj["server"] == "127.0.0.1:%d" % port and obj["transport"] == "udp", "json %r" % obj)
    obj = json.loads(weft_query(port, "www.example.test", "--json", "--tcp"))
    check(obj["transport"] == "tcp" and obj["answers"][0]["data"] == "198.18.0.10", "json --tcp %r" % obj)
    kdig = require_tool("kdig", "knot-dnsutils")
    ours = section(weft_query(port, "example.test", "--type", "MX", "--tcp"), "ANSWER")
    theirs = dig_answer(kdig, port, "example.test", "MX", "+tcp")
    check(ours == theirs, "MX over TCP: weft %r, kdig %r" % (ours, theirs))

    # Too big for UDP: TC, then the whole answer over TCP, every record there.
    for extra in ((), ("--no-edns",)):
        obj = json.loads(weft_query(port, "big.example.test", "--type", "TXT", "--json", *extra))
        check(obj["transport"] == "tcp" and not obj["tc"], "big TXT %s: transport %s tc %s" %
              (extra, obj["transport"], obj["tc"]))
        got = sorted(a["data"][0] for a in obj["answers"] if a["type"] == "TXT")
        check(got == sorted(BIG_TXT), "big TXT %s: %d of %d records" % (extra, len(got), len(BIG_TXT)))
    text = weft_query(port, "big.example.test", "--type", "TXT")
    check("truncated" in text and "(tcp)" in text, "the fallback should be noted: %r" % text[:300])


def test_dnsmasq():
    with tempfile.TemporaryDirectory() as tmp:
        d = start_dnsmasq(tmp)
        try:
            check_peer(d.port, [("www.example.test", "A"), ("wild.example.test", "A"), ("example.test", "TXT"),
                                ("example.test", "MX"), ("_sip._udp.example.test", "SRV"),
                                ("alias.example.test", "A")])
        finally:
            d.stop()


def test_unbound():
    with tempfile.TemporaryDirectory() as tmp:
        u = start_unbound(tmp)
        try:
            check_peer(u.port, [("www.example.test", "A"), ("www.example.test", "AAAA"), ("example.test", "TXT"),
                                ("example.test", "MX"), ("example.test", "NS"), ("example.test", "SOA"),
                                ("_sip._udp.example.test", "SRV"), ("alias.example.test", "CNAME"),
                                ("10.0.18.198.in-addr.arpa", "PTR")])
            # NODATA: NOERROR with the SOA in authority, as dig sees it.
            text = weft_query(u.port, "www.example.test", "--type", "MX")
            check(rcode_of(text) == "NOERROR" and not section(text, "ANSWER"), text)
            check(any(" IN SOA ns.example.test. hostmaster.example.test. 1 " in l for l in section(text, "AUTHORITY")),
                  text)
        finally:
            u.stop()


if __name__ == "__main__":
    main([test_dnsmasq, test_unbound])
