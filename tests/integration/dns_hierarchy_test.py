"""The tutorial's DNS hierarchy, live: three `weft dns serve` on 127.0.0.2 (root), 127.0.0.3
(test.) and 127.0.0.4 (example.test.), one port, the zones of examples/dns_hierarchy/; and
`weft dns query --trace` walking it from the root, in text and JSON, to an answer, through a
CNAME, and to NXDOMAIN. The example script itself runs too."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import SOURCE, WEFT, Server, check, example, main, run  # noqa: E402

ZONES = os.path.join(SOURCE, "examples", "dns_hierarchy")
LEVELS = [("root.zone", "127.0.0.2"), ("test.zone", "127.0.0.3"), ("example.test.zone", "127.0.0.4")]


def start_hierarchy():
    """The three servers on one port: the first picks a free one, the others bind the same
    (on their own addresses). Returns (port, servers)."""
    for _ in range(5):
        first = Server([WEFT, "dns", "serve", "--zone", os.path.join(ZONES, LEVELS[0][0]),
                        "--host", LEVELS[0][1], "--port", "0", "--threads", "1", "--quiet"])
        servers = [first]
        try:
            for zone, host in LEVELS[1:]:
                servers.append(Server([WEFT, "dns", "serve", "--zone", os.path.join(ZONES, zone),
                                       "--host", host, "--port", str(first.port), "--threads", "1", "--quiet"]))
            return first.port, servers
        except AssertionError:  # that port was taken on another address: try another
            for s in servers:
                s.stop()
    raise AssertionError("no port free on 127.0.0.2-4 after 5 tries")


def stop_all(servers):
    for s in servers:
        s.stop()
        check(s.proc.returncode == 0, "a server exited %s on SIGTERM" % s.proc.returncode)


def trace(port, name, *extra):
    rc, out, err = run([WEFT, "dns", "query", name, "--trace", "--root", "127.0.0.2", "--port", str(port), *extra])
    check(rc == 0, "dns query --trace %s exited %d: %s" % (name, rc, err))
    return out.decode()


def test_trace_walks_root_tld_zone():
    port, servers = start_hierarchy()
    try:
        text = trace(port, "www.example.test")
        # Each server is named in the order the walk asks them, and the answer ends it.
        at = [text.find("127.0.0.%d:%d" % (i, port)) for i in (2, 3, 4)]
        check(all(a >= 0 for a in at) and at == sorted(at), "the walk should ask .2, then .3, then .4:\n" + text)
        check("www.example.test. 300 IN A 198.18.0.10" in text, "the answer line is missing:\n" + text)
        check("test." in text[at[0]:at[1]] and "ns.nic.test" in text[at[0]:at[1]],
              "the root's step should name the referral to test. and ns.nic.test:\n" + text)
        check("example.test" in text[at[1]:at[2]] and "ns1.example.test" in text[at[1]:at[2]],
              "the TLD's step should name the referral to example.test. and ns1.example.test:\n" + text)
    finally:
        stop_all(servers)


def test_trace_json_one_object_per_response():
    port, servers = start_hierarchy()
    try:
        lines = [l for l in trace(port, "web.example.test", "--json").splitlines() if l.strip()]
        objects = [json.loads(l) for l in lines]
        check(len(objects) >= 3, "at least three responses, got %d" % len(objects))
        check([o["server"] for o in objects[:3]] == ["127.0.0.%d:%d" % (i, port) for i in (2, 3, 4)],
              "servers in the order asked: %s" % [o["server"] for o in objects])
        for o in objects:
            check(o["transport"] in ("udp", "tcp") and isinstance(o["rtt_ms"], (int, float)),
                  "server, transport and rtt_ms in every object: %s" % o)
        check(objects[0]["aa"] is False and objects[1]["aa"] is False, "referrals are not authoritative")
        last = objects[-1]
        check(last["aa"] is True and last["rcode"] == 0, "the last response is the authoritative answer: %s" % last)
        kinds = [(a["type"], a["data"]) for a in last["answers"]]
        check(("CNAME", "www.example.test") in kinds and ("A", "198.18.0.10") in kinds,
              "the CNAME and its target's address: %s" % kinds)
    finally:
        stop_all(servers)


def test_trace_to_nxdomain_and_mx():
    port, servers = start_hierarchy()
    try:
        last = json.loads(trace(port, "nothing.example.test", "--json").splitlines()[-1])
        check(last["rcode"] == 3, "NXDOMAIN from the zone's server: %s" % last)
        check([a["type"] for a in last["authority"]] == ["SOA"], "with its SOA: %s" % last["authority"])
        text = trace(port, "example.test", "--type", "MX")
        check("example.test. 300 IN MX 10 mail.example.test." in text, "the MX answer:\n" + text)
    finally:
        stop_all(servers)


def test_the_lookup_example_asks_one_server():
    port, servers = start_hierarchy()
    try:
        rc, out, err = run([example("dns_lookup"), "web.example.test", "127.0.0.4", str(port)])
        check(rc == 0, "dns_lookup exited %d: %s" % (rc, err))
        check(out.decode().splitlines() == ["NOERROR", "web.example.test. 300 CNAME www.example.test",
                                            "www.example.test. 300 A 198.18.0.10"], "dns_lookup printed %r" % out)
        # The root does not know the name: a referral, no answer records.
        rc, out, _ = run([example("dns_lookup"), "www.example.test", "127.0.0.2", str(port)])
        check(rc == 0 and out.decode().splitlines() == ["NOERROR"], "the root's referral has no answer: %r" % out)
    finally:
        stop_all(servers)


def test_the_example_script():
    # Its port must be free on all three addresses: take one the way start_hierarchy does,
    # then hand it over (the servers are gone before the script binds it). A parallel test
    # can take the port in between; the script then says its server "did not start", and
    # the test tries again on another port, as start_hierarchy does.
    for _ in range(5):
        port, servers = start_hierarchy()
        stop_all(servers)
        env = dict(os.environ, WEFT=WEFT, PORT=str(port))
        p = subprocess.run([os.path.join(ZONES, "run.sh")], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        if "did not start on" not in p.stderr:
            break
    check(p.returncode == 0, "run.sh exited %d: %s" % (p.returncode, p.stderr))
    check("www.example.test. 300 IN A 198.18.0.10" in p.stdout, "run.sh should end with the answer:\n" + p.stdout)


if __name__ == "__main__":
    main([test_trace_walks_root_tld_zone, test_trace_json_one_object_per_response, test_trace_to_nxdomain_and_mx,
          test_the_lookup_example_asks_one_server, test_the_example_script])
