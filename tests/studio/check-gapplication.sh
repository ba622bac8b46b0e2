#!/bin/sh
# check-gapplication.sh STUDIO AFNIO SESSION.hf: drives a running studio
# with `gapplication action` (run, backward, step, save) on a private
# session bus, then checks with `afnio dump` that the saved session holds
# the stepped prompt. Run it under xvfb-run and dbus-run-session.
set -eu
studio=$1 afnio=$2 demo=$3
app=io.github.afnio.Studio
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME="$work" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
       XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
cp "$demo" "$work/session.hf"
chmod u+w "$work/session.hf"

"$studio" "$work/session.hf" &
pid=$!

# Wait until the application is on the bus.
i=0
until gdbus call --session --dest "$app" --object-path /io/github/afnio/Studio \
        --method org.gtk.Actions.List 2>/dev/null | grep -q "'backward'"; do
  i=$((i + 1)); [ "$i" -lt 100 ] || { echo "studio never appeared on the bus"; exit 1; }
  sleep 0.1
done
echo "ok: $app on the session bus"
sleep 2   # the session opens asynchronously

gapplication action "$app" run
sleep 2
gapplication action "$app" backward
sleep 2
gapplication action "$app" step
# Save until the step's new prompt is in the file (the step is async).
i=0
until "$afnio" dump "$work/session.hf" 2>/dev/null | grep -q "exactly one lowercase word"; do
  i=$((i + 1)); [ "$i" -lt 40 ] || { echo "the saved session never got the new prompt:"; "$afnio" dump "$work/session.hf" | grep -o "Classify[^\"]*"; ls -la "$work"; exit 1; }
  gapplication action "$app" save
  sleep 0.5
done
echo "ok: run, backward, step and save through gapplication"
"$afnio" dump "$work/session.hf" | grep -q "feedback to system prompt" || { echo "no grads saved"; exit 1; }
echo "ok: the saved session holds the prompt's gradients"
