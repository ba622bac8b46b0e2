#!/bin/sh
# Checks that every translation compiles, and lists the strings of the
# sources in POTFILES.in (extracted as the afnio-studio-pot target does,
# i18n preset "glib") that it does not translate yet. Missing strings fail
# the check only with --strict, so that new strings in other parts of the
# project do not break their builds before translators catch up.
#   check-translations.sh [--strict] SRCDIR
set -eu
strict=0
if [ "$1" = --strict ]; then strict=1; shift; fi
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v '^#' "$src/po/POTFILES.in" | sed '/^$/d' > "$tmp/files"
(cd "$src" && xgettext --from-code=UTF-8 --add-comments --package-name=afnio-studio \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  --files-from="$tmp/files" -o "$tmp/template.pot" 2>/dev/null)
status=0
for lang in $(sed 's/#.*//' "$src/po/LINGUAS"); do
  po="$src/po/$lang.po"
  msgfmt --check -o /dev/null "$po"
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "$po" "$tmp/template.pot"
  missing=$(msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/$lang.po" | grep -c '^msgid ' || true)
  # msgattrib prints the header entry too when anything is left.
  if [ "$missing" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
    echo "$lang.po: untranslated or fuzzy messages:"
    msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep '^msgid ' | sed 1d
    [ $strict -eq 0 ] || status=1
  else
    echo "$lang.po: complete"
  fi
done
exit $status
