"""weft dhcp client against independent servers, in a lab of two namespaces (root): it gets
the tutorial's four elements from dnsmasq and from Kea on an interface with no address,
--apply makes the address usable (the server answers a ping), and with no server it gives up
at its timeout with exit 1 (also while busy loops hold every core)."""
import contextlib
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_lab import Lab  # noqa: E402
from weft_testlib import *  # noqa: E402,F403

SERVER = "198.18.0.1"
POOL = ("198.18.0.100", "198.18.0.150")
DNS = "198.18.0.53"
LEASE = 600


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def client(lab, *extra, timeout=15):
    return run(lab.cmd("a", WEFT, "dhcp", "client", "--iface", lab.iface("a"), "--timeout", "10", *extra),
               timeout=timeout + 20)


def check_lease(rc, out, err, server_name):
    check(rc == 0, "%s: weft dhcp client exit %d: %s" % (server_name, rc, err))
    got = json.loads(out)
    address = ipaddress.IPv4Address(got["address"])
    check(ipaddress.IPv4Address(POOL[0]) <= address <= ipaddress.IPv4Address(POOL[1]),
          "%s: address %s outside the pool" % (server_name, address))
    check(got["prefix"] == 24 and got["netmask"] == "255.255.255.0", "%s: mask %r" % (server_name, got))
    check(got["router"] == SERVER and got["dns"] == [DNS], "%s: router/dns %r" % (server_name, got))
    check(got["lease_time"] == LEASE and got["server_id"] == SERVER, "%s: lease/server %r" % (server_name, got))
    return got


def start_dnsmasq(lab, tmp):
    dnsmasq = require_tool("dnsmasq", "dnsmasq-base")
    log = open(os.path.join(tmp, "dnsmasq.log"), "w")
    proc = subprocess.Popen(lab.cmd("b", dnsmasq, "--no-daemon", "--conf-file=/dev/null", "--port=0",
                                    "--interface=" + lab.iface("b"), "--bind-interfaces", "--no-ping",
                                    "--dhcp-range=%s,%s,255.255.255.0,%d" % (POOL[0], POOL[1], LEASE),
                                    "--dhcp-option=3," + SERVER, "--dhcp-option=6," + DNS,
                                    "--dhcp-leasefile=" + os.path.join(tmp, "dnsmasq.leases"),
                                    "--pid-file=" + os.path.join(tmp, "dnsmasq.pid")),
                            stdout=log, stderr=subprocess.STDOUT)
    return proc


def start_kea(lab, tmp):
    kea = require_tool("kea-dhcp4", "kea-dhcp4-server")
    config = {"Dhcp4": {
        "interfaces-config": {"interfaces": [lab.iface("b")], "dhcp-socket-type": "raw"},
        "lease-database": {"type": "memfile", "persist": True, "name": os.path.join(tmp, "kea-leases.csv"),
                           "lfc-interval": 0},
        "valid-lifetime": LEASE,
        "subnet4": [{"id": 1, "subnet": "198.18.0.0/24", "pools": [{"pool": "%s - %s" % POOL}],
                     "option-data": [{"name": "routers", "data": SERVER},
                                     {"name": "domain-name-servers", "data": DNS}]}],
        "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": os.path.join(tmp, "kea.log")}],
                     "severity": "INFO"}]}}
    path = os.path.join(tmp, "kea.json")
    with open(path, "w") as f:
        json.dump(config, f)
    env = dict(os.environ, KEA_PIDFILE_DIR=tmp, KEA_LOCKFILE_DIR=tmp)
    err = open(os.path.join(tmp, "kea.err"), "w")
    proc = subprocess.Popen(lab.cmd("b", kea, "-c", path), stdout=subprocess.DEVNULL, stderr=err, env=env)
    # Ready when its log says the DHCP service started (it opens its sockets before that line).
    log = os.path.join(tmp, "kea.log")
    wait_for(lambda: proc.poll() is not None or "DHCP4_STARTED" in read(log), timeout=20, what="kea-dhcp4 to start")
    if proc.poll() is not None:
        check(False, "kea-dhcp4 exited %d: %s %s" % (proc.returncode, read(os.path.join(tmp, "kea.err")), read(log)))
    return proc


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def test_leases_from_dnsmasq_and_kea_and_apply():
    require_tool("ip", "iproute2")
    require_tool("ping", "iputils-ping")
    with Lab("dhcpc", addresses=(None, SERVER + "/24")) as lab:
        tmp = tempfile.mkdtemp(prefix="weft-dhcp-client-")
        server = None
        try:
            # dnsmasq answers as soon as it has bound its port: the first DISCOVERs may go
            # unanswered for a moment, which the client's retransmission covers.
            server = start_dnsmasq(lab, tmp)
            got = check_lease(*client(lab, "--json"), "dnsmasq")
            rc, out, err = client(lab, "--json", "--apply")
            applied = check_lease(rc, out, err, "dnsmasq --apply")
            check(applied["address"] == got["address"], "the same client got another address: %s then %s"
                  % (got["address"], applied["address"]))
            rc, out, _ = run(lab.cmd("a", "ping", "-c", "1", "-W", "5", SERVER), timeout=20)
            check(rc == 0, "ping to the server after --apply: %s" % out.decode(errors="replace"))
            _, routes, _ = run(lab.cmd("a", "ip", "route"))
            check(b"default via " + SERVER.encode() in routes, "no default route: %r" % routes)
            stop(server)
            server = None
            run(lab.cmd("a", "ip", "addr", "flush", "dev", lab.iface("a")))

            server = start_kea(lab, tmp)
            check_lease(*client(lab, "--json"), "kea")
            rc, out, err = client(lab)
            check(rc == 0 and "address     198.18.0." in out.decode() and "server id   " + SERVER in out.decode(),
                  "the plain output: %r %s" % (out, err))
        finally:
            stop(server)
            shutil.rmtree(tmp, ignore_errors=True)


def test_no_server_gives_up_at_the_timeout_also_under_load():
    with Lab("dhcpn", addresses=(None, None)) as lab:
        for loaded in (False, True):
            with busy_cores(seconds=60) if loaded else contextlib.nullcontext():
                begun = time.monotonic()
                rc, out, err = run(lab.cmd("a", WEFT, "dhcp", "client", "--iface", lab.iface("a"), "--timeout", "2"),
                                   timeout=60)
                took = time.monotonic() - begun
            check(rc == 1, "exit %d with no server (loaded=%s): %s" % (rc, loaded, err))
            check("no DHCPOFFER" in err and lab.iface("a") in err and err.count("\n") == 1,
                  "one line naming the interface: %r" % err)
            check(took < 20, "gave up after %.1f s with --timeout 2" % took)


if __name__ == "__main__":
    main([test_leases_from_dnsmasq_and_kea_and_apply, test_no_server_gives_up_at_the_timeout_also_under_load])
