#!/usr/bin/env bash
# doubles_generate_test.sh SNAPFORK DOUBLES - the doubles on generated
# layouts (snapfork check --generate, seed 1): every broken one is caught,
# the correct ones pass.  On tmpfs when there is one (the shell forks run
# faster there; the rules are the same).
SF=$1 D=$2
. "$(dirname "$0")/../tap.sh" doubles-gen
S=$T
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	S=$(mktemp -d /dev/shm/snapfork-doubles-gen.XXXXXX)
	trap 'rm -rf "$S"; chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
fi

# MUST rules that failed, as "F1 F4", from check's JSON.
failed_rules() {
	jq -r '[.rows[].rules | to_entries[] | select(.value.result == "fail" and .value.level == "MUST") | .key]
	       | unique | sort_by(.[1:] | tonumber) | join(" ")' "$1"
}

# Generated layouts (snapfork check --generate, seed 1): each broken double
# is caught by the rule it breaks, among others (a layout exercises many
# rules at once, so the first failing layout may fail others too), the new
# ones within 200 layouts (they passed every old fixture: generation found
# what they break), the old ones within 40; --fail-fast stops at the first
# failing layout.  The correct ones pass all 200.  Not broken-dense: it fills holes, and
# generated layouts hold files of 1 TiB (its fixture rows catch it).
gen() { # gen DOUBLE N [--fail-fast] -> exit status; JSON in $T/gen.json
	"$SF" check --fork-cmd "$D/$1.sh {src} {dst}" --scratch "$S" --generate "$2" --seed 1 \
		--no-shrink "${@:3}" --json "$T/gen.json" >"$T/gen.txt" 2>&1
}
while IFS='|' read -r double n want; do
	[ -n "$double" ] || continue
	if [ "$double" = devices ] && [ "$(id -u)" -ne 0 ]; then
		echo "skip: broken-devices: device nodes are generated only as root (CAP_MKNOD); not run"
		continue
	fi
	gen "broken-$double" "$n" --fail-fast
	rc=$?
	got=$(failed_rules "$T/gen.json")
	case " $got " in
	*" $want "*) [ $rc -eq 1 ] && ok "generate $n: broken-$double caught by $want (all: $got)" ||
		bad "generate: broken-$double exit $rc" ;;
	*) bad "generate: broken-$double: exit $rc, failed [$got], expected $want among them" ;;
	esac
	rm -rf "${S:?}"/*
done <<'LIST'
glob|200|F1
suid|200|F2
lines|200|F1
split|200|F1
all-tmp|200|F1
order|200|F4
nonempty-mem|200|F4
fifo-anywhere|200|F1
devices|200|F13
link-nlink|200|F3
root-mode|200|F2
size32|200|F2
unquoted|200|F4
fixed-stage|200|F1
clobber|200|F13
cp-all|40|F1
no-link|40|F4
beside|40|F13
detached|40|F14
follow|40|F1
modes|40|F2
touch-src|40|F6
hardlink-all|40|F3
partial|40|F13
keep-tmp|40|F1
writes-mem|40|F6
trim-mem|40|F6
empty-raw|40|F9
LIST
for double in cp-ln tar-ln; do
	if gen "$double" 200; then ok "generate 200: $double passes, $(grep -o 'dimensions hit: [0-9/]*' "$T/gen.txt")"; else
		bad "generate: $double: $(failed_rules "$T/gen.json")"; grep -a -A2 'FAIL:' "$T/gen.txt" | head -12 | sed 's/^/# /'; fi
	rm -rf "${S:?}"/*
done

finish
