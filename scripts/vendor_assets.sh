#!/usr/bin/env bash
# Vendor the JavaScript the rendered book would otherwise load from CDNs (MathJax,
# require.js, the ipywidgets HTML manager) into book/static/vendor/, so the built book
# works with no internet. Uses `npm pack` (registry tarballs only, nothing executed).
# Idempotent: does nothing when the pinned versions are already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
MATHJAX=3.2.2            # what Sphinx 7.4 loads by default (mathjax@3 es5/tex-mml-chtml.js)
REQUIREJS=2.3.7          # myst-nb's default require.js comes from cdnjs
HTML_MANAGER=1.0.6       # @jupyter-widgets/html-manager for ipywidgets 8 (myst-nb's default)
OUT=book/static/vendor
# The widget manager asks for its icon fonts relative to the page (the chapters live in
# notebooks/), so a copy is also placed there through Sphinx's html_extra_path.
FONTS=book/static_extra/notebooks/@jupyter-widgets/html-manager/dist
STAMP="$OUT/.versions"
WANT="mathjax@$MATHJAX requirejs@$REQUIREJS html-manager@$HTML_MANAGER"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -d "$FONTS" ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "vendor_assets: npm is needed (Debian: apt-get install npm)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export npm_config_cache="${npm_config_cache:-$PWD/.npm-cache}"
npm pack --silent --pack-destination "$TMP" mathjax@$MATHJAX requirejs@$REQUIREJS \
    @jupyter-widgets/html-manager@$HTML_MANAGER >/dev/null
for t in "$TMP"/*.tgz; do d="${t%.tgz}"; mkdir -p "$d"; tar xzf "$t" -C "$d"; done
rm -rf "$OUT"; mkdir -p "$OUT/mathjax/output" "$OUT/html-manager"
MJ=$TMP/mathjax-$MATHJAX/package/es5
cp "$MJ/tex-mml-chtml.js" "$OUT/mathjax/"
cp -r "$MJ/input" "$MJ/a11y" "$MJ/ui" "$MJ/sre" "$MJ/adaptors" "$OUT/mathjax/"   # loaded lazily
cp -r "$MJ/output/chtml" "$OUT/mathjax/output/"                                  # CHTML fonts
cp "$TMP/requirejs-$REQUIREJS/package/require.js" "$OUT/require.js"
find "$TMP/jupyter-widgets-html-manager-$HTML_MANAGER/package/dist" -maxdepth 1 -type f \
     \( -name 'embed-amd.js' -o -name '*.woff*' -o -name '*.ttf' -o -name '*.eot' -o -name '*.svg' \) \
     -exec cp {} "$OUT/html-manager/" \;
rm -rf book/static_extra; mkdir -p "$FONTS"
find "$OUT/html-manager" -maxdepth 1 -type f ! -name '*.js' -exec cp {} "$FONTS/" \;
echo "$WANT" > "$STAMP"
echo "vendored into $OUT: $(du -sh "$OUT" | cut -f1)"
