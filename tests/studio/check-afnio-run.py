#!/usr/bin/env python3
"""`afnio run` on a demo in replay mode leaves a file in which Python finds
the grads and the changed Parameter. With the fake server, live and record
modes read the same settings from flags and environment variables.

Python's own pickle loads data.pkl with stand-in classes named like afnio's
(nothing from afnio is needed).
Usage: check-afnio-run.py AFNIO DEMO.hf [FAKE_SERVER RULES.json]
"""
import json
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile

# The stand-in classes live beside the .hf tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hf"))
import afnio_standins  # noqa: E402


Variable, Parameter, _, _ = afnio_standins.install_stand_ins()


def fail(message):
    print("not ok -", message)
    sys.exit(1)


def load_result(path):
    with zipfile.ZipFile(path) as z:
        return pickle.loads(z.read("data.pkl")), json.loads(z.read("afnio-studio/graph.json"))


def check_server_modes(afnio, demo, server_path, rules):
    """Record with --base-url and the key from $OPENAI_API_KEY, then live from
    $AFNIO_BASE_URL/$AFNIO_MODE: both reach the server and change the prompt."""
    server = subprocess.Popen([server_path, "--rules", rules, "--api-key", "sk-test-key"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            recorded = os.path.join(tmp, "recorded.hf")
            env = dict(os.environ, OPENAI_API_KEY="sk-test-key")
            env.pop("AFNIO_MODE", None)
            proc = subprocess.run([afnio, "run", demo, "--mode", "record", "--base-url", url,
                                   "--step", "--out", recorded], capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                fail("record mode failed: " + proc.stderr + proc.stdout)
            variables, graph = load_result(recorded)
            if "reply with exactly one lowercase word" not in variables["system_prompt"]._data.lower():
                fail("record mode did not step: %r" % variables["system_prompt"]._data)
            if len(graph["recordings"]) < 11:
                fail("record mode kept %d recordings" % len(graph["recordings"]))
            if "sk-test-key" in open(recorded, "rb").read().decode("latin-1"):
                fail("the API key was written to the session")

            live = os.path.join(tmp, "live.hf")
            env = dict(os.environ, OPENAI_API_KEY="sk-test-key", AFNIO_BASE_URL=url, AFNIO_MODE="live")
            proc = subprocess.run([afnio, "run", demo, "--backward", "--out", live],
                                  capture_output=True, text=True, env=env)
            if proc.returncode != 0 or "(mode live)" not in proc.stdout:
                fail("live mode failed: " + proc.stderr + proc.stdout)
            if "sk-test-key" in proc.stdout + proc.stderr:
                fail("the API key was printed")

            env["OPENAI_API_KEY"] = "sk-wrong"
            proc = subprocess.run([afnio, "run", demo, "--out", live], capture_output=True, text=True, env=env)
            if proc.returncode != 1 or "sk-wrong" in proc.stdout + proc.stderr:
                fail("a wrong key must fail without being shown: " + proc.stderr)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=10)
    requests = int(err.split(":")[1].split()[0])
    if requests < 15:
        fail("the server saw only %d requests" % requests)
    print("ok - record and live modes against the fake server (%d requests)" % requests)


def main():
    afnio, demo = sys.argv[1], sys.argv[2]
    if len(sys.argv) == 5:
        check_server_modes(afnio, demo, sys.argv[3], sys.argv[4])
    with open(demo, "rb") as f:
        original = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.hf")
        proc = subprocess.run([afnio, "run", demo, "--mode", "replay", "--step", "--out", out],
                              capture_output=True, text=True,
                              env=dict(os.environ, AFNIO_BASE_URL="http://127.0.0.1:1/v1"))
        if proc.returncode != 0:
            fail("afnio run failed: " + proc.stderr)
        print("# " + proc.stdout.replace("\n", "\n# "))
        for needle in ["node 1  system prompt  [done]", "grad 0 (feedback to system prompt, from node 3)",
                       "step 1: node 1 (system prompt) changed", "Saved "]:
            if needle not in proc.stdout:
                fail("output lacks %r" % needle)
        with open(demo, "rb") as f:
            if f.read() != original:
                fail("the demo itself was changed")

        with zipfile.ZipFile(out) as z:
            names = z.namelist()
            if names[0] != "data.pkl" or "afnio-studio/graph.json" not in names:
                fail("unexpected members %r" % names)
            variables = pickle.loads(z.read("data.pkl"))
            graph = json.loads(z.read("afnio-studio/graph.json"))

    params = [v for v in variables.values() if type(v) is Parameter]
    if len(params) != 1:
        fail("expected one Parameter, found %r" % list(variables))
    prompt = params[0]
    if prompt.role != "system prompt" or not prompt.requires_grad:
        fail("wrong Parameter %r" % vars(prompt))
    if prompt._data != ("Classify the sentiment of the review. Reply with exactly one lowercase "
                        "word, positive, negative or neutral, and nothing else."):
        fail("the Parameter did not change as recorded: %r" % prompt._data)
    grads = prompt._grad
    if not isinstance(grads, list) or len(grads) < 1:
        fail("no grads on the Parameter: %r" % grads)
    for g in grads:
        if type(g) is not Variable or g.role != "feedback to system prompt":
            fail("bad gradient %r" % vars(g))
        if "exactly one lowercase word" not in g._data:
            fail("unexpected feedback %r" % g._data)
    reviews = [v for v in variables.values() if getattr(v, "role", "") == "product reviews"]
    if len(reviews) != 1 or len(reviews[0]._data) != 3 or reviews[0]._grad != []:
        fail("the reviews Variable is wrong")
    if len(graph.get("recordings", [])) < 10:
        fail("the session lost its recordings")
    history = graph.get("history", {}).get("1", [])
    if len(history) != 1 or history[0]["before"] != "Classify the sentiment of the review.":
        fail("no history for the Parameter: %r" % history)
    print("ok - Python finds %d grads and the changed Parameter" % len(grads))


if __name__ == "__main__":
    main()
