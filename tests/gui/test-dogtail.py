#!/usr/bin/python3
"""The workbench driven through the accessibility tree (dogtail, at-spi), as a
person would: `ember FILE` opens the file (its name is listed under Open
Items), the Train button (found by its label) starts a run whose progress
shows, the Stop button stops it, the Graph panel shows the step's graph.

Usage: test-dogtail.py EMBER SAFETENSORS  (under xvfb-run and dbus-run-session)
"""
import os
import subprocess
import sys
import time

os.environ.setdefault("GTK_A11Y", "atspi")

# dogtail refuses to run unless the desktop says assistive technologies are
# on; the tests keep settings in memory, so say it here, in this process.
from gi.repository import Gio  # noqa: E402

Gio.Settings.new("org.gnome.desktop.interface").set_boolean("toolkit-accessibility", True)

from dogtail import config  # noqa: E402

config.config.searchCutoffCount = 20
config.config.defaultDelay = 0.2
config.config.logDebugToStdOut = False
config.config.logDebugToFile = False

from dogtail import tree  # noqa: E402
from dogtail.predicate import GenericPredicate  # noqa: E402

failures = 0


def check(cond, what):
    global failures
    if cond:
        print("ok:", what)
    else:
        print("FAIL:", what)
        failures += 1


def wait_for(fn, seconds):
    end = time.time() + seconds
    while time.time() < end:
        try:
            r = fn()
            if r:
                return r
        except Exception:
            pass
        time.sleep(0.2)
    return None


def find_app():
    for app in tree.root.applications():
        if app.name in ("ember", "Ember"):
            return app
    return None


def find(node, role, name, seconds=10):
    return wait_for(lambda: node.findChild(GenericPredicate(name=name, roleName=role),
                                           retry=False, requireResult=False), seconds)


def button(node, label, seconds=10):
    """A push button showing @label (its accessible name, or a label in it);
    the last such in the tree: the header bar's, always on screen."""
    def look():
        found = [b for b in node.findChildren(GenericPredicate(roleName="push button"))
                 if b.name == label or any(c.roleName == "label" and c.name == label for c in b.children)]
        return found[-1] if found else None
    return wait_for(look, seconds)


def label_with(node, text, seconds=10):
    def look():
        for lab in node.findChildren(GenericPredicate(roleName="label"), isLambda=False):
            if text in (lab.name or ""):
                return lab
        return None
    return wait_for(look, seconds)


def main():
    ember, sample = sys.argv[1], sys.argv[2]
    proc = subprocess.Popen([ember, sample])
    try:
        app = wait_for(find_app, 20)
        check(app is not None, "the app is on the accessibility bus")
        if app is None:
            return
        print("application:", app.name)

        # `ember FILE`: the file is an open item.
        check(label_with(app, os.path.basename(sample)) is not None,
              "the file given on the command line is listed")

        train = button(app, "Train")
        check(train is not None, "a button labelled Train")
        stop = button(app, "Stop")
        check(stop is not None, "a button labelled Stop")
        if train is None or stop is None:
            return
        train.doActionNamed("click")
        progress = label_with(app, "Loading the data", 10) or label_with(app, "Training", 10)
        check(progress is not None, "Train started a run")
        # Loss points arrive: the step counter moves past 0.
        moved = wait_for(lambda: next((lab for lab in app.findChildren(GenericPredicate(roleName="label"))
                                       if lab.name and " / " in lab.name and lab.name.split(" / ")[0].strip().isdigit()
                                       and int(lab.name.split(" / ")[0]) > 0), None), 60)
        check(moved is not None, "steps are counted (%s)" % (moved.name if moved else None))
        stop.doActionNamed("click")
        check(label_with(app, "Stopped", 20) is not None, "Stop stopped the run")

        # The Graph panel, from the panel list.
        graph_tab = wait_for(lambda: next((n for n in app.findChildren(GenericPredicate(name="Graph"))
                                           if n.roleName in ("label", "list item", "row", "page tab", "push button")), None), 10)
        check(graph_tab is not None, "the Graph panel is listed")
        view = find(app, "image", "Computation graph", 10)
        check(view is not None, "the graph view is in the tree")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


main()
print("FAILED" if failures else "PASSED")
sys.exit(1 if failures else 0)
