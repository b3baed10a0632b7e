#!/usr/bin/env python3
"""Times shell commands in interleaved rounds (a hyperfine stand-in for shared machines).

hyperfine runs every run of one command before the next command, so a build starting on the machine halfway
through penalises whichever command ran then. Here each round runs every command once, in an order rotated from
round to round, so background load falls on all of them alike.

usage: interleaved_timer.py [--warmup N] [--runs N] [--prepare CMD] [--export-json FILE] -n NAME CMD [-n NAME CMD ...]

Each run: `bash -c PREPARE`, then `bash -c CMD` (stdout discarded), timed from fork to exit; user and system CPU come from wait4's
rusage (the command and every descendant it waited for). The JSON has hyperfine's shape for the fields the bench
scripts read: results[i].command, median, mean, stddev, user, system (means), times.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def run(command):
    start = time.perf_counter()
    process = subprocess.Popen(["bash", "-c", command], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"interleaved_timer: command failed ({process.returncode}): {command}")
    return wall, usage.ru_utime, usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--runs", type=int, default=10, help="timed rounds")
    parser.add_argument("--prepare", default="", help="shell command run before every run (untimed)")
    parser.add_argument("--export-json", help="where to write the results")
    parser.add_argument("-n", "--name", nargs=2, action="append", metavar=("NAME", "CMD"), required=True)
    args = parser.parse_args()
    commands = args.name
    samples = [[] for _ in commands]
    for round_index in range(args.warmup + args.runs):
        shift = round_index % len(commands)
        for index in list(range(shift, len(commands))) + list(range(shift)):
            if args.prepare:
                subprocess.run(["bash", "-c", args.prepare], check=True)
            result = run(commands[index][1])
            if round_index >= args.warmup:
                samples[index].append(result)
        print(f"  round {round_index + 1}/{args.warmup + args.runs}" + (" (warmup)" if round_index < args.warmup else ""),
              file=sys.stderr, end="\r")
    print(file=sys.stderr)
    results = []
    for (name, command), runs in zip(commands, samples):
        walls = [wall for wall, _, _ in runs]
        entry = {
            "command": name, "median": statistics.median(walls), "mean": statistics.mean(walls),
            "stddev": statistics.stdev(walls) if len(walls) > 1 else 0.0, "min": min(walls), "max": max(walls),
            "user": statistics.mean(user for _, user, _ in runs),
            "system": statistics.mean(system for _, _, system in runs), "times": walls,
        }
        results.append(entry)
        print(f"{name:28s} median {entry['median']:.3f} s  mean {entry['mean']:.3f} ± {entry['stddev']:.3f} s  "
              f"[{entry['min']:.3f} … {entry['max']:.3f}]  user {entry['user']:.3f} s  sys {entry['system']:.3f} s",
              file=sys.stderr)
    if args.export_json:
        with open(args.export_json, "w") as out:
            json.dump({"results": results}, out, indent=1)


if __name__ == "__main__":
    main()
