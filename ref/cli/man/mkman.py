#!/usr/bin/env python3
"""mkman.py SNAPFORK OUTDIR [VERSION] - man pages from the CLI's own --help.

snapfork.1 from `snapfork --help`, snapfork-CMD.1 from `snapfork CMD --help`
for every command the top-level help lists.  The help texts are the one
source: a page cannot fall behind an option (suites/tests/cli/man_test.sh
checks that no option is lost on the way).

Not help2man: it expects GNU's layout (a capitalised "Usage:", options in
blank-line separated blocks, one program per --version) and, tried on these
texts, ran the synopsis into the options and an option into the paragraph
before it.  The CLI's texts have one layout of their own, read here:
  usage: snapfork CMD ...           the synopsis (continuations indented)
         snapfork CMD ...           another form
    Paragraph text, indent 2.
    --opt ARG     text               an option (continuations indented more)
    Exit 0: ...                      the exit status, to the end
"""
import re
import subprocess
import sys

TERM = re.compile(r"^  (\S.*?)(?: {2,}(\S.*))?$")


def esc(text):
    """roff-safe text: backslashes, hyphens (so that --opt copies as typed)
    and a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def help_of(sf, *args):
    out = subprocess.run([sf, *args, "--help"], capture_output=True, text=True, check=True)
    return out.stdout.rstrip("\n").split("\n")


def split_usage(lines):
    """The synopsis forms (each joined), and the lines after them."""
    forms, i = [], 0
    while i < len(lines) and (i == 0 or lines[i].startswith("   ")):
        line = lines[i].strip()
        if line.startswith("usage:"):
            line = line[len("usage:"):].strip()
        if line.startswith("snapfork ") or not forms:
            forms.append(line)
        else:
            forms[-1] += " " + line
        i += 1
    return forms, lines[i:]


def blocks(body, subcommands):
    """("para", text) and ("term", term, text) items, and the exit text."""
    items, exit_lines = [], []
    for line in body:
        if exit_lines or line.strip().startswith("Exit ") or line.strip().startswith("exit status"):
            exit_lines.append(line.strip())
            continue
        m = TERM.match(line)
        first = m.group(1).split(" ")[0] if m else ""
        is_term = m and (first.startswith("-") or first in subcommands)
        if line.strip().startswith("commands") and line.endswith(":"):
            continue  # the top page's "commands (...):" is the COMMANDS heading
        if is_term:
            items.append(["term", m.group(1), m.group(2) or ""])
        elif line.startswith("   ") and items and items[-1][0] == "term":
            items[-1][2] = (items[-1][2] + " " + line.strip()).strip()
        elif items and items[-1][0] == "para":
            items[-1][1] += " " + line.strip()
        else:
            items.append(["para", line.strip()])
    return items, " ".join(exit_lines)


# snapfork.1 only: what the top-level help has no room for.
TOP_EXTRA = r"""
.SH ENVIRONMENT
.TP
.B SNAPFORK_CACHE
where vmcheck's guest and the kernels' packages are kept (default: the build
tree when run from one, else
.I /var/cache/snapfork
for root,
.I $XDG_CACHE_HOME/snapfork
or
.I ~/.cache/snapfork
for others)
.TP
.B SNAPFORK_DATADIR
where the scripts and doubles are (default: share/snapfork beside the
binary's bin directory,
.IR /usr/share/snapfork )
.TP
.B TMPDIR
where every command makes its scratch when --scratch or --work is not given
(else /var/tmp): check, crash, powercut, matrix, vmcheck, kernels
.TP
.B SNAPFORK_FIXTURES
another directory of fixtures (*.tar and *.json) instead of the bundled ones
.SH FILES
.TP
.I /usr/share/snapfork/fixtures
the bundled fixture snapshots
.TP
.I /usr/share/snapfork/doubles
shell fork commands, correct (cp\-ln.sh, tar\-ln.sh: templates for your own)
and broken (broken\-*.sh: what check and crash catch)
.TP
.I /usr/share/doc/snapfork/CONTRACT.md
the rules every fork is judged by
"""


def page(name, section_title, summary, forms, items, exit_text, see_also, version):
    # .nh: no hyphenation, so that an option is never split across lines.
    out = ['.TH %s 1 "" "snapfork %s" "%s"' % (esc(name.upper()), version, section_title), ".nh",
           ".SH NAME", "%s \\- %s" % (esc(name), esc(summary)), ".SH SYNOPSIS"]
    for i, form in enumerate(forms):
        out += ([".br"] if i else []) + [".B " + esc(form.split(" [")[0].split(" ")[0]),
                                           esc(form[len(form.split(" ")[0]):].strip())]
    section = None
    for item in items:
        if item[0] == "term":
            want = "OPTIONS" if item[1].startswith("-") else "COMMANDS"
        else:
            want = section or "DESCRIPTION"
        if want != section:
            out.append(".SH " + want)
            section = want
        if item[0] == "term":
            out += [".TP", ".B " + esc(item[1]), esc(item[2])]
        else:
            out += [".PP", esc(item[1])]
    if exit_text:
        out += [".SH EXIT STATUS", esc(exit_text)]
    if name == "snapfork":
        out.append(TOP_EXTRA.strip())
    out += [".SH SEE ALSO", ",\n".join(".BR %s (1)" % esc(s) for s in see_also)]
    return "\n".join(out) + "\n"


def main():
    sf, outdir = sys.argv[1], sys.argv[2]
    version = sys.argv[3] if len(sys.argv) > 3 else ""
    top = help_of(sf)
    start = next(i for i, l in enumerate(top) if l.startswith("commands"))
    commands, summaries = [], {}
    for line in top[start + 1:]:
        m = re.match(r"^  ([a-z][a-z-]+)\b(.*)$", line)
        if m and not line.startswith("  --"):
            commands.append(m.group(1))
            # "  name ARGS   summary", "  name    summary" or "  name ARGS"
            # with the summary on the lines below.
            rest = m.group(2)
            parts = re.split(r" {2,}", rest.strip(), maxsplit=1)
            summaries[m.group(1)] = (rest.strip() if rest.startswith("  ") else
                                     parts[1] if len(parts) > 1 else "")
        elif commands and line.startswith("      ") and line.strip():
            summaries[commands[-1]] = (summaries[commands[-1]] + " " + line.strip()).strip()
        elif not line.strip() and commands:
            break
    for cmd, text in summaries.items():
        # NAME's line is short (whatis, apropos): up to a parenthesis or
        # semicolon that leaves enough to read.
        cut = min([i for i in (text.find(" ("), text.find("; ")) if i >= 20] or [len(text)])
        summaries[cmd] = text[:cut]
    pages = ["snapfork-%s" % c for c in commands]
    forms, body = split_usage(top)
    items, exit_text = blocks([l for l in body if l.strip()], commands)
    with open("%s/snapfork.1" % outdir, "w") as f:
        f.write(page("snapfork", "User Commands", top[2].strip().rstrip("."), forms, items,
                     exit_text, pages, version))
    for cmd in commands:
        lines = help_of(sf, cmd)
        forms, body = split_usage(lines)
        subs = {w for form in forms for w in form.split(" ")[2:3] if w.isalpha()}
        items, exit_text = blocks([l for l in body if l.strip()], subs)
        summary = summaries[cmd] or cmd
        with open("%s/snapfork-%s.1" % (outdir, cmd), "w") as f:
            f.write(page("snapfork-" + cmd, "User Commands", summary, forms, items, exit_text,
                         ["snapfork"] + [p for p in pages if p != "snapfork-" + cmd], version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
