#!/bin/sh
# regenerate.sh - flyctl's command tree, as the template's doc tests read it.
#
# tests/data/flyctl-commands.json lists every flyctl command and flag (hidden or not) at the
# flyctl version the generated workflows pin (FLYCTL_VERSION). After bumping that version,
# regenerate it from a flyctl checkout at the new tag (needs Go and git):
#
#   git clone https://github.com/superfly/flyctl /tmp/flyctl && git -C /tmp/flyctl checkout v0.4.88
#   sh scripts/flyctl-tree/regenerate.sh /tmp/flyctl
#
# The Go module proxy does not serve every module flyctl pins: at v0.4.87 it refuses
# github.com/superfly/fly-go v0.9.5, and the build stops there. Serve such a module from a clone
# of its repository with -m (go still checks it against flyctl's go.sum):
#
#   git clone https://github.com/superfly/fly-go /tmp/fly-go
#   sh scripts/flyctl-tree/regenerate.sh -m github.com/superfly/fly-go@v0.9.5=/tmp/fly-go/.git /tmp/flyctl
#
# Usage:
#   regenerate.sh [options] FLYCTL_CHECKOUT
#   regenerate.sh [options] GIT_DIR REV        (REV: tag such as v0.4.87, or commit)
#
# Options:
#   -o OUT       output JSON path (default: tests/data/flyctl-commands.json of this repository)
#   -p PROG      dumptree Go source (default: dumptree.go next to this script)
#   -V VERSION   version string to record (default: the tag of the commit, else git describe)
#   -m MOD@VER=GITDIR[@REV]
#                serve module MOD at VER from a local git dir (REV defaults to
#                VER) through a throw-away file:// GOPROXY, for modules the
#                module proxy refuses. The module must live at the repo root.
#                go verifies the result against flyctl's go.sum. Repeatable.
#   -k           keep the temporary work dir
#
# The flyctl sources are copied to a temporary directory (the checkout is not modified),
# dumptree.go is placed at cmd/dumptree/main.go inside that copy and run with `go run`; it
# builds flyctl's command tree without running any command. Modules come from the Go module
# proxy, except those given with -m (above). HOME is pointed at an empty temporary directory
# and DEV is unset (DEV=1 makes flyctl register extra `agent` subcommands). A cold build of
# flyctl takes several minutes.
set -eu

script_dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
out=$script_dir/../../tests/data/flyctl-commands.json
prog=$script_dir/dumptree.go
version=
keep=
mods=

usage() { sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "regenerate.sh: $*" >&2; exit 1; }

while getopts o:p:V:m:kh opt; do
	case $opt in
	o) out=$OPTARG ;;
	p) prog=$OPTARG ;;
	V) version=$OPTARG ;;
	m) mods="$mods
$OPTARG" ;;
	k) keep=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || [ $# -eq 2 ] || usage
command -v go >/dev/null 2>&1 || die "go not found in PATH"
[ -f "$prog" ] || die "dumptree program not found: $prog"

case $out in /*) ;; *) out=$(pwd)/$out ;; esac
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
case $prog in /*) ;; *) prog=$(pwd)/$prog ;; esac

# Resolve Go caches before HOME is changed, so the existing module and build
# caches are reused.
gomodcache=$(go env GOMODCACHE)
gocache=$(go env GOCACHE)
goproxy=$(go env GOPROXY)

work=$(mktemp -d "${TMPDIR:-/tmp}/flyctl-dumptree.XXXXXX")
cleanup() { if [ -z "$keep" ]; then chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"; else echo "work dir kept: $work" >&2; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
src=$work/src
mkdir -p "$src" "$work/home"

commit=
if [ $# -eq 2 ]; then
	gitdir=$1 rev=$2
	commit=$(git --git-dir="$gitdir" rev-parse --verify "$rev^{commit}") || die "cannot resolve $rev in $gitdir"
	git --git-dir="$gitdir" archive "$commit" | tar -x -C "$src"
	if [ -z "$version" ]; then
		version=$(git --git-dir="$gitdir" describe --tags --exact-match "$commit" 2>/dev/null || echo "$rev")
	fi
else
	checkout=$1
	[ -f "$checkout/go.mod" ] || die "$checkout has no go.mod"
	(cd "$checkout" && tar -cf - --exclude=./.git --exclude=./cmd/dumptree .) | tar -x -C "$src"
	if git -C "$checkout" rev-parse --verify HEAD >/dev/null 2>&1; then
		commit=$(git -C "$checkout" rev-parse HEAD)
		if [ -z "$version" ]; then
			version=$(git -C "$checkout" describe --tags --exact-match 2>/dev/null ||
				git -C "$checkout" describe --tags --always --dirty)
		fi
	fi
	[ -n "$version" ] || version=unknown
fi
head -n 1 "$src/go.mod" | grep -q '^module github.com/superfly/flyctl$' ||
	die "not the flyctl module: $(head -n 1 "$src/go.mod")"

echo "flyctl version: $version${commit:+ (commit $commit)}" >&2

# Optional local module proxy for modules the proxy will not serve.
if [ -n "$mods" ]; then
	proxy=$work/goproxy
	cat >"$work/mkzip.go" <<'EOF'
// mkzip: convert a tar stream (stdin) into a zip (argv[1]) holding only the
// regular files, the layout Go module zips use (no directory entries).
package main

import (
	"archive/tar"
	"archive/zip"
	"io"
	"os"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	zw := zip.NewWriter(f)
	tr := tar.NewReader(os.Stdin)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		w, err := zw.Create(h.Name)
		if err != nil {
			panic(err)
		}
		if _, err := io.Copy(w, tr); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
EOF
	(cd "$work" && GOFLAGS= go build -o "$work/mkzip" ./mkzip.go)
	echo "$mods" | while IFS= read -r spec; do
		[ -n "$spec" ] || continue
		modver=${spec%%=*} loc=${spec#*=}
		mod=${modver%@*} ver=${modver##*@}
		case $loc in *@*) mgit=${loc%@*} mrev=${loc##*@} ;; *) mgit=$loc mrev=$ver ;; esac
		[ "$mod" != "$modver" ] && [ "$loc" != "$spec" ] || die "bad -m spec: $spec"
		mcommit=$(git --git-dir="$mgit" rev-parse --verify "$mrev^{commit}") || die "cannot resolve $mrev in $mgit"
		esc=$(printf '%s' "$mod" | sed 's/\([A-Z]\)/!\1/g' | tr 'A-Z' 'a-z')
		d=$proxy/$esc/@v
		mkdir -p "$d"
		echo "$ver" >>"$d/list"
		git --git-dir="$mgit" show "$mcommit:go.mod" >"$d/$ver.mod" 2>/dev/null ||
			printf 'module %s\n' "$mod" >"$d/$ver.mod"
		t=$(TZ=UTC git --git-dir="$mgit" log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd "$mcommit")
		printf '{"Version":"%s","Time":"%s"}\n' "$ver" "$t" >"$d/$ver.info"
		git --git-dir="$mgit" archive --format=tar --prefix="$mod@$ver/" "$mcommit" | "$work/mkzip" "$d/$ver.zip"
		echo "local module: $mod@$ver from $mgit ($mcommit)" >&2
	done
	goproxy=file://$proxy,$goproxy
fi

mkdir -p "$src/cmd/dumptree"
cp "$prog" "$src/cmd/dumptree/main.go"

echo "building and running dumptree (a cold build of flyctl takes several minutes)..." >&2
(
	cd "$src"
	unset DEV
	HOME=$work/home GOMODCACHE=$gomodcache GOCACHE=$gocache GOPROXY=$goproxy
	export HOME GOMODCACHE GOCACHE GOPROXY
	go run -trimpath -buildvcs=false ./cmd/dumptree \
		-version "$version" -commit "$commit" -o "$out.tmp"
)
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -c <"$out" | tr -d ' ') bytes) from flyctl $version" >&2
