"""The man pages and the bash completion against the CLI's own --help: every command, subcommand,
option and argument that `weft ... --help` prints is in the man page of its command and is
completed by bash (through bash-completion's loader, as after installing the package), so a new
command or option cannot be left out of either. Also: the pages render without a groff warning,
a page's hand-written extras (docs/man/*.md) name only options that exist, and `weft --version`
is the project's version (the one the packages carry).

They are generated at build time into the build tree's share/ (tools/weft/CMakeLists.txt)."""
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import bash_completion  # noqa: E402
import cli_help  # noqa: E402
from weft_testlib import SOURCE, WEFT, check, main, require_tool  # noqa: E402

BUILD = os.environ.get("WEFT_BUILD_DIR", "")
SHARE = os.path.join(BUILD, "share")
MAN_DIR = os.path.join(SHARE, "man", "man1")

_tree = []


def tree():
    if not _tree:
        _tree.append(cli_help.read(WEFT))
    return _tree[0]


def page_of(cmd):
    """The man page that documents `cmd`: weft.1 for weft itself, weft-dns.1 for dns and its
    subcommands."""
    return "weft" if len(cmd.path) == 1 else "weft-" + cmd.path[1]


def man_text(page):
    path = os.path.join(MAN_DIR, page + ".1")
    check(os.path.exists(path), "no man page %s (looked in %s)" % (page, MAN_DIR))
    with open(path, encoding="utf-8") as f:
        return f.read()


def roff(text):
    return text.replace("\\", "\\e").replace("-", "\\-")


def test_every_command_has_a_page():
    want = {"weft"} | {page_of(c) for c in tree().subcommands}
    have = {os.path.basename(p)[:-2] for p in glob.glob(os.path.join(MAN_DIR, "*.1"))}
    check(want == have, "man pages %s, commands want %s" % (sorted(have), sorted(want)))
    for page in want:
        check(os.path.exists(os.path.join(MAN_DIR, page + ".1.gz")), "%s.1.gz is missing" % page)


def test_man_pages_list_every_option_and_command():
    missing = []
    for cmd in tree().walk():
        text = man_text(page_of(cmd))
        if len(cmd.path) > 1:
            heading = roff(" ".join(cmd.path))  # weft dns query: its own section, or the page's synopsis
            if heading not in text:
                missing.append("%s: no mention of %r" % (page_of(cmd), " ".join(cmd.path)))
        for opt in cmd.options:
            for name in opt.names:
                if "\\fB" + roff(name) + "\\fR" not in text:
                    missing.append("%s: option %s of %s" % (page_of(cmd), name, cmd.name))
        for pos in cmd.positionals:
            if "\\fI" + roff(pos.name) + "\\fR" not in text:
                missing.append("%s: argument %s of %s" % (page_of(cmd), pos.name, cmd.name))
        for name, _ in cmd.listed:
            if roff(name) not in text:
                missing.append("%s: subcommand %s of %s" % (page_of(cmd), name, cmd.name))
    check(not missing, "missing from the man pages:\n  " + "\n  ".join(missing))


def test_man_pages_render_cleanly():
    man = require_tool("man", "man-db")
    for path in sorted(glob.glob(os.path.join(MAN_DIR, "*.1"))):
        # What lintian runs (manpage-has-errors-from-man): groff's warnings on stderr.
        proc = subprocess.run([man, "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"), timeout=60)
        check(proc.returncode == 0 and not proc.stderr.strip(),
              "man %s: exit %d, %s" % (os.path.basename(path), proc.returncode, proc.stderr.strip()))
    # The NAME line is what `man -k` / whatis shows: "weft-dns - DNS resolver ...".
    for page in ["weft"] + ["weft-" + c.path[1] for c in tree().subcommands]:
        check(re.search(r"^\.SH NAME\n%s \\- \S" % re.escape(roff(page)), man_text(page), re.M),
              "%s: NAME section is not 'name \\- summary'" % page)


def test_extras_name_only_existing_options():
    """docs/man/<page>.md is prose next to the generated part: an option it names must still be
    one of that page's commands, and an example line `$ weft CMD ...` may use only CMD's
    options (a renamed option would otherwise live on in the prose)."""
    pages = {"weft": tree()}
    pages.update({"weft-" + c.path[1]: c for c in tree().subcommands})

    def options_of(cmd):
        return {n for c in cmd.walk() for n in c.option_names()}
    for path in glob.glob(os.path.join(SOURCE, "docs", "man", "*.md")):
        page = os.path.basename(path)[:-3]
        check(page in pages, "%s: no command makes a page %s" % (path, page))
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                example = re.match(r"\s*[$#] weft (\S+)", line)
                if example:
                    cmd = pages.get("weft-" + example.group(1))
                    check(cmd, "%s:%d: an example runs an unknown command" % (path, number))
                else:
                    cmd = pages[page]
                named = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", line))
                unknown = named - options_of(cmd)
                check(not unknown, "%s:%d names options %s has not: %s" % (path, number, cmd.name, sorted(unknown)))


def test_completion_offers_every_command_and_option():
    lines, expect = [], []
    for cmd in tree().walk():
        words = cmd.path[1:]
        lines.append(words + [""])
        expect.append(("subcommands of " + cmd.name, [n for n, _ in cmd.listed], True))
        lines.append(words + ["-"])
        expect.append(("options of " + cmd.name, cmd.option_names(), True))
        for opt in cmd.options:
            if opt.choices:
                for name in opt.names:
                    lines.append(words + [name, ""])
                    expect.append(("values of %s %s" % (cmd.name, name), opt.choices, True))
                    lines.append(words + [name, "=", ""])  # --mode=<TAB>: bash splits at '='
                    expect.append(("values of %s %s=" % (cmd.name, name), opt.choices, True))
        for name, _ in cmd.listed:  # a prefix completes to the one subcommand
            lines.append(words + [name[:2]])
            expect.append(("%s %s<TAB>" % (cmd.name, name[:2]), [name], False))
    got = bash_completion.complete_all(SHARE, lines)
    problems = []
    for (what, want, exact), line, have in zip(expect, lines, got):
        if exact and sorted(have) != sorted(want):
            problems.append("%s: bash offers %s, --help lists %s  [weft %s]" % (what, have, want, " ".join(line)))
        if not exact and not set(want) <= set(have):
            problems.append("%s: bash offers %s, want %s" % (what, have, want))
    check(not problems, "\n  ".join(["completion differs from --help:"] + problems))


def test_completion_of_weft_dn_is_dns():
    """The issue's example: `weft dn<TAB>` completes to `weft dns`."""
    got = bash_completion.complete_all(SHARE, [["dn"]])
    check(got == [["dns"]], "weft dn<TAB> offers %s" % got)


def test_completion_offers_files_for_file_options():
    for cmd in tree().walk():
        for opt in cmd.options:
            if opt.value_kind() == "file":
                got = bash_completion.complete_all(SHARE, [cmd.path[1:] + [opt.names[-1], os.path.join(SOURCE, "READ")]])
                check(got == [[os.path.join(SOURCE, "README.md")]],
                      "%s %s <TAB> should complete file names, got %s" % (cmd.name, opt.names[-1], got))
                return
    raise AssertionError("no option takes a file")


def test_completion_offers_interfaces_for_iface():
    for cmd in tree().walk():
        if "--iface" in cmd.option_names():
            got = bash_completion.complete_all(SHARE, [cmd.path[1:] + ["--iface", "l"]])
            check("lo" in got[0], "%s --iface l<TAB> should offer lo, got %s" % (cmd.name, got))
            return
    raise AssertionError("no command takes --iface")


def test_version_is_the_project_version():
    with open(os.path.join(BUILD, "CMakeCache.txt"), encoding="utf-8") as f:
        m = re.search(r"^CMAKE_PROJECT_VERSION:STATIC=(\S+)$", f.read(), re.M)
    check(m, "no CMAKE_PROJECT_VERSION in the build's cache")
    check(cli_help.version(WEFT) == "weft " + m.group(1),
          "weft --version says %r, the project is %s" % (cli_help.version(WEFT), m.group(1)))


if __name__ == "__main__":
    check(BUILD, "WEFT_BUILD_DIR is not set (run through ctest)")
    main([test_every_command_has_a_page, test_man_pages_list_every_option_and_command,
          test_man_pages_render_cleanly, test_extras_name_only_existing_options,
          test_completion_offers_every_command_and_option, test_completion_of_weft_dn_is_dns,
          test_completion_offers_files_for_file_options, test_completion_offers_interfaces_for_iface,
          test_version_is_the_project_version])
