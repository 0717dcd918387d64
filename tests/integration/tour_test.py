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


if __name__ == "__main__":
    main([test_tour])
