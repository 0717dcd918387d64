"""Completing weft command lines through bash itself, as a user's <TAB> does: bash-completion's
loader finds the completion file by the command's name (as it does on first use after the
package is installed), and the function it registers for `weft` computes the candidates.

complete_all(share_dir, lines) runs one bash for a batch of lines (each a list of words, the
last one the word being completed, "" for a new word) and returns one list of candidates per
line. share_dir is the directory holding bash-completion/completions/weft (the build tree's
share/, or /usr/share of an installed package)."""
import json
import os
import shutil
import subprocess

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"

_SCRIPT = r'''

source "$1" || exit 3
# The loader looks in $XDG_DATA_DIRS/bash-completion/completions for a file named after the
# command: the same lookup as after `apt-get install weft`.
__load_completion weft || { echo "bash-completion found no completion for weft" >&2; exit 4; }
spec=$(complete -p weft) || exit 5
func=$(sed -E 's/.*-F ([^ ]+).*/\1/' <<<"$spec")
while IFS= read -r line; do
    eval "COMP_WORDS=($line)"
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$func" weft "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[*]-}"
done
'''


def _bash_quote(word):
    return "'" + word.replace("'", "'\\''") + "'"


def complete_all(share_dir, lines):
    bash = shutil.which("bash")
    if bash is None or not os.path.exists(BASH_COMPLETION):
        raise AssertionError("bash-completion is not installed (%s; scripts/install-deps.sh test installs it)"
                             % BASH_COMPLETION)
    env = dict(os.environ, XDG_DATA_DIRS=share_dir, BASH_COMPLETION_USER_DIR="/nonexistent")
    stdin = "".join(" ".join(_bash_quote(w) for w in ["weft", *words]) + "\n" for words in lines)
    proc = subprocess.run([bash, "--norc", "--noprofile", "-c", _SCRIPT, "bash", BASH_COMPLETION],
                          input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env, timeout=60)
    if proc.returncode != 0:
        raise AssertionError("bash completion failed (exit %d): %s" % (proc.returncode, proc.stderr.strip()))
    out = proc.stdout.split("\n")[:len(lines)]
    if len(out) != len(lines):
        raise AssertionError("bash completion answered %d of %d lines: %s"
                             % (len(out), len(lines), json.dumps(proc.stdout)))
    return [o.split() for o in out]
