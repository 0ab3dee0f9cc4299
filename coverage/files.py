"""files.py - the source tree's files as git sees them: tracked ones and
new ones not ignored (a test written since the last commit counts), as
they are in the working tree."""
import subprocess


def source_files(source):
    """Paths relative to source, sorted."""
    out = subprocess.run(["git", "-C", source, "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard"], capture_output=True, check=True).stdout
    return sorted({f for f in out.decode().split("\0") if f})
