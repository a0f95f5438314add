#!/bin/sh
# Build the default CMYK output profile from free characterization data (Debian: icc-profiles-free, argyll).
# Usage: build_profile.sh [FOGRA39L|TR006] [OUT.icc]     ~65 s on 1 core, ~600 MB RSS
set -eu
DATA=${1:-FOGRA39L}; OUT=${2:-$PWD/$DATA.icc}
case $DATA in
  FOGRA39L) MODEL="FOGRA39";       DESC="Brochure CMYK (FOGRA39L data, TAC 300%)" ;;
  TR006)    MODEL="CGATS TR 006";  DESC="Brochure CMYK (CGATS TR 006 GRACoL data, TAC 300%)" ;;
esac
TMP=$(mktemp -d); cp /usr/share/color/icc/$DATA.ti3 "$TMP/"
( cd "$TMP" && colprof -qm -nc -l300 -S /usr/share/color/icc/sRGB.icc -cmt -dpp \
    -A brochure -M "$MODEL" -D "$DESC" \
    -C "Profile data: $DATA characterization via Debian icc-profiles-free (zlib licence); built with ArgyllCMS colprof" \
    -O out.icc "$DATA" )
python3 "$(dirname "$0")/fix_icc_date.py" "$TMP/out.icc" 1164931200   # 2006-12-01T00:00Z: byte-identical rebuilds
mv "$TMP/out.icc" "$OUT"; rm -rf "$TMP"; sha256sum "$OUT"
