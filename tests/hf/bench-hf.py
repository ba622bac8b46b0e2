#!/usr/bin/env python3
"""CPython's C pickle on the benchmark's data.pkl, for bench-hf.

Answers one line per request read from stdin, so that bench-hf can
interleave its own runs with CPython's on a busy machine: "loads" times one
pickle.loads of the bytes, "dumps" one pickle.dumps (protocol 2) of the
objects loads made. Freeing the result is outside the timing, as in bench-hf.
Usage: bench-hf.py DATA_PKL
"""
import pickle
import sys
import time

from afnio_standins import install_stand_ins

install_stand_ins()


def time_loads(data):
    start = time.perf_counter()
    obj = pickle.loads(data)
    elapsed = time.perf_counter() - start
    del obj
    return elapsed


def time_dumps(obj):
    start = time.perf_counter()
    out = pickle.dumps(obj, protocol=2)
    elapsed = time.perf_counter() - start
    del out
    return elapsed


def main():
    data = open(sys.argv[1], "rb").read()
    obj = pickle.loads(data)
    assert pickle.dumps(obj, protocol=2) == data, "stand-ins do not re-pickle identically"
    print("ready", flush=True)
    for line in sys.stdin:
        request = line.strip()
        if request == "loads":
            print("%.6f" % time_loads(data), flush=True)
        elif request == "dumps":
            print("%.6f" % time_dumps(obj), flush=True)
        else:
            break


if __name__ == "__main__":
    main()
