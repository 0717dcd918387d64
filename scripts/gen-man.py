#!/usr/bin/env python3
"""gen-man.py WEFT OUTDIR [--extras DIR] [--date YYYY-MM-DD]

Writes the man pages of the weft CLI into OUTDIR: weft.1 and one page per top-level command
(weft-dns.1, ...), each also as NAME.1.gz (what gets installed: Debian wants them compressed
with gzip -9n). Everything about commands and options comes from the program's own --help
(cli_help.py), so a page cannot miss an option; the rules every command keeps (exit status,
servers' defaults), from the CLI contract, are written here once. DIR/<page>.md may add
sections to a page in a small markdown subset (see render_extras); a page's extras are where
a command's own behaviour beyond its options is told (like dig's exit status).

OUTDIR is emptied of old pages first, so a command that is gone leaves no page behind."""
import argparse
import datetime
import glob
import gzip
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_help  # noqa: E402

# From the CLI contract: what every weft command promises.
EXIT_STATUS = ("0 on success; 1 on a runtime failure, with a one-line reason on standard error "
               "naming the address, file or interface; 2 on a usage error, naming the bad argument.")
SERVERS = ("Servers listen on 127.0.0.1 unless \\fB\\-\\-host\\fR says otherwise (0.0.0.0 or :: to "
           "expose them), refuse a port already in use (\"in use\", exit 1), and stop gracefully on "
           "SIGINT or SIGTERM: they stop accepting, finish the exchanges in progress within "
           "\\fB\\-\\-drain\\-timeout\\fR seconds, and exit 0.")


def roff(text):
    """Plain text as roff: backslashes and hyphens escaped, no line starting with a control
    character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return re.sub(r"(?m)^([.'])", r"\\&\1", text)


def inline(text):
    """roff() plus `code` in bold, for the hand-written extras."""
    parts = text.split("`")
    return "".join(roff(p) if i % 2 == 0 else "\\fB" + roff(p) + "\\fR" for i, p in enumerate(parts))


def page_name(cmd):
    return "-".join(cmd.path)


def option_item(opt):
    names = ", ".join("\\fB" + roff(n) + "\\fR" for n in opt.names)
    head = names
    if opt.type:
        head += " \\fI" + roff(opt.type) + "\\fR"
    notes = []
    if opt.choices:
        notes.append("one of: " + ", ".join(opt.choices))
    if opt.range:
        notes.append("from " + opt.range.replace(" - ", " to "))
    if opt.default not in (None, ""):
        notes.append("default: " + opt.default)
    if opt.required:
        notes.append("required")
    if opt.repeatable:
        notes.append("may be repeated")
    body = opt.description + (" (" + "; ".join(notes) + ")" if notes else "")
    return ".TP\n%s\n%s\n" % (head, roff(body))


def positional_item(pos):
    name = "\\fI" + roff(pos.name) + "\\fR"
    notes = [] if pos.required else ["optional"]
    if pos.repeatable:
        notes.append("may be repeated")
    body = pos.description + (" (" + "; ".join(notes) + ")" if notes else "")
    return ".TP\n%s\n%s\n" % (name, roff(body))


def describe(cmd, heading):
    """The arguments and options of one command, under `heading` (.SH or .SS)."""
    out = ""
    if cmd.positionals:
        out += "%s ARGUMENTS\n" % heading if heading == ".SH" else ".PP\nArguments:\n"
        out += "".join(positional_item(p) for p in cmd.positionals)
    if cmd.options:
        out += "%s OPTIONS\n" % heading if heading == ".SH" else ".PP\nOptions:\n"
        out += "".join(option_item(o) for o in cmd.options)
    if cmd.footer:
        out += ".PP\n" + roff(" ".join(cmd.footer)) + "\n"
    return out


def synopsis(commands):
    out = ".SH SYNOPSIS\n"
    for i, cmd in enumerate(commands):
        if i:
            out += ".br\n"
        words = cmd.usage.split()
        out += "\\fB%s\\fR %s\n" % (roff(" ".join(cmd.path)), roff(" ".join(words[len(cmd.path):])))
    return out


def leaves(cmd):
    return [c for c in cmd.walk() if not c.subcommands]


def render_extras(path):
    """DIR/<page>.md: `## HEADING` starts a section; blank lines separate paragraphs; lines
    indented by four spaces are an example shown as is; `- ` starts a list item; `code` is
    bold. Returns {HEADING: roff}."""
    sections, current, para, mode = {}, None, [], None

    def flush():
        nonlocal para, mode
        if para and current is not None:
            if mode == "example":
                sections[current] += ".PP\n.nf\n.RS 4\n" + "\n".join(roff(l) for l in para) + "\n.RE\n.fi\n"
            elif mode == "item":
                sections[current] += ".IP \\(bu 2\n" + inline(" ".join(para)) + "\n"
            else:
                sections[current] += ".PP\n" + inline(" ".join(para)) + "\n"
        para, mode = [], None

    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith("## "):
                flush()
                current = line[3:].strip().upper()
                sections[current] = ""
            elif not line.strip():
                flush()
            elif line.startswith("    "):
                if mode != "example":
                    flush()
                mode = "example"
                para.append(line[4:])
            elif line.startswith("- "):
                flush()
                mode = "item"
                para.append(line[2:].strip())
            else:
                if current is None:
                    raise ValueError("%s: text before the first '## ' heading" % path)
                if mode == "example":
                    flush()
                para.append(line.strip())
    flush()
    return sections


def header(name, summary, version, date):
    return ('.\\" Generated by scripts/gen-man.py from `weft --help`; do not edit.\n'
            '.TH %s 1 "%s" "%s" "User Commands"\n.nh\n.SH NAME\n%s \\- %s\n'
            % (name.upper(), date, version, roff(name), roff(summary)))


def top_page(root, pages, version, date, extras):
    summary = re.sub(r"^weft:\s*", "", root.description)
    out = header("weft", summary, version, date)
    out += synopsis([root]).replace("SUBCOMMAND", "COMMAND")
    out += ".SH DESCRIPTION\n" + roff(summary[0].upper() + summary[1:]) + ".\n"
    out += ("Each command has its own page, and \\fBweft\\fR \\fIcommand\\fR \\fB\\-\\-help\\fR "
            "lists its options.\n") + extras.get("DESCRIPTION", "")
    out += describe(root, ".SH")
    out += ".SH COMMANDS\n"
    for sub in root.subcommands:
        for leaf in leaves(sub):
            out += ".TP\n\\fB%s\\fR\n%s (\\fB%s\\fR(1))\n" % (roff(" ".join(leaf.path[1:])),
                                                           roff(leaf.summary), roff(page_name(sub)))
    out += common_sections(extras, has_server=any(is_server(c) for c in root.walk()))
    out += see_also([p for p in pages if p != "weft"])
    return out


def command_page(cmd, version, date, extras, pages):
    name = page_name(cmd)
    out = header(name, cmd.summary, version, date)
    out += synopsis(leaves(cmd))
    out += ".SH DESCRIPTION\n" + roff(cmd.description) + "\n" + extras.get("DESCRIPTION", "")
    if cmd.subcommands:
        out += describe(cmd, ".SH") if cmd.positionals or len(cmd.options) > 1 else ""
        out += ".SH COMMANDS\n"
        for leaf in leaves(cmd):
            out += ".SS %s\n%s\n" % (roff(" ".join(leaf.path)), roff(leaf.description))
            out += describe(leaf, ".SS")
    else:
        out += describe(cmd, ".SH")
    out += common_sections(extras, has_server=any(is_server(c) for c in cmd.walk()))
    out += see_also(["weft"] + [p for p in pages if p not in ("weft", name)])
    return out


def is_server(cmd):
    return "--drain-timeout" in cmd.option_names()


def common_sections(extras, has_server):
    """EXIT STATUS (the contract's, then the page's own words), SERVERS, then the page's other
    extra sections in their order (its DESCRIPTION extra joined the generated one)."""
    out = ".SH EXIT STATUS\n" + roff(EXIT_STATUS) + "\n"
    if "EXIT STATUS" in extras:
        out += extras["EXIT STATUS"]
    if has_server:
        out += ".SH SERVERS\n" + SERVERS + "\n"
    for heading, body in extras.items():
        if heading not in ("EXIT STATUS", "DESCRIPTION"):
            out += ".SH %s\n%s" % (roff(heading), body)
    return out


def see_also(pages):
    items = [".BR %s (1)" % roff(p) for p in pages]
    return ".SH SEE ALSO\n" + ",\n".join(items) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("weft", help="the built weft program")
    ap.add_argument("outdir")
    ap.add_argument("--extras", help="directory of <page>.md files with extra sections")
    ap.add_argument("--date", default=datetime.date.today().isoformat())
    args = ap.parse_args()

    root = cli_help.read(args.weft)
    version = cli_help.version(args.weft)
    pages = ["weft"] + [page_name(c) for c in root.subcommands]

    def extras_of(name):
        path = os.path.join(args.extras, name + ".md") if args.extras else None
        return render_extras(path) if path and os.path.exists(path) else {}

    if args.extras:
        for path in glob.glob(os.path.join(args.extras, "*.md")):
            stem = os.path.basename(path)[:-3]
            if stem not in pages:
                sys.exit("gen-man.py: %s is the extras of a page no command makes (pages: %s)"
                         % (path, " ".join(pages)))

    os.makedirs(args.outdir, exist_ok=True)
    for old in glob.glob(os.path.join(args.outdir, "weft*.1")) + glob.glob(os.path.join(args.outdir, "weft*.1.gz")):
        os.remove(old)
    texts = {"weft": top_page(root, pages, version, args.date, extras_of("weft"))}
    for cmd in root.subcommands:
        texts[page_name(cmd)] = command_page(cmd, version, args.date, extras_of(page_name(cmd)), pages)
    for name, text in texts.items():
        path = os.path.join(args.outdir, name + ".1")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        # No name and no time in the gzip header, so that a rebuild gives the same bytes.
        with open(path + ".gz", "wb") as raw, \
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(text.encode("utf-8"))


if __name__ == "__main__":
    main()
