#!/usr/bin/env bash
# cli_test.sh SNAPFORK - the command line: exit codes, one-line errors that
# name the path, JSON that jq parses, verify naming the rule of a broken fork.
SF=$1
. "$(dirname "$0")/../tap.sh" cli

S=$T/snap
mkdir -p "$S/logs" "$S/snapshots/snapshot-latest" "$S/a/logs"
echo '{"cpus": 2}' >"$S/config.json"
chmod 640 "$S/config.json"
echo booted >"$S/logs/vmm.log"
echo nested >"$S/a/logs/app.log"
truncate -s 4G "$S/snapshots/snapshot-latest/memory"
printf 'guest page' | dd of="$S/snapshots/snapshot-latest/memory" bs=4096 seek=1000 conv=notrunc status=none
truncate -s 1G "$S/overlay.raw"
printf 'disk block' | dd of="$S/overlay.raw" bs=4096 seek=77 conv=notrunc status=none
ln -s config.json "$S/current"

expect 0 "--help" "$SF" --help
has "$T/out" "usage: snapfork" "--help prints usage"
expect 0 "--version" "$SF" --version
has "$T/out" "snapfork [0-9]" "--version prints the version"
expect 2 "no command" "$SF"
expect 2 "unknown command" "$SF" frobnicate
expect 2 "fork with one argument" "$SF" fork "$S"
expect 2 "bad --method" "$SF" fork --method copy "$S" "$T/x"
has "$T/err" "unknown --method" "bad --method says why"

expect 0 "fork" "$SF" fork "$S" "$T/f1"
has "$T/out" "via link" "fork reports the mem-file linked"
expect 0 "verify own fork" "$SF" verify "$S" "$T/f1"
has "$T/out" "^ok:" "verify says ok"

expect 0 "fork --json" "$SF" fork --json "$S" "$T/f2"
if jq -e '.ok == true and .kind == "raw" and .mem.via == "link" and .mem.path == "snapshots/snapshot-latest/memory" and .counts.skipped == 1' "$T/out" >/dev/null; then
	ok "fork --json parses and says what happened"
else bad "fork --json"; sed 's/^/# /' "$T/out"; fi

expect 0 "fork --no-link --method rw" "$SF" fork --no-link --method rw "$S" "$T/f3"
has "$T/out" "via rw" "--no-link copies the mem-file"
expect 1 "verify a --no-link fork as a linked one" "$SF" verify "$S" "$T/f3"
expect 0 "verify --no-link judges the copy as a copy" "$SF" verify --no-link "$S" "$T/f3"
expect 2 "unshare --bogus" "$SF" unshare --bogus
has "$T/err" "unknown option: --bogus" "unshare names the bad option"
expect 1 "verify --no-link fork fails F4" "$SF" verify "$S" "$T/f3"
has "$T/out" "^F4 FAIL snapshots/snapshot-latest/memory" "verify names F4 and the path"

expect 1 "fork onto an existing DST" "$SF" fork "$S" "$T/f1"
has "$T/err" "^snapfork fork: $T/f1: DST already exists (File exists)$" "error names DST and the reason"
[ "$(wc -l <"$T/err")" -eq 1 ] && ok "error is one line" || bad "error is one line"

mkfifo "$S/a/pipe"
expect 1 "fork refuses a FIFO" "$SF" fork "$S" "$T/f4"
has "$T/err" "$S/a/pipe: a FIFO is not expected" "FIFO error names the FIFO"
[ ! -e "$T/f4" ] && ok "failed fork left no DST" || bad "failed fork left DST"
[ -z "$(ls -A "$T" | grep snapfork-)" ] && ok "failed fork left no staging" || bad "staging left"
expect 1 "fork --json on failure" "$SF" fork --json "$S" "$T/f4"
if jq -e '.ok == false and .error.errno == 22 and (.error.path | endswith("a/pipe"))' "$T/out" >/dev/null; then
	ok "failure JSON names errno and path"
else bad "failure JSON"; sed 's/^/# /' "$T/out"; fi
rm "$S/a/pipe"

# Hand-break a fork: verify must name each rule.
chmod 600 "$T/f1/config.json"
echo extra >"$T/f1/stray"
expect 1 "verify broken fork" "$SF" verify --json "$S" "$T/f1"
if jq -e '[.violations[].rule] | (index("F1") != null and index("F2") != null)' "$T/out" >/dev/null; then
	ok "verify --json names F1 and F2"
else bad "verify --json"; sed 's/^/# /' "$T/out"; fi

expect 0 "probe" "$SF" probe "$T"
has "$T/out" "hardlink: *yes" "probe tries hardlinks"
expect 0 "probe --json" "$SF" probe --json "$T"
jq -e '.hardlink.ok == true and (.fstype | length > 0)' "$T/out" >/dev/null && ok "probe --json parses" || bad "probe --json"
# A filesystem snapfork has no name for is probed all the same (ramfs, as root).
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/ram" && mount -t ramfs ramfs "$T/ram" 2>/dev/null; then
	"$SF" probe "$T/ram" >"$T/out" 2>"$T/err"
	rc=$?
	umount "$T/ram"
	[ $rc -eq 0 ] && grep -q "unknown (magic 0x858458f6)" "$T/out" && grep -q "SEEK_DATA/HOLE: *no" "$T/out" \
		&& ok "probe of ramfs: unknown name, its magic, and no SEEK_HOLE" || bad "probe ramfs: $(cat "$T/out" "$T/err")"
else
	echo "skip: mounting ramfs needs root; the unknown-filesystem probe is not run"
fi
expect 1 "probe a missing dir" "$SF" probe "$T/none"
has "$T/err" "$T/none" "probe error names the path"

expect 0 "unshare a linked mem-file" "$SF" unshare "$T/f2/snapshots/snapshot-latest/memory"
has "$T/out" "unshared" "unshare says it unshared"
[ "$(stat -c %h "$S/snapshots/snapshot-latest/memory")" -eq 2 ] && ok "snapshot lost the link of f2 (f1 keeps one)" || bad "link count after unshare"
expect 0 "unshare again is a no-op" "$SF" unshare "$T/f2/snapshots/snapshot-latest/memory"
has "$T/out" "not shared" "second unshare does nothing"
expect 1 "unshare a directory" "$SF" unshare "$T/f2"
"$SF" fork "$S" "$T/f6" >/dev/null
(cd "$T/f6/snapshots/snapshot-latest" && "$SF" unshare memory) >"$T/out" 2>"$T/err"
[ $? -eq 0 ] && grep -q "unshared" "$T/out" && ok "unshare a file named without a directory part" || bad "unshare bare name: $(cat "$T/err")"

# Every option of fork, verify, probe and unshare, and their errors.
expect 0 "fork --help" "$SF" fork --help
expect 2 "fork --bogus" "$SF" fork --bogus "$S" "$T/x"
mkdir -p "$S/cache" && echo c >"$S/cache/c"
expect 0 "fork --skip --fsync" "$SF" fork --skip cache --fsync --method range "$S" "$T/f5"
expect 2 "fork --fsync --no-writeback contradict" "$SF" fork --fsync --no-writeback "$S" "$T/f7"
has "$T/err" "contradict" "the usage error says why"
expect 0 "fork --no-writeback" "$SF" fork --no-writeback "$S" "$T/f7"
expect 0 "verify a --no-writeback fork" "$SF" verify "$S" "$T/f7"
[ ! -e "$T/f5/cache" ] && ok "--skip leaves the path out" || bad "--skip"
expect 0 "verify --skip" "$SF" verify --skip cache "$S" "$T/f5"
expect 1 "verify without the skip sees it missing" "$SF" verify "$S" "$T/f5"
has "$T/out" "F1 FAIL cache" "verify names the missing entry"
rm -rf "$S/cache"
expect 0 "verify --help" "$SF" verify --help
expect 2 "verify with one argument" "$SF" verify "$S"
expect 2 "verify --bogus" "$SF" verify --bogus "$S" "$T/f1"
expect 1 "verify a missing fork" "$SF" verify "$S" "$T/none"
has "$T/err" "$T/none" "verify error names the path"
expect 0 "probe --help" "$SF" probe --help
expect 2 "probe --bogus" "$SF" probe --bogus "$T"
expect 2 "probe with no DIR" "$SF" probe
expect 0 "unshare --help" "$SF" unshare --help
expect 1 "unshare a missing file" "$SF" unshare "$T/none"
expect 2 "unshare with two files" "$SF" unshare a b
M=$T/mless; mkdir -p "$M" && echo x >"$M/config.json"
expect 0 "fork a memoryless snapshot" "$SF" fork "$M" "$T/mf"
has "$T/out" "memoryless snapshot" "memoryless is said so"
Z=$T/zsnap; mkdir -p "$Z" && head -c 100000 /dev/urandom >"$Z/raw" && truncate -s 8M "$Z/raw"
zstd -q "$Z/raw" -o "$Z/memory.zst" 2>/dev/null || python3 -c "import sys" # zstd may be absent
if [ -f "$Z/memory.zst" ]; then
	rm "$Z/raw"
	expect 0 "fork a compressed-only snapshot --json" "$SF" fork --json "$Z" "$T/zf"
	jq -e '.kind == "compressed" and .mem.via == "decompress"' "$T/out" >/dev/null && ok "compressed: decompressed, says JSON" || bad "compressed JSON"
	expect 0 "fork --materialize" "$SF" fork --materialize "$Z" "$T/zf2"
	has "$T/out" "via link" "--materialize links the raw file it made in the snapshot"
else
	echo "skip: zstd is not installed; compressed CLI paths not run here"
fi

# A report that cannot be written is a failure, named.
expect 1 "fork --json onto a full stdout" sh -c "exec \"\$0\" fork --json \"\$1\" \"\$2\" >/dev/full" "$SF" "$S" "$T/full"
has "$T/err" "snapfork fork: standard output: cannot write (No space left on device)" "the stdout error names it and why"
expect 1 "fixture list onto a full stdout" sh -c "exec \"\$0\" fixture list >/dev/full" "$SF"
# The text report says where the mem-file came from and why it was not linked.
if [ -f "$Z/memory.zst" ]; then
	mkdir -p "$T/zsnap2" && cp "$Z/memory.zst" "$T/zsnap2/"
	expect 0 "fork a compressed-only snapshot (text)" "$SF" fork "$T/zsnap2" "$T/zf3"
	has "$T/out" "via decompress from memory.zst" "the text report names the compressed source"
fi
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$T")" ]; then
	X=$(mktemp -d /dev/shm/snapfork-cli.XXXXXX)
	expect 0 "fork onto another filesystem" "$SF" fork "$S" "$X/f"
	has "$T/out" "fallback: link refused (EXDEV: Invalid cross-device link)" "the text report names the fallback and its errno"
	rm -rf "$X"
else
	echo "skip: /dev/shm is not another filesystem here; the cross-filesystem report is not run"
fi
# Skipping a directory that holds the mem-file makes the fork memoryless.
expect 0 "fork --skip of the mem-file's directory" "$SF" fork --json --skip snapshots "$S" "$T/nomem"
jq -e '.kind == "memoryless" and .mem.via == "none" and .mem.path == null' "$T/out" >/dev/null && ok "a skipped mem-file is not looked for" || bad "skip of the mem-file's directory: $(cat "$T/out")"

# check: options, reports, failures.
# The main job: the reference library on every bundled fixture.
mkdir -p "$T/scr0"
expect 0 "check (every bundled fixture)" "$SF" check --scratch "$T/scr0"
expect 0 "check --help" "$SF" check --help
expect 2 "check --fork-cmd without {dst}" "$SF" check --fork-cmd "cp -a {src} /tmp/x"
expect 2 "check --fork-cmd without {src}" "$SF" check --fork-cmd "cp -a /tmp/x {dst}"
expect 2 "check an unknown fixture" "$SF" check --fixture no-such
expect 2 "check --bogus" "$SF" check --bogus
mkdir -p "$T/scr"
expect 0 "check --junit --json on one fixture" "$SF" check --fixture qemu-stopped --scratch "$T/scr" --junit "$T/c.xml" --json "$T/c.json"
python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$T/c.xml" && ok "check --junit writes XML that parses" || bad "check junit"
jq -e '.ok == true and (.rows | length) == 7' "$T/c.json" >/dev/null && ok "check --json has a row per fixture, its concurrent row, two hostile places, a race and the two refusals" || bad "check json"
expect 1 "check a broken fork" "$SF" check --fixture ch-raw --scratch "$T/scr" --fork-cmd "cp -a {src} {dst}" --keep --junit "$T/broken.xml"
python3 - "$T/broken.xml" <<'PY' && ok "JUnit: a MUST rule is a <failure>, the SHOULD rule F12 a note in <system-out>" || bad "JUnit failure/system-out"
import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
# One testcase per rule and row (the fixture's, its concurrent, race and
# hostile-place rows): the plain row fails F4 whatever the race row did.
cases = d.getElementsByTagName("testcase")
f4 = [c for c in cases if c.getAttribute("name").startswith("F4")]
f12 = [c for c in cases if c.getAttribute("name").startswith("F12")]
assert any(c.getElementsByTagName("failure") for c in f4), "F4 has no <failure>"
assert not any(c.getElementsByTagName("failure") for c in f12), "F12 is a <failure>"
assert any(c.getElementsByTagName("system-out") for c in f12), "F12 has no note"
PY
has "$T/out" "reproduce with: snapfork check --fork-cmd 'cp -a {src} {dst}' --scratch $T/scr --fixture ch-raw --keep" "check prints the command that reproduces a failure, --scratch included"
has "$T/out" "kept: 7 rows' trees in $T/scr" "check names what it kept, and its size"
has "$T/out" "kept in $T/scr" "check keeps the failing trees"
has "$T/out" "F1 FAIL" "check names the broken rule"
# A long template (the buffer grows past its first guess).
long=$(printf 'x%.0s' $(seq 1000))
expect 0 "check --fork-cmd with a long template" "$SF" check --fixture qemu-stopped --scratch "$T/scr" --fork-cmd "$SF fork {src} {dst} # $long"
# Fixture manifests with only a name and a file list as "?" and extract.
mkdir -p "$T/fxdir" && "$SF" fixture capture "$T/mless" "$T/fxdir/min.tar" >/dev/null
echo '{"name": "min", "file": "min.tar"}' >"$T/fxdir/min.json"
SNAPFORK_FIXTURES=$T/fxdir expect 0 "fixture list with a minimal manifest" "$SF" fixture list
has "$T/out" "^min  *?  *?" "unknown kind and layout show as ?"
SNAPFORK_FIXTURES=$T/fxdir expect 0 "extract a fixture without a mem-file" "$SF" fixture extract min "$T/minx"
[ -f "$T/minx/config.json" ] && ok "the memoryless fixture extracted" || bad "minimal fixture extract"
mkdir -p "$T/forks"
expect 0 "check --fork-dir puts the forks elsewhere" "$SF" check --fixture qemu-raw --scratch "$T/scr" --fork-dir "$T/forks"
# A failing row's forks kept in --fork-dir count in the kept size.
mkdir -p "$T/forks2"
expect 1 "check --fork-dir with a fork that copies the mem-file" "$SF" check --fixture qemu-raw \
	--scratch "$T/scr" --fork-dir "$T/forks2" --fork-cmd 'cp -a {src} {dst}'
kept=$(grep -m1 '^kept: ' "$T/out")
case $kept in *"(0 B apparent"* | "") bad "the kept size leaves the --fork-dir forks out: $kept" ;;
*) ok "the kept size counts the forks in --fork-dir: ${kept#kept: }" ;; esac
rm -rf "$T/forks2" "$T/scr"/*
expect 2 "check --junit into a missing directory" "$SF" check --fixture qemu-stopped --scratch "$T/scr" --junit "$T/none/x.xml"
has "$T/err" "$T/none/x.xml: --junit: cannot write the report there (No such file or directory)" "the JUnit error names the file and why, before the run"
expect 2 "check --json onto a full disk (/dev/full)" "$SF" check --fixture qemu-stopped --scratch "$T/scr" --json /dev/full
has "$T/err" "/dev/full: cannot write JSON (No space left on device)" "a short write is caught at close"
expect 2 "check --junit onto a full disk" "$SF" check --fixture qemu-stopped --scratch "$T/scr" --junit /dev/full
expect 2 "check --json into a missing directory" "$SF" check --fixture qemu-stopped --scratch "$T/scr" --json "$T/none/x.json"
expect 2 "check with an extra argument" "$SF" check --fixture qemu-stopped extra
# What a failing command prints reaches JUnit escaped, control bytes replaced.
expect 1 "check a fork command that fails noisily" "$SF" check --fixture qemu-stopped --scratch "$T/scr" \
	--junit "$T/noisy.xml" --fork-cmd "printf 'a>b\\001c\\td\\n'; exit 3; {src} {dst}"
has "$T/out" "exit 3; its output ended:" "the command's exit status is the row's detail"
has "$T/out" "  a>b" "and its output, line by line"
python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$T/noisy.xml" && grep -q "a&gt;b?c$(printf '\t')d" "$T/noisy.xml" \
	&& ok "JUnit escapes > and replaces control bytes" || bad "JUnit escaping of command output: $(grep -o 'a.b.c' "$T/noisy.xml" | head -1)"
# A fixture that cannot be set up is an error of the run, named.
python3 - "$T/hostile.tar" <<'PY'
import io, json, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("../escape")
    i.size = 1
    t.addfile(i, io.BytesIO(b"x"))
json.dump({"name": "hostile", "file": "hostile.tar", "kind": "raw", "mem_file": "memory"}, open(sys.argv[1][:-4] + ".json", "w"))
PY
expect 2 "check a fixture that cannot be extracted" "$SF" check --fixture "$T/hostile.tar" --scratch "$T/scr"
has "$T/err" "hostile: setup failed" "the setup error names the fixture"
# Without --scratch: under $TMPDIR, removed afterwards.
mkdir -p "$T/tmpdir"
TMPDIR=$T/tmpdir expect 0 "check without --scratch" "$SF" check --fixture qemu-stopped
[ -z "$(ls -A "$T/tmpdir")" ] && ok "the default scratch is removed" || bad "scratch left: $(ls "$T/tmpdir")"
TMPDIR=$T/tmpdir expect 1 "check --keep without --scratch" "$SF" check --fixture ch-raw --fork-cmd "cp -a {src} {dst}" --keep
[ -n "$(ls -A "$T/tmpdir")" ] && has "$T/out" "kept in $T/tmpdir/snapfork-check." "a scratch holding kept trees stays, and is named" || bad "kept scratch removed"
rm -rf "$T/tmpdir"/*
TMPDIR= expect 0 "check with TMPDIR empty (scratch in /var/tmp)" "$SF" check --fixture qemu-stopped
# A fork command killed by a signal is reported as 128 + the signal.
expect 1 "check a fork command that is killed" "$SF" check --fixture qemu-stopped --scratch "$T/scr" --fork-cmd 'kill -KILL $$; {src} {dst}'
has "$T/out" "exit 137" "the row says the command died of SIGKILL (137)"
SNAPFORK_FIXTURES=$T/none expect 2 "check without the fixture directory" "$SF" check
has "$T/err" "$T/none: cannot read the fixture directory" "the error names the fixture directory"

# JUnit stays well-formed whatever a fixture is called; a broken manifest is an error.
mkdir -p "$T/odd"
echo '{}' >"$T/odd/config.json"
"$SF" fixture capture "$T/odd" "$T/we<i&rd\"x.tar" >/dev/null
expect 0 "check a fixture with <&\" in its name" "$SF" check --fixture "$T/we<i&rd\"x.tar" --scratch "$T/scr" --junit "$T/odd.xml"
python3 -c "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); assert 'we<i&rd\"x' in d.getElementsByTagName('testcase')[0].getAttribute('classname')" "$T/odd.xml" \
	&& ok "JUnit escapes the name and keeps it" || bad "JUnit escaping"
echo '{ not json' >"$T/bad.json" && : >"$T/bad.tar"
expect 2 "check a fixture whose manifest is broken" "$SF" check --fixture "$T/bad.tar"
has "$T/err" "$T/bad.json" "the error names the manifest"

# Fixtures: list, extract, capture and back.
expect 0 "fixture list" "$SF" fixture list
has "$T/out" "^ch-zstd  *compressed  *cloud-hypervisor" "fixture list shows kind and layout"
[ "$(grep -c '^[a-z]' "$T/out")" -eq 15 ] && ok "fixture list shows every fixture" || bad "fixture list count"
expect 0 "fixture extract ch-raw" "$SF" fixture extract ch-raw "$T/fx"
has "$T/out" "memory-ranges: 1.0 GiB apparent, [0-9.]* KiB allocated" "extract shows the holes"
[ -S "$T/fx/vsock.sock" ] && ok "extract binds the listed sockets" || bad "socket not bound"
expect 0 "fork an extracted fixture" "$SF" fork "$T/fx" "$T/fxf"
expect 0 "verify it" "$SF" verify "$T/fx" "$T/fxf"
expect 1 "extract onto an existing dir" "$SF" fixture extract ch-raw "$T/fx"
has "$T/err" "$T/fx: already exists" "extract error names the directory"
expect 1 "extract an unknown fixture" "$SF" fixture extract no-such "$T/nx"
has "$T/err" "no such bundled fixture" "unknown fixture is named as such"
expect 2 "fixture with no subcommand" "$SF" fixture
expect 2 "fixture with a bad subcommand" "$SF" fixture frobnicate
expect 0 "fixture --help" "$SF" fixture --help
expect 2 "fixture capture --bogus" "$SF" fixture capture --bogus "$T/fx" "$T/x.tar"
SNAPFORK_FIXTURES=$T/none expect 1 "fixture list without the fixture directory" "$SF" fixture list
has "$T/err" "$T/none: cannot read the fixture directory" "fixture list names the directory"

# matrix: its usage errors need no root.
expect 0 "matrix --help" "$SF" matrix --help
expect 2 "matrix --bogus" "$SF" matrix --bogus
expect 2 "matrix with an extra argument" "$SF" matrix extra
expect 2 "matrix --fork-cmd without {src}" "$SF" matrix --fork-cmd "cp -a x {dst}"
expect 2 "matrix --fork-cmd without {dst}" "$SF" matrix --fork-cmd "cp -a {src} x"
expect 0 "-h" "$SF" -h
# Deep trees need two fds a level: snapfork raises its soft fd limit to the
# hard one.  'deep' (24 levels) fails under a hard limit of 32, not a soft one.
"$SF" fixture extract deep "$T/deep" >/dev/null
bash -c 'ulimit -n 32; exec "$0" fork "$1" "$2"' "$SF" "$T/deep" "$T/lowfd1" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] && grep -q "(Too many open files)$" "$T/err" && [ ! -e "$T/lowfd1" ] \
	&& ok "under a hard fd limit of 32 the deep fork fails cleanly, naming EMFILE" || bad "hard fd limit: $(cat "$T/err")"
bash -c 'ulimit -Sn 32; exec "$0" fork "$1" "$2"' "$SF" "$T/deep" "$T/lowfd2" >"$T/out" 2>"$T/err" \
	&& [ -d "$T/lowfd2" ] && ok "under a soft fd limit of 32 it succeeds (raised to the hard limit)" || bad "soft fd limit: $(cat "$T/err")"

listing() { (cd "$1" && find . -mindepth 1 -printf '%P %y %m %s\n' | sort); }
expect 0 "capture a snapshot" "$SF" fixture capture "$T/fx" "$T/cap.tar"
jq -e '.sockets | index("vsock.sock") != null' "$T/cap.json" >/dev/null && ok "capture lists sockets in its manifest" || bad "capture manifest"
expect 0 "extract the capture" "$SF" fixture extract "$T/cap.tar" "$T/fx2"
[ "$(listing "$T/fx")" = "$(listing "$T/fx2")" ] && ok "capture round trip keeps the tree" || bad "capture round trip tree"
cmp -s "$T/fx/overlay.raw" "$T/fx2/overlay.raw" && ok "capture keeps contents" || bad "capture contents"
[ "$(stat -c %b "$T/fx2/snapshots/snapshot-latest/memory-ranges")" -le "$(( $(stat -c %b "$T/fx/snapshots/snapshot-latest/memory-ranges") + 8 ))" ] && ok "capture keeps holes" || bad "capture holes"
expect 0 "capture --anonymize" "$SF" fixture capture --anonymize "$T/fx" "$T/anon.tar"
expect 0 "extract the anonymized capture" "$SF" fixture extract "$T/anon.tar" "$T/fx3"
[ "$(listing "$T/fx")" = "$(listing "$T/fx3")" ] && ok "anonymized capture keeps the tree" || bad "anonymized tree"
cmp -s "$T/fx/overlay.raw" "$T/fx3/overlay.raw" && bad "anonymized capture kept the bytes" || ok "anonymized capture replaced the bytes"
expect 1 "capture a missing dir" "$SF" fixture capture "$T/none" "$T/x.tar"
has "$T/err" "$T/none" "capture error names the directory"
expect 1 "capture onto an existing tar" "$SF" fixture capture "$T/fx" "$T/cap.tar"
has "$T/err" "$T/cap.tar: exists; --force overwrites it" "capture refuses to overwrite, naming --force"
expect 0 "capture --force" "$SF" fixture capture --force "$T/fx" "$T/cap.tar"
# Names: UTF-8 ones as UTF-8 (GNU tar reads the tar without a warning),
# others kept as bytes (one hdrcharset entry each); both come back.
mkdir "$T/names" && echo a >"$T/names/oké" && echo b >"$T/names/plain"
"$SF" fixture capture "$T/names" "$T/names.tar" >/dev/null && tar tf "$T/names.tar" >/dev/null 2>"$T/tarerr" &&
	[ ! -s "$T/tarerr" ] && ok "GNU tar reads a capture with UTF-8 names cleanly" || bad "GNU tar: $(head -2 "$T/tarerr")"
echo c >"$T/names/$(printf 'raw\377')"
"$SF" fixture capture --force "$T/names" "$T/names.tar" >/dev/null && "$SF" fixture extract "$T/names.tar" "$T/names2" >/dev/null &&
	[ "$(ls "$T/names" | od -c)" = "$(ls "$T/names2" | od -c)" ] && ok "names as bytes come back as they were" || bad "capture of odd names"
# bsdtar (libarchive's own reader) reads both captures without a word
# and extracts the raw name as it was.
if command -v bsdtar >/dev/null; then
	# (In a UTF-8 locale: in C, libarchive warns that it cannot convert
	# the UTF-8 name "oké", a fact about the locale, not the tar.)
	mkdir "$T/bsd" && LC_ALL=C.UTF-8 bsdtar -tvf "$T/cap.tar" >/dev/null 2>"$T/bsderr" &&
		LC_ALL=C.UTF-8 bsdtar -xf "$T/names.tar" -C "$T/bsd" 2>>"$T/bsderr" && [ ! -s "$T/bsderr" ] &&
		[ "$(ls "$T/names" | od -c)" = "$(ls "$T/bsd" | od -c)" ] &&
		ok "bsdtar reads the captures cleanly, odd names kept" || bad "bsdtar: $(head -2 "$T/bsderr")"
else
	echo "skip: cli: bsdtar is not installed (Debian: libarchive-tools); the captures were read by GNU tar only"
fi
# A socket bound again on extract leaves its directory's times as captured.
mkdir -p "$T/sk/api" && python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/sk/api/api.sock" &&
	touch -d @1700000000 "$T/sk/api" && "$SF" fixture capture "$T/sk" "$T/sk.tar" >/dev/null &&
	"$SF" fixture extract "$T/sk.tar" "$T/sk2" >/dev/null && [ -S "$T/sk2/api/api.sock" ] &&
	[ "$(stat -c %Y "$T/sk2/api")" = 1700000000 ] && ok "extract binds sockets and keeps their directory's mtime" ||
	bad "socket directory times: $(stat -c %Y "$T/sk2/api" 2>&1)"
# A refused fixture (a shrunk F13 failure) is its own refusal row, once.
"$SF" fixture extract qemu-stopped "$T/refd" >/dev/null && mkfifo "$T/refd/pipe" &&
	"$SF" fixture capture "$T/refd" "$T/refd.tar" >/dev/null &&
	jq '.refused = true' "$T/refd.json" >"$T/refd.j" && mv "$T/refd.j" "$T/refd.json"
expect 0 "check a refused fixture" "$SF" check --fixture "$T/refd.tar" --scratch "$T/scr"
[ "$(grep -c '^refusal' "$T/out")" = 1 ] && ok "a refused fixture shows one refusal row" || bad "refusal rows: $(grep '^refusal' "$T/out")"
opts=$(grep -m1 '^  on Linux' "$T/out" | sed 's/^[^(]*(//; s/).*//')
[ -n "$opts" ] && [ -z "$(tr , '\n' <<<"$opts" | sort | uniq -d)" ] && ok "mount options named once each: $opts" || bad "mount options: $opts"
# Usage errors said once, up front.
expect 2 "check --scratch that does not exist" "$SF" check --fixture qemu-stopped --scratch "$T/no-such-dir"
[ "$(wc -l <"$T/err")" = 1 ] && has "$T/err" "$T/no-such-dir: --scratch: not a writable directory" "a missing --scratch is one line" || bad "missing --scratch: $(head -3 "$T/err")"
expect 2 "a quoted {src} in --fork-cmd" "$SF" check --fixture qemu-stopped --fork-cmd 'cp -a "{src}" {dst}'
has "$T/err" "needs bare {src} and {dst}" "quoted placeholders are refused, saying why"
# A long detail says how much is cut and where the rest is.
"$SF" check --fork-cmd 'cp -a {src} {dst}' --fixture edge --scratch "$T/scr" >"$T/out" 2>&1
has "$T/out" "more lines: every one is in --json and --junit" "a cut detail says so"
rm -rf "${T:?}"/scr/*

# fixture list: the name column as wide as the longest name (firecracker-cycles).
[ "$("$SF" fixture list | sed '$d' | awk '{ print index($0, " " $2 " ") }' | sort -u | wc -l)" = 1 ] &&
	ok "fixture list keeps its columns" || bad "fixture list columns shift"

# Every command's --help exits 0 and describes each option its usage names
# (a line of its own starting with the option); a mistake is one line that
# names the command's own help.
for cmd in fork verify probe check matrix vmcheck kernels "fixture" crash clean; do
	# shellcheck disable=SC2086
	"$SF" $cmd --help >"$T/help" 2>&1 || bad "$cmd --help exits $?"
	missing=
	for opt in $(sed -n '/^usage:/,/^  [^ ]/p' "$T/help" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -Eq -- "^ +(--[a-z-]+( [A-Z:.|]+)?, )*$opt\b" "$T/help" || missing="$missing $opt"
	done
	[ -z "$missing" ] && ok "$cmd --help describes every option" || bad "$cmd --help does not describe:$missing"
	# shellcheck disable=SC2086
	"$SF" $cmd --no-such-option >/dev/null 2>"$T/err"
	[ "$(wc -l <"$T/err")" = 1 ] && grep -q "see snapfork $cmd.*--help" "$T/err" &&
		ok "$cmd: a bad option is one line naming its help" || bad "$cmd --no-such-option: $(cat "$T/err")"
done
"$SF" check --seed >/dev/null 2>"$T/err"
has "$T/err" "^snapfork check: option needs an argument: --seed (see snapfork check --help)$" "a missing argument is named"
for word in --generate --seed --dimensions fork verify check matrix vmcheck kernels probe unshare fixture junit-merge crash clean; do
	"$SF" --help | grep -q -- "$word" || bad "snapfork --help does not name $word"
done
"$SF" --help | grep -q "snapfork COMMAND --help" && ok "the top-level help points at each command's" || bad "top-level help"
"$SF" fork --help | grep -q "INTO SRC" && ok "fork --help says --materialize writes into SRC" || bad "--materialize help"

finish
