"""weft tour runs the seed's programs live and exits 0."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from weft_testlib import *  # noqa: E402,F403


def test_tour():
    rc, out, err = run([WEFT, "tour"], timeout=60)
    text = out.decode()
    check(rc == 0, "rc %d %s" % (rc, err))
    for needle in ["recv(1024) -> 'hello!'", "recv(1024) -> 'hi'", "<< HOW ARE YOU?", "'HELLO UDP'",
                   "10101100.00010000.00001010.00000000 = 172.16.10.0", "same subnet"]:
        check(needle in text, "tour output lacks %r" % needle)


def test_tour_wire_section_decodes():
    """The rebuilt "hello!" frame the tour prints is a valid frame for the exchange it ran."""
    import json
    import re
    rc, out, err = run([WEFT, "tour"], timeout=60)
    text = out.decode()
    check(rc == 0, "rc %d %s" % (rc, err))
    section = text[text.index("What crossed the wire"):]
    hexdump = "".join(line.split(None, 1)[1] for line in section.splitlines()
                      if re.match(r"^    [0-9a-f]{4}  ", line))
    m = re.search(r"client: connect\(127\.0\.0\.1:(\d+)\) from 127\.0\.0\.1:(\d+)", text)
    check(m is not None, "section 1 lacks the ports")
    server_port, client_port = int(m.group(1)), int(m.group(2))
    rc, out, err = run([WEFT, "decode", "--hex", hexdump, "--json"])
    check(rc == 0, "decode rc %d %s" % (rc, err))
    layers = {l["layer"]: l for l in json.loads(out)["layers"]}
    check(layers["tcp"]["src_port"] == client_port and layers["tcp"]["dst_port"] == server_port,
          "ports %s" % layers["tcp"])
    check(layers["ipv4"]["checksum_ok"] and layers["tcp"]["checksum_ok"], "checksums %s" % layers)
    check(layers["payload"]["length"] == 6, "payload %s" % layers.get("payload"))


if __name__ == "__main__":
    main([test_tour, test_tour_wire_section_decodes])
