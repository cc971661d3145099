#!/usr/bin/python3
"""python3-kubernetes smoke suite against capz-kube-sim (acceptance checklist 36).

CoreV1Api.list_namespace, CustomObjectsApi create/get/patch/patch_status/delete, Watch().stream with
timeout_seconds yielding ADDED then MODIFIED, DynamicClient discovery of Widget, a 410 ERROR raising
ApiException(status=410), strategic merge patch of a ConfigMap, Secret stringData, a Lease round trip.
Usage: python_smoke.py BUILD_DIR. Prints "N passed, N failed"; exits 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

from kubernetes import client, config, dynamic, watch
from kubernetes.client.rest import ApiException

build = sys.argv[1]
results = {"pass": 0, "fail": 0}


def check(name, fn):
    try:
        fn()
        results["pass"] += 1
        print("  ok   " + name)
    except Exception:  # noqa: BLE001 - any failure is a failed check
        results["fail"] += 1
        print("  FAIL " + name)
        traceback.print_exc(limit=3)


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
             "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                               "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}]}}
G, V, NS, P = "example.com", "v1", "default", "widgets"


def main():
    tmp = tempfile.mkdtemp()
    kubeconfig = os.path.join(tmp, "kubeconfig")
    sim = subprocess.Popen([os.path.join(build, "bin", "capz-kube-sim"), "--listen", "127.0.0.1:0",
                            "--kubeconfig-out", kubeconfig], stdout=subprocess.PIPE, text=True)
    line = sim.stdout.readline().strip()
    assert line.startswith("READY "), line
    url = line.split()[1]
    try:
        config.load_kube_config(config_file=kubeconfig)
        api = client.ApiClient()
        core = client.CoreV1Api(api)
        ext = client.ApiextensionsV1Api(api)
        co = client.CustomObjectsApi(api)

        def list_ns():
            names = [n.metadata.name for n in core.list_namespace().items]
            assert "default" in names and "kube-system" in names, names
        check("CoreV1Api.list_namespace", list_ns)

        def crd():
            ext.create_custom_resource_definition(CRD)
            got = ext.read_custom_resource_definition("widgets.example.com")
            conds = {c.type: c.status for c in got.status.conditions}
            assert conds.get("Established") == "True", conds
        check("create CRD, Established", crd)

        def create_get():
            o = co.create_namespaced_custom_object(G, V, NS, P, {"apiVersion": "example.com/v1", "kind": "Widget",
                                                                  "metadata": {"name": "w1"}, "spec": {"size": 1}})
            assert o["metadata"]["generation"] == 1
            g = co.get_namespaced_custom_object(G, V, NS, P, "w1")
            assert g["spec"]["size"] == 1 and g["metadata"]["uid"] == o["metadata"]["uid"]
        check("CustomObjectsApi create/get", create_get)

        def watch_stream():
            events = []

            def writer():
                time.sleep(0.7)
                co.patch_namespaced_custom_object(G, V, NS, P, "w1", {"spec": {"size": 2}})
            t = threading.Thread(target=writer)
            t.start()
            for ev in watch.Watch().stream(co.list_namespaced_custom_object, G, V, NS, P, timeout_seconds=3):
                events.append((ev["type"], ev["object"]["spec"]["size"]))
            t.join()
            assert events[:2] == [("ADDED", 1), ("MODIFIED", 2)], events
        check("Watch().stream ADDED then MODIFIED (merge patch)", watch_stream)

        def patch_status():
            o = co.patch_namespaced_custom_object_status(G, V, NS, P, "w1", {"status": {"ready": True},
                                                                              "spec": {"size": 99}})
            assert o["status"]["ready"] is True and o["spec"]["size"] == 2 and o["metadata"]["generation"] == 2
        check("patch_namespaced_custom_object_status", patch_status)

        def dyn():
            dc = dynamic.DynamicClient(api, cache_file=os.path.join(tmp, "discovery.json"))
            res = dc.resources.get(api_version="example.com/v1", kind="Widget")
            assert res.name == "widgets" and res.namespaced
            items = res.get(namespace=NS).items
            assert [i.metadata.name for i in items] == ["w1"]
        check("DynamicClient finds Widget", dyn)

        def gone():
            rv = co.list_namespaced_custom_object(G, V, NS, P)["metadata"]["resourceVersion"]
            co.patch_namespaced_custom_object(G, V, NS, P, "w1", {"metadata": {"labels": {"x": "y"}}})
            urllib.request.urlopen(urllib.request.Request(url + "/_sim/compact", data=b"", method="POST")).read()
            try:
                for _ in watch.Watch().stream(co.list_namespaced_custom_object, G, V, NS, P, resource_version=rv,
                                              timeout_seconds=3):
                    pass
            except ApiException as e:
                assert e.status == 410, e.status
                return
            raise AssertionError("no ApiException(410)")
        check("410 ERROR raises ApiException(status=410)", gone)

        def delete():
            co.delete_namespaced_custom_object(G, V, NS, P, "w1")
            try:
                co.get_namespaced_custom_object(G, V, NS, P, "w1")
            except ApiException as e:
                assert e.status == 404
                return
            raise AssertionError("still there")
        check("CustomObjectsApi delete", delete)

        def configmap_smp():
            core.create_namespaced_config_map(NS, {"metadata": {"name": "c1", "finalizers": ["a"]},
                                                   "data": {"x": "1"}})
            cm = core.patch_namespaced_config_map("c1", NS, {"data": {"k": "v"}, "metadata": {"finalizers": ["b"]}})
            assert cm.data == {"x": "1", "k": "v"}, cm.data
            assert cm.metadata.finalizers == ["a", "b"], cm.metadata.finalizers
        check("ConfigMap strategic merge patch", configmap_smp)

        def secret():
            s = core.create_namespaced_secret(NS, {"metadata": {"name": "s1"}, "stringData": {"a": "b"}})
            assert s.data == {"a": "Yg=="} and s.type == "Opaque" and s.string_data is None
        check("Secret stringData", secret)

        def lease():
            co_api = client.CoordinationV1Api(api)
            co_api.create_namespaced_lease(NS, {"metadata": {"name": "l1"},
                                                "spec": {"holderIdentity": "me", "leaseDurationSeconds": 10}})
            lz = co_api.read_namespaced_lease("l1", NS)
            lz.spec.holder_identity = "you"
            co_api.replace_namespaced_lease("l1", NS, lz)
            try:
                co_api.replace_namespaced_lease("l1", NS, lz)  # stale resourceVersion
            except ApiException as e:
                assert e.status == 409
                return
            raise AssertionError("stale lease update accepted")
        check("Lease update and 409 on a stale resourceVersion", lease)
    finally:
        sim.terminate()
        rc = sim.wait(timeout=10)
        check("emulator clean exit", lambda: (_ for _ in ()).throw(AssertionError(rc)) if rc != 0 else None)
    print("python smoke: %d passed, %d failed" % (results["pass"], results["fail"]))
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
