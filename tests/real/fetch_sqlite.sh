#!/bin/bash
# fetch_sqlite.sh - brings the SQLite amalgamation (sqlite3.c, sqlite3.h) into
# a build directory for the "real program" tests. Its only source is the npm
# registry: better-sqlite3 ships SQLite's amalgamation in its package, so
# `npm pack` of one pinned version, checked against a pinned sha256, gives
# exactly the same sqlite3.c on every machine. Nothing is copied into the
# repository. Cached: when OUT_DIR already holds both files from the
# pinned tarball (a stamp records its hash), nothing is fetched.
#
# usage: fetch_sqlite.sh OUT_DIR
set -euo pipefail

PACKAGE=better-sqlite3@11.10.0        # carries SQLite 3.49.2
TARBALL=better-sqlite3-11.10.0.tgz
SHA256=71e2d66a44dafc35649ff82742cf4908557fc31841108d19703b74b7065c0293

die() { echo "fetch_sqlite.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: fetch_sqlite.sh OUT_DIR"
OUT=$1
mkdir -p "$OUT"
STAMP="$OUT/sqlite3.stamp"

if [ -f "$OUT/sqlite3.c" ] && [ -f "$OUT/sqlite3.h" ] && [ -f "$STAMP" ] &&
   [ "$(cat "$STAMP")" = "$SHA256" ]; then
    exit 0
fi

command -v npm >/dev/null || die "npm is not installed (apt-get install npm)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/isola-sqlite.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# npm pack prints progress on stderr; keep it for the error message only.
if ! (cd "$TMP" && npm pack --loglevel=error "$PACKAGE" >npm.out 2>npm.err); then
    { grep -E "code|errno|network|request to|404" "$TMP/npm.err" || tail -5 "$TMP/npm.err"; } |
        head -6 | sed 's/^/  /' >&2
    die "could not fetch $PACKAGE from the npm registry (is it reachable? npm config get registry)"
fi
[ -f "$TMP/$TARBALL" ] || die "npm pack did not produce $TARBALL"

got=$(sha256sum "$TMP/$TARBALL" | cut -d' ' -f1)
[ "$got" = "$SHA256" ] || die "$TARBALL has sha256 $got, expected $SHA256 (refusing to use it)"

tar -xzmf "$TMP/$TARBALL" -C "$TMP" package/deps/sqlite3/sqlite3.c package/deps/sqlite3/sqlite3.h ||
    die "$TARBALL does not hold package/deps/sqlite3/sqlite3.{c,h}"
# Move into place (with the time of extraction, -m, so the build sees them as
# newer than this script), then write the stamp last: an interrupted run
# refetches.
rm -f "$STAMP"
mv "$TMP/package/deps/sqlite3/sqlite3.c" "$TMP/package/deps/sqlite3/sqlite3.h" "$OUT/"
echo "$SHA256" > "$STAMP"
