"""The weft CLI as its own --help describes it: `weft --help`, then `weft CMD --help` for every
subcommand it lists, and so on down, read into a tree of Command objects.

The man pages (gen-man.py), the bash completion (gen-completion.py) and the test that checks
both (tests/integration/cli_docs_test.py) all start from this tree, so a command or option
added to the CLI reaches them with no list to edit by hand. It reads CLI11's help layout:

    <description>
    Usage: weft dns query [OPTIONS] name

    Positionals:
      name TEXT REQUIRED          domain name to look up
    Options:
      -h,--help                   Print this help message and exit
      --type TEXT=A               A, AAAA, ...
      --retries INT:INT in [0 - 100]=2
                                  re-sends after the first try
    Subcommands:
      query                       ask a DNS server ...

An item's name column is as wide as the one of `-h,--help` (the line every command has); a
name too long for it stands alone on its line, and its description follows on the next.
Anything this parser does not recognise is an error, never silently dropped."""
import re
import subprocess

# Words CLI11 appends to an item's name column that are not a value type.
_NOT_A_TYPE = re.compile(r"^(REQUIRED|Excludes:|Needs:|\.\.\.)")


class Option:
    """-h,--help or --type TEXT=A: its names, whether it takes a value and what kind."""

    def __init__(self, spec, description):
        self.spec = spec                  # the name column as printed
        self.description = description
        names, _, rest = spec.partition(" ")
        self.names = names.split(",")     # ["-q", "--quiet"]
        rest = rest.strip()
        self.type = None                  # "TEXT", "INT", "FILE", ... or None for a flag
        self.choices = []                 # from a check such as TEXT:{echo,upper}
        self.default = None
        self.range = None                 # "0 - 100" from a check such as INT:INT in [0 - 100]
        self.required = "REQUIRED" in rest.split()
        self.repeatable = "..." in rest.split()
        if rest and not _NOT_A_TYPE.match(rest):
            m = re.match(r"([A-Z][A-Z_]*)(:\{([^}]*)\}|:[^=\s]*(\s+in\s+\[([^]]*)\])?)?(=(\S*))?", rest)
            if not m:
                raise ValueError("cannot read option column %r" % spec)
            self.type = m.group(1)
            if m.group(3) is not None:
                self.choices = m.group(3).split(",")
            self.range = m.group(5)
            self.default = m.group(7)

    @property
    def long_names(self):
        return [n for n in self.names if n.startswith("--")]

    def value_kind(self):
        """What a value of this option is, for completion: "choices", "file", "dir", "iface"
        (a network interface's name) or None."""
        if self.type is None:
            return None
        if self.choices:
            return "choices"
        if self.type == "IF" or "--iface" in self.names:
            return "iface"
        text = (self.type + " " + self.description).lower()
        if self.type == "DIR" or "directory" in text:
            return "dir"
        if self.type == "FILE" or re.search(r"\bfile\b|pcap", text):
            return "file"
        return None


class Positional:
    """name TEXT REQUIRED: an argument given by position."""

    def __init__(self, spec, description):
        self.spec = spec
        self.description = description
        words = spec.split()
        self.name = words[0]
        self.required = "REQUIRED" in words
        self.repeatable = "..." in words


class Command:
    """One level of the CLI: `weft`, `weft dns`, `weft dns query`."""

    def __init__(self, path, text):
        self.path = list(path)            # ["weft", "dns", "query"]
        self.description = ""
        self.usage = ""
        self.positionals = []
        self.options = []
        self.subcommands = []             # Command, in the order the help lists them
        self.listed = []                  # (name, description) of the subcommands listed here
        self.summary = self.description   # the line the parent's help gives this command
        self.footer = []
        self._parse(text)
        self.summary = self.description

    @property
    def name(self):
        return " ".join(self.path)

    def walk(self):
        """This command and every command below it, depth first."""
        yield self
        for sub in self.subcommands:
            yield from sub.walk()

    def option_names(self):
        return [n for o in self.options for n in o.names]

    def _parse(self, text):
        lines = text.rstrip("\n").split("\n")
        usage_at = next((i for i, l in enumerate(lines) if l.startswith("Usage: ")), None)
        if usage_at is None:
            raise ValueError("%s --help has no Usage line" % self.name)
        self.description = " ".join(l.strip() for l in lines[:usage_at] if l.strip())
        self.usage = lines[usage_at][len("Usage: "):].strip()
        help_line = next((l for l in lines if l.startswith("  -h,--help ")), None)
        if help_line is None:
            raise ValueError("%s --help does not list -h,--help" % self.name)
        column = re.search(r"\S", help_line[len("  -h,--help"):]).start() + len("  -h,--help")
        section, items, pending = None, [], None
        for line in lines[usage_at + 1:]:
            if not line.strip():
                continue
            if not line.startswith(" "):
                if not line.endswith(":"):  # text after the sections: a footer
                    self.footer.append(line)
                    section = "footer"
                    continue
                section = line[:-1]
                continue
            if section == "footer":
                self.footer.append(line.strip())
                continue
            if section is None:
                raise ValueError("%s --help: item outside a section: %r" % (self.name, line))
            head = line[:column]
            if head.strip():
                if len(line) > column and line[column - 1] != " ":  # name too long: alone on its line
                    pending = (section, line.strip())
                    continue
                items.append([section, head.strip(), line[column:].strip()])
            elif pending:
                items.append([pending[0], pending[1], line.strip()])
                pending = None
            elif items:  # a description continued on the next line
                items[-1][2] += " " + line.strip()
            else:
                raise ValueError("%s --help: stray line %r" % (self.name, line))
        if pending:
            items.append([pending[0], pending[1], ""])
        for section, spec, description in items:
            if section == "Positionals":
                self.positionals.append(Positional(spec, description))
            elif section == "Subcommands":
                self.listed.append((spec, description))
            else:  # "Options" and any named option group
                self.options.append(Option(spec, description))


def run_help(weft, path):
    proc = subprocess.run([weft, *path, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=30)
    if proc.returncode != 0:
        raise RuntimeError("%s %s --help exited %d: %s" % (weft, " ".join(path), proc.returncode,
                                                          proc.stderr.strip()))
    return proc.stdout


def read(weft, path=()):
    """The whole CLI below `weft PATH...`, read from the program at `weft` (a file path)."""
    cmd = Command(["weft", *path], run_help(weft, list(path)))
    for name, description in cmd.listed:
        sub = read(weft, (*path, name))
        sub.summary = description
        cmd.subcommands.append(sub)
    return cmd


def version(weft):
    """`weft --version` as printed: "weft 0.1.0"."""
    proc = subprocess.run([weft, "--version"], stdout=subprocess.PIPE, text=True, timeout=30, check=True)
    return proc.stdout.strip()
