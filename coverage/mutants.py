"""mutants.py - the mutants of a C file: one change each, from operators
chosen for ref/lib (issue 24): what a slip in a fork implementation looks
like.  Comments, string and character literals are never touched; only
#define lines that hold flags are mutated among preprocessor lines.

Each mutant is (line number, operator, the line before, the line after).
"""
import re

# Flags the contract's safety rests on: removed one at a time from an
# expression of flags, or replaced by 0 where one stands alone.
FLAGS = ("O_NOFOLLOW O_CLOEXEC O_NOCTTY O_NONBLOCK O_EXCL O_CREAT O_DIRECTORY O_TRUNC "
         "O_PATH AT_SYMLINK_NOFOLLOW AT_EMPTY_PATH AT_REMOVEDIR RENAME_NOREPLACE "
         "FALLOC_FL_KEEP_SIZE FALLOC_FL_PUNCH_HOLE SYNC_FILE_RANGE_WRITE "
         "SYNC_FILE_RANGE_WAIT_BEFORE SYNC_FILE_RANGE_WAIT_AFTER LOCK_NB MAP_POPULATE").split()
# Flags whose removal is not the mistake: one that has a twin is swapped.
SWAPS = {"MAP_PRIVATE": "MAP_SHARED", "SEEK_HOLE": "SEEK_DATA", "SEEK_DATA": "SEEK_HOLE",
         "LOCK_EX": "LOCK_SH"}
# An errno moved between the contract's classes (CONTRACT.md, Reporting:
# fall back, refuse, fail): each goes to a class it is not in.
ERRNO_MOVES = {"EXDEV": "EIO", "EMLINK": "EIO", "EPERM": "EIO", "EACCES": "EIO",
               "EOPNOTSUPP": "EIO", "ENOSYS": "EIO", "ENOTTY": "EIO", "EINVAL": "EIO",
               "EBADF": "EIO", "ETXTBSY": "EIO", "ENOENT": "EACCES", "EEXIST": "EIO",
               "ENOTDIR": "EIO", "ELOOP": "EIO", "ESTALE": "EIO", "EWOULDBLOCK": "EIO",
               "EAGAIN": "EIO", "EINTR": "EIO", "ENOSPC": "EIO", "EIO": "ENOSPC",
               "ENOMEM": "EIO", "ENAMETOOLONG": "EIO", "EISDIR": "EIO", "ENXIO": "EIO"}

RELATIONAL = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
LOGICAL = {"&&": "||", "||": "&&"}
CALL_STMT = re.compile(r"^(\s*)((?:(\w+)\s*=\s*)?([a-z_][a-z0-9_]*)\s*\(.*\)\s*);\s*$")
# Cleanups whose deletion leaks and changes nothing a test can see: not
# "a checked call deleted".
CLEANUPS = {"close", "free", "closedir", "fclose", "munmap", "va_end", "sf_close_keep_errno"}
IF_CALL = re.compile(r"^(\s*(?:\}\s*else\s+)?if\s*\()(.*\w\s*\(.*)(\)\s*\{?\s*)$")
RETURN = re.compile(r"^(\s*return\s+)(.+?)(;\s*)$")
NUMBER = re.compile(r"(?<![\w.])(0[xX][0-9a-fA-F]+|0[0-7]+|[0-9]+)([uUlL]*)(?![\w.])")


def mask(lines):
    """The lines with comments and literals blanked (same columns), so
    that an operator is only ever found in code."""
    out, in_comment = [], False
    for line in lines:
        chars, i, quote = list(line), 0, None
        while i < len(chars):
            two = line[i:i + 2]
            if in_comment:
                if two == "*/":
                    chars[i] = chars[i + 1] = " "
                    in_comment = False
                    i += 2
                    continue
                chars[i] = " "
            elif quote:
                if line[i] == "\\":
                    chars[i] = " "
                    if i + 1 < len(chars):
                        chars[i + 1] = " "
                    i += 2
                    continue
                if line[i] == quote:
                    quote = None
                else:
                    chars[i] = " "
            elif two == "/*":
                chars[i] = chars[i + 1] = " "
                in_comment = True
                i += 2
                continue
            elif two == "//":
                chars[i:] = " " * (len(chars) - i)
                break
            elif line[i] in "\"'":
                quote = line[i]
            i += 1
        out.append("".join(chars))
    return out


def bump(text, delta):
    """An integer literal's text plus delta, in its own base; None below 0."""
    if text.lower().startswith("0x"):
        value, fmt = int(text, 16) + delta, "0x%x"
    elif len(text) > 1 and text.startswith("0"):
        value, fmt = int(text, 8) + delta, "0%o"
    else:
        value, fmt = int(text) + delta, "%d"
    return None if value < 0 else fmt % value


def operators_at(code):
    """(column, length, replacement, operator) for every change in one
    masked line of code."""
    found = []
    for m in re.finditer(r"(?<![<>=!&|+\-*/%^])(<=|>=|==|!=|<|>)(?![<>=])", code):
        if m.group(1) in "<>" and (code[m.start() - 1:m.start()] == "-" or
                                   re.match(r"\s*#\s*include", code)):
            continue  # ->, #include <x.h>
        op = "relational" if m.group(1) in ("<", "<=", ">", ">=") else "equality"
        found.append((m.start(), len(m.group(1)), RELATIONAL[m.group(1)], op))
    for m in re.finditer(r"&&|\|\|", code):
        found.append((m.start(), 2, LOGICAL[m.group(0)], "logical"))
    for m in NUMBER.finditer(code):
        if code[:m.start()].count("[") > code[:m.start()].count("]") or re.match(r"\s*#", code):
            continue  # inside an array's size; a preprocessor line
        if m.group(1) in ("0", "1") and re.search(r"(<|>|<=|>=|==|!=)\s*$", code[:m.start()]):
            continue  # "r < 0" -> "r < 1" is "r <= 0": the relational mutant
        for delta in (1, -1):
            new = bump(m.group(1), delta)
            if new is not None:
                found.append((m.start(1), len(m.group(1)), new, "constant%+d" % delta))
    for m in re.finditer(r"\b[A-Z][A-Z0-9_]+\b", code):
        name = m.group(0)
        if name in SWAPS:
            found.append((m.start(), len(name), SWAPS[name], "flag"))
        elif name in FLAGS:
            before, after = code[:m.start()], code[m.end():]
            if re.search(r"\|\s*$", before):  # "X | FLAG": drop " | FLAG"
                start = re.search(r"\s*\|\s*$", before).start()
                found.append((start, m.end() - start, "", "flag"))
            elif re.match(r"\s*\|", after):  # "FLAG | X": drop "FLAG | "
                end = m.end() + re.match(r"\s*\|\s*", after).end()
                found.append((m.start(), end - m.start(), "", "flag"))
            else:
                found.append((m.start(), len(name), "0", "flag"))
        elif name in ERRNO_MOVES and not re.search(r"#\s*(if|ifdef|ifndef|define)", code):
            found.append((m.start(), len(name), ERRNO_MOVES[name], "errno"))
    return found


def mutants(lines):
    """Every mutant of a file's lines: (lineno, operator, before, after)."""
    out = []
    masked = mask(lines)
    for n, (line, code) in enumerate(zip(lines, masked), 1):
        if not code.strip() or "_Static_assert" in code:
            continue  # nothing, or a check the compiler makes: never runs
        is_pp = code.lstrip().startswith("#")
        for col, length, new, op in sorted(operators_at(code)):
            if is_pp and op not in ("flag",):
                continue
            out.append((n, op, line, line[:col] + new + line[col + length:]))
        if is_pp:
            continue
        m = RETURN.match(code)
        if m and not code.rstrip().endswith("{"):
            expr = line[m.start(2):m.end(2)]
            if expr.strip() in ("0", "NULL"):
                alts = [("-EIO" if expr.strip() == "0" else None)]
            elif expr.startswith("-"):
                alts = ["0", expr[1:]]  # an -errno: zeroed, or its sign lost
            else:
                alts = ["0"]
            for alt in filter(None, alts):
                out.append((n, "return", line, line[:m.start(2)] + alt + line[m.end(2):]))
        m = CALL_STMT.match(code)
        if (m and code.count("(") == code.count(")") and m.group(4) not in CLEANUPS and
                not re.match(r"\s*(return|if|while|for)\b", code)):
            # "r = call(...);" keeps r defined: the call skipped, success
            # pretended (";" would leave r whatever the stack held).
            keep = m.group(3) + " = 0" if m.group(3) else ""
            out.append((n, "delete", line, m.group(1) + keep + ";"))
        m = IF_CALL.match(code)
        if m and code.count("(") == code.count(")"):
            # The checked call and its check gone: "if (0)".
            out.append((n, "delete", line, line[:m.end(1)] + "0" + line[m.start(3):]))
    # One mutant per distinct line after (constant-1 and return can both
    # make "return 1;" into "return 0;"); and none that changes nothing.
    seen, unique = set(), []
    for m in out:
        if (m[0], m[3]) not in seen and m[3] != m[2]:
            seen.add((m[0], m[3]))
            unique.append(m)
    return unique
