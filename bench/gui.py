#!/usr/bin/env python3
"""Benchmarks of the wizard: first window time and memory after a whole run.

Run under an X server of its own (the GUI tests' harness):

    tests/gui/run-under-xvfb.sh /usr/bin/python3 bench/gui.py [--runs N] [--build DIR]

1. Time from exec to the first mapped window (bench/sd-bench-window) and
   resident memory then, for sip-doctor and for sd-bench-bare (a bare GTK 3
   window with the same kinds of widgets), in alternating runs.
2. Resident memory of sip-doctor after Check Everything against the test lab
   (driven through AT-SPI like tests/gui), next to the bare window's.

Nothing is asserted: it measures.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "gui"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))


def map_once(build, argv):
    env = dict(os.environ, GSETTINGS_SCHEMA_DIR=os.path.join(build, "data"), GSETTINGS_BACKEND="memory",
               NO_AT_BRIDGE="1")
    out = subprocess.run([os.path.join(build, "bench", "sd-bench-window"), "--settle", "1", "--"] + argv,
                         capture_output=True, text=True, env=env, timeout=60, check=True).stdout
    fields = dict(re.findall(r"(\w+) ([\d.]+)", out))
    return float(fields["mapped_ms"]), int(fields["rss_settled_kib"]) / 1024.0


def rss_mib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return int(re.search(field + r":\s+(\d+)", f.read()).group(1)) / 1024.0


def rss_split(pid):
    """Resident memory in MiB: anonymous (the heap, arenas, stacks) and file-backed (libraries, fonts)."""
    return rss_mib(pid, "RssAnon"), rss_mib(pid, "RssFile")


def libraries_mib(pid):
    """Resident MiB of each shared library, by file name."""
    out = {}
    name = None
    with open(f"/proc/{pid}/smaps", encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$", line)
            if m:
                name = os.path.basename(m.group(1)) if ".so" in m.group(1) else None
            elif name and line.startswith("Rss:"):
                out[name] = out.get(name, 0) + int(line.split()[1]) / 1024.0
    return out


def rss_after_run(build):
    os.environ["MESON_BUILD_ROOT"] = build
    import sdgui  # noqa: E402  (needs the build root first)
    import sdlab  # noqa: E402
    from sdgui import Atspi, wait_for  # noqa: E402

    with sdlab.Lab(sip256=False, peers=False, sipp=False) as lab:
        app = sdgui.App(args=["alice@example.test"], name="bench")
        try:
            app.set_text(app.find("Password", Atspi.Role.PASSWORD_TEXT), lab.password("alice"))
            app.click(app.button("Next"))
            app.wait_title("Server")
            adv = app.find("Advanced", Atspi.Role.TOGGLE_BUTTON)
            if not adv.get_state_set().contains(Atspi.StateType.EXPANDED):
                app.click(adv)
            app.set_text(app.reveal("CA file", Atspi.Role.TEXT), lab.pki.ca_file)
            app.set_text(app.reveal("DNS server", Atspi.Role.TEXT), lab.dns_server)
            before = rss_mib(app.proc.pid)
            split_before, libs_before = rss_split(app.proc.pid), libraries_mib(app.proc.pid)
            button = app.reveal("Check Everything", Atspi.Role.PUSH_BUTTON)
            wait_for(lambda: sdgui.sensitive(button), 10, "Check Everything to be sensitive")
            app.click(button)
            app.wait_title("Summary", timeout=90)
            app.wait_page_done()
            after = rss_mib(app.proc.pid)
            split_after, libs_after = rss_split(app.proc.pid), libraries_mib(app.proc.pid)
            app.screenshot("bench-summary.png")
        finally:
            app.close()
    new_libs = sorted(((v - libs_before.get(k, 0), k) for k, v in libs_after.items()), reverse=True)
    return before, after, split_before, split_after, [(k, v) for v, k in new_libs[:4] if v >= 0.3]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--build", default=os.path.join(HERE, "..", "_build"))
    args = parser.parse_args()
    runs = max(1, min(args.runs, 50))
    build = os.path.abspath(args.build)
    if "DISPLAY" not in os.environ:
        sys.exit("bench/gui.py: run it under tests/gui/run-under-xvfb.sh")

    sides = {"sip-doctor": [os.path.join(build, "app", "gui", "sip-doctor")],
             "bare GTK 3": [os.path.join(build, "bench", "sd-bench-bare")]}
    results = {name: [] for name in sides}
    for i in range(runs):
        order = list(sides) if i % 2 == 0 else list(sides)[::-1]
        for name in order:
            results[name].append(map_once(build, sides[name]))
    print(f"First window, {runs} alternating runs each (median)\n")
    print("| program | exec → window mapped, ms | RSS 1 s after map, MiB |")
    print("|---|---:|---:|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(v[0] for v in values):.1f} "
              f"| {statistics.median(v[1] for v in values):.1f} |")

    before, after, split_before, split_after, libs = rss_after_run(build)
    print(f"\nsip-doctor with the accessibility bridge on: RSS {before:.1f} MiB on the Server page, "
          f"{after:.1f} MiB after Check Everything against the lab ({after - before:+.1f} MiB for the run)")
    print(f"  of which anonymous (heap, arenas, stacks) {split_after[0] - split_before[0]:+.1f} MiB, "
          f"file-backed (libraries, fonts) {split_after[1] - split_before[1]:+.1f} MiB")
    print("  libraries that grew most: " + ", ".join(f"{k} {v:+.1f} MiB" for k, v in libs))


if __name__ == "__main__":
    main()
