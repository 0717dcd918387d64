"""weft ipcalc: the JSON contract of DESIGN.md, and the seed's subnet example."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403


def ipcalc(*args):
    rc, out, err = run([WEFT, "ipcalc", *args, "--json"])
    check(rc == 0, "ipcalc %s: rc %d %s" % (args, rc, err))
    return json.loads(out)


def test_seed_example():
    j = ipcalc("172.16.10.1/255.255.255.0", "172.16.10.2")
    expect = {"address": "172.16.10.1", "prefix": 24, "netmask": "255.255.255.0", "network": "172.16.10.0",
              "broadcast": "172.16.10.255", "first_host": "172.16.10.1", "last_host": "172.16.10.254",
              "hosts": 254, "other": "172.16.10.2", "other_network": "172.16.10.0", "same_subnet": True,
              "binary": {"address": "10101100.00010000.00001010.00000001",
                         "netmask": "11111111.11111111.11111111.00000000",
                         "network": "10101100.00010000.00001010.00000000"}}
    check(j == expect, "got %s" % j)


def test_different_subnets():
    j = ipcalc("192.168.1.100/24", "192.168.2.1")
    check(j["same_subnet"] is False and j["other_network"] == "192.168.2.0", "got %s" % j)


def test_rfc3021_and_host_routes():
    j = ipcalc("10.0.0.0/31")
    check(j["broadcast"] is None and j["hosts"] == 2 and j["first_host"] == "10.0.0.0"
          and j["last_host"] == "10.0.0.1", "/31: %s" % j)
    j = ipcalc("10.1.2.3")  # no prefix means /32
    check(j["prefix"] == 32 and j["broadcast"] is None and j["hosts"] == 1 and j["first_host"] == "10.1.2.3", "/32: %s" % j)
    j = ipcalc("0.0.0.0/0")
    check(j["hosts"] == 2**32 - 2 and j["broadcast"] == "255.255.255.255", "/0: %s" % j)


def test_human_output_shows_the_and():
    rc, out, _ = run([WEFT, "ipcalc", "172.16.10.1/24", "172.16.10.2"])
    text = out.decode()
    check(rc == 0 and "10101100.00010000.00001010.00000000" in text and "same subnet" in text, text)


def test_bad_input_exit_2():
    for arg, needle in [("256.1.1.1/24", "256"), ("1.2.3.4/33", "33"), ("1.2.3.4/255.0.255.0", "255.0.255.0"),
                        ("01.2.3.4", "01"), ("1.2.3", "1.2.3")]:
        rc, _, err = run([WEFT, "ipcalc", arg])
        check(rc == 2 and needle in err, "%s: rc %d %r" % (arg, rc, err))


if __name__ == "__main__":
    main([test_seed_example, test_different_subnets, test_rfc3021_and_host_routes, test_human_output_shows_the_and,
          test_bad_input_exit_2])
