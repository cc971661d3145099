#!/usr/bin/python3
"""Checks config/crd against CAPZ's CRDs: identical except for dropped `description` prose.

Independent of scripts/gen-crds.py on purpose, so a generator bug cannot hide drift.
Usage: crd_drift_test.py [--crd DIR] [--ref DIR]   (exit 0 = identical)
"""
import argparse
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("CAPZ_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("CAPZ_SHARED_DIR") or os.path.join(SRC, "..", "shared")


def without_prose(node, in_properties=False):
    if isinstance(node, dict):
        return {k: without_prose(v, k == "properties") for k, v in node.items()
                if in_properties or not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [without_prose(v) for v in node]
    return node


# The one deliberate extension (see scripts/gen-crds.py): subnet role "pod" on networkSpec.subnets.
EXT_FILES = ("infrastructure.cluster.x-k8s.io_azureclusters.yaml",
             "infrastructure.cluster.x-k8s.io_azureclustertemplates.yaml")
extensions_seen = []


def allowed_extension(a, b, path):
    if (CURRENT_FILE in EXT_FILES and path.endswith("/subnets/items/properties/role/enum")
            and "/bastionSpec/" not in path and isinstance(a, list) and b == a + ["pod"]):
        extensions_seen.append(CURRENT_FILE + ":" + path)
        return True
    return False


CURRENT_FILE = ""


def first_diff(a, b, path=""):
    if allowed_extension(a, b, path):
        return None
    if type(a) is not type(b):
        return "%s: type %s != %s" % (path or "/", type(a).__name__, type(b).__name__)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                return "%s/%s: only in config/crd" % (path, k)
            if k not in b:
                return "%s/%s: missing from config/crd" % (path, k)
            d = first_diff(a[k], b[k], "%s/%s" % (path, k))
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d items in reference, %d in config/crd" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, "%s/%d" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r != %r" % (path, a, b)


def prose_left(node, path="", in_properties=False):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "description" and isinstance(v, str) and not in_properties:
                return path + "/description"
            r = prose_left(v, path + "/" + str(k), k == "properties")
            if r:
                return r
    elif isinstance(node, list):
        for i, v in enumerate(node):
            r = prose_left(v, "%s/%d" % (path, i))
            if r:
                return r
    return None


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--crd", default=os.path.join(SRC, "config", "crd"))
    ap.add_argument("--ref", default=os.path.join(SHARED, "reference", "crds", "capz"))
    args = ap.parse_args(argv)
    errors = []
    ref_names = sorted(n for n in os.listdir(args.ref) if n.endswith(".yaml"))
    ours = sorted(n for n in os.listdir(os.path.join(args.crd, "bases")) if n.endswith(".yaml"))
    if ref_names != ours:
        errors.append("file sets differ: missing %s, extra %s" %
                      (sorted(set(ref_names) - set(ours)), sorted(set(ours) - set(ref_names))))
    global CURRENT_FILE
    for name in ref_names:
        CURRENT_FILE = name
        p = os.path.join(args.crd, "bases", name)
        if not os.path.exists(p):
            continue
        ref_docs, our_docs = load(os.path.join(args.ref, name)), load(p)
        if len(ref_docs) != len(our_docs):
            errors.append("%s: %d documents vs %d" % (name, len(ref_docs), len(our_docs)))
            continue
        for r, o in zip(ref_docs, our_docs):
            for key in ("apiVersion", "kind", "spec"):
                d = first_diff(without_prose(r.get(key)), o.get(key), "/" + key)
                if d:
                    errors.append("%s: %s" % (name, d))
            if r["metadata"]["name"] != o["metadata"]["name"]:
                errors.append("%s: metadata.name differs" % name)
            left = prose_left(o)
            if left:
                errors.append("%s: description prose left at %s" % (name, left))
    kust = yaml.safe_load(open(os.path.join(args.crd, "kustomization.yaml")))
    listed = sorted(os.path.basename(r) for r in kust.get("resources", []))
    if listed != ours:
        errors.append("kustomization.yaml resources %s != files %s" % (listed, ours))
    if len(extensions_seen) != len(EXT_FILES):
        errors.append("expected the subnet role 'pod' extension once in each of %s, found %s"
                      % (EXT_FILES, extensions_seen))
    for e in errors:
        print("DRIFT:", e)
    print("%d CRDs checked, %d problems" % (len(ref_names), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
