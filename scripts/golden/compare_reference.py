#!/usr/bin/python3
"""How far a regenerated PyTorch reference file is from another (the committed one): the same cases, keys and
lengths, and the largest absolute and relative difference of their numbers, with where it is.

    /usr/bin/python3 scripts/golden/pytorch_reference.py --out /tmp/reference.json
    /usr/bin/python3 scripts/golden/compare_reference.py /tmp/reference.json test/golden/pytorch-reference.json

Exit code 0 when the structure agrees and every relative difference is within --rtol (default 1e-12; the
relative difference of a number whose reference is 0 is its absolute difference), 1 otherwise. The "source"
string (which names the PyTorch version) may differ.
"""
import argparse
import json
import sys


def compare(new, old, where, report):
    """Walk both values together: structural differences into report["structure"], the largest differences."""
    if isinstance(old, bool) or old is None or isinstance(old, str):
        if new != old and where != "source":
            report["structure"].append(f"{where}: {new!r} != {old!r}")
    elif isinstance(old, (int, float)):
        if isinstance(new, bool) or not isinstance(new, (int, float)):
            report["structure"].append(f"{where}: {new!r} is not a number like {old!r}")
            return
        absolute = abs(new - old)
        relative = absolute / abs(old) if old != 0 else absolute
        report["count"] += 1
        if absolute > report["abs"][0]:
            report["abs"] = (absolute, where)
        if relative > report["rel"][0]:
            report["rel"] = (relative, where)
    elif isinstance(old, list):
        if not isinstance(new, list) or len(new) != len(old):
            report["structure"].append(f"{where}: length {len(new) if isinstance(new, list) else type(new).__name__} != {len(old)}")
            return
        for i, (n, o) in enumerate(zip(new, old)):
            compare(n, o, f"{where}[{i}]", report)
    elif isinstance(old, dict):
        if not isinstance(new, dict) or list(new) != list(old):
            report["structure"].append(f"{where}: keys {list(new) if isinstance(new, dict) else type(new).__name__} != {list(old)}")
            return
        for key in old:
            compare(new[key], old[key], f"{where}.{key}" if where else key, report)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("new", help="the regenerated file")
    parser.add_argument("reference", help="the file to compare with (e.g. test/golden/pytorch-reference.json)")
    parser.add_argument("--rtol", type=float, default=1e-12, help="largest relative difference accepted (default 1e-12)")
    args = parser.parse_args()
    with open(args.new, encoding="utf-8") as f:
        new = json.load(f)
    with open(args.reference, encoding="utf-8") as f:
        old = json.load(f)
    report = {"structure": [], "count": 0, "abs": (0.0, "-"), "rel": (0.0, "-")}
    compare(new, old, "", report)
    for line in report["structure"]:
        print(f"differs: {line}")
    print(f"{report['count']} numbers; max abs diff {report['abs'][0]:.3g} at {report['abs'][1]}; max rel diff {report['rel'][0]:.3g} at {report['rel'][1]}")
    sys.exit(0 if not report["structure"] and report["rel"][0] <= args.rtol else 1)


if __name__ == "__main__":
    main()
