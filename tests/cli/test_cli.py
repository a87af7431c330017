#!/usr/bin/env python3
"""The command-line contract of DESIGN.md: options, exit statuses, JSON report.

Every run here names a loopback server (--server 127.0.0.1:…), so no name
reaches the machine's resolver.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
import sdlab  # noqa: E402

CLI = os.environ.get("SD_CLI", "sip-doctor-cli")
CANARY = "canary-Pw-51e7b0c2"
# The contract's step ids, in order (docs/contract.md); the one place the
# tests state them: test_list_steps holds the engine's table to it, and the
# other tests ask the table (sdlab.step_ids).
STEP_IDS = ["uri", "dns", "connect", "tls", "sip", "auth"]
# A loopback port nothing listens on: connections are refused at once.
CLOSED = "127.0.0.1:9"


def run(args, stdin=None, timeout=60):
    proc = subprocess.run([CLI] + args, input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, LANG="C.UTF-8"))
    return proc.returncode, proc.stdout, proc.stderr


class BadInput(unittest.TestCase):
    """Each bad input exits 2 with one clear line on stderr, and no GLib noise."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.unreadable = os.path.join(self.tmp.name, "unreadable")
        with open(self.unreadable, "w", encoding="utf-8") as f:
            f.write("x\n")
        os.chmod(self.unreadable, 0)
        self.empty = os.path.join(self.tmp.name, "empty")
        open(self.empty, "w", encoding="utf-8").close()

    def tearDown(self):
        self.tmp.cleanup()

    CASES = [
        ([], "No SIP address"),
        (["notanaddress"], "alice@example.com"),
        (["alice@"], "domain"),
        (["tel:+15551234567"], "not a SIP address"),
        (["alice@example.com", "bob@example.com"], "one SIP address"),
        (["alice@example.com", "--timeout", "-1"], "whole number"),
        (["alice@example.com", "--timeout", "abc"], "whole number"),
        (["alice@example.com", "--timeout", "0"], "whole number"),
        (["alice@example.com", "--timeout", "99999"], "whole number"),
        (["alice@example.com", "--transport", "carrier-pigeon"], "auto, tls, tcp or udp"),
        (["alice@example.com", "--client", "skype"], "generic, wm5, ocs or lync"),
        (["alice@example.com", "--ca-file", "/nonexistent/ca.pem"], "CA file"),
        (["alice@example.com", "--ca-file", "/"], "not a regular file"),
        (["alice@example.com", "--password-file", "/nonexistent/pw"], "password file"),
        (["alice@example.com", "--password", CANARY], "--password-file"),
        (["alice@example.com", "--password=" + CANARY], "--password-file"),
        (["alice@example.com", "--no-such-option"], "--help"),
        (["alice@example.com", "--dns-server", "dns.example.com"], "IP address"),
        (["alice@example.com", "--dns-server", "127.0.0.1:99999"], "port"),
        (["alice@example.com", "--server", "bad host"], "server address"),
        (["alice@example.com", "--server", "host:0"], "port"),
        (["alice@example.com", "--report", "out.pdf"], ".html, .json or .txt"),
        (["alice@example.com", "--sign-in", "EXAMPLE\\alice@x.com"], "DOMAIN\\user"),
        (["alice@example.com", "--until", "everything"], "uri, dns, connect, tls, sip or auth"),
    ]

    def test_cases(self):
        for args, expected in self.CASES:
            with self.subTest(args=args):
                code, out, err = run(args)
                self.assertEqual(code, 2, err)
                lines = err.strip().splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertIn(expected, lines[0])
                self.assertTrue(lines[0].startswith("sip-doctor-cli: "))
                for noise in ("CRITICAL", "WARNING", "assertion", "Segmentation"):
                    self.assertNotIn(noise, err)
                self.assertNotIn(CANARY, out + err)

    def test_password_files(self):
        if os.geteuid() != 0:
            code, _, err = run(["alice@example.com", "--password-file", self.unreadable])
            self.assertEqual(code, 2)
            self.assertIn("Cannot read", err)
        code, _, err = run(["alice@example.com", "--password-file", self.empty])
        self.assertEqual(code, 2)
        self.assertIn("empty", err)
        code, _, err = run(["alice@example.com", "--password-file", "-"], stdin="")
        self.assertEqual(code, 2)
        self.assertIn("empty", err)


class PasswordSecrecy(unittest.TestCase):
    """How the password is read: prompt with echo off, file modes, size."""

    BASE = ["alice@example.com", "--server", CLOSED, "--timeout", "2", "--json"]

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def password_file(self, content, mode):
        path = os.path.join(self.tmp.name, "pw with space")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(path, mode)
        return path

    def test_prompt_on_terminal_without_echo(self):
        r = sdlab.run_cli_pty(self.BASE + ["--password-file", "-", "-u", "EXAMPLE\\alice"],
                              typed=CANARY + "\n", env={"LANG": "C.UTF-8"})
        self.assertTrue(r.echo_before)
        self.assertIn("Password for EXAMPLE\\alice: ", r.screen)
        self.assertFalse(r.echo_at_prompt, "echo is off while the password is typed")
        self.assertTrue(r.echo_after, "echo is back on after the run")
        self.assertNotIn(CANARY, r.screen + r.stdout + r.stderr)
        self.assertIn(r.returncode, (0, 1), r.stderr)
        self.assertTrue(r.report["input"]["password_given"])

    def test_prompt_signals_restore_echo(self):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with self.subTest(signal=sig):
                r = sdlab.run_cli_pty(self.BASE + ["--password-file", "-"], send_signal=sig,
                                      env={"LANG": "C.UTF-8"})
                self.assertFalse(r.echo_at_prompt)
                self.assertEqual(r.returncode, -sig)
                self.assertTrue(r.echo_after, "echo is back on after the signal")

    def test_prompt_errors_restore_echo(self):
        for typed, expected in ((b"\n", "empty"), (b"\xff\n", "UTF-8")):
            with self.subTest(typed=typed):
                r = sdlab.run_cli_pty(self.BASE + ["--password-file", "-"], typed=typed,
                                      env={"LANG": "C.UTF-8"})
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(expected, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertTrue(r.echo_after)

    def test_group_readable_file_warns(self):
        for mode in (0o640, 0o604, 0o644):
            with self.subTest(mode=oct(mode)):
                path = self.password_file(CANARY.encode() + b"\n", mode)
                code, out, err = run(self.BASE + ["--password-file", path])
                self.assertIn(code, (0, 1), err)
                warnings = [line for line in err.splitlines() if "chmod 600" in line]
                self.assertEqual(len(warnings), 1, err)
                self.assertIn(path, warnings[0])
                self.assertIn("'%s'" % path, warnings[0], "the command can be pasted")
                self.assertIn("%04o" % mode, warnings[0])
                self.assertTrue(json.loads(out)["input"]["password_given"])
                self.assertNotIn(CANARY, out + err)
        path = self.password_file(CANARY.encode() + b"\n", 0o600)
        code, out, err = run(self.BASE + ["--password-file", path])
        self.assertIn(code, (0, 1), err)
        self.assertNotIn("chmod", err)
        self.assertTrue(json.loads(out)["input"]["password_given"])

    def test_oversize_password(self):
        big = CANARY.encode() + b"\n" + b"x" * (4 * 1024 * 1024)
        path = self.password_file(big, 0o600)
        for args, stdin in ((["--password-file", path], None),
                            (["--password-file", "-"], big.replace(b"\n", b"y").decode())):
            with self.subTest(args=args):
                code, out, err = run(self.BASE + args, stdin=stdin)
                self.assertEqual(code, 2, err)
                lines = err.strip().splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertIn("too large", lines[0])
                self.assertEqual(out, "")
                self.assertNotIn(CANARY, err)

    def test_no_core_dumps(self):
        """While it runs, no core file may be written and the process is not
        dumpable: /proc/PID belongs to root, not to the user running it."""
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))
        silent.settimeout(20)
        port = silent.getsockname()[1]
        path = self.password_file(CANARY.encode(), 0o600)
        # As root, run it as nobody, or root would own /proc/PID either way.
        as_user = os.geteuid() == 0
        if as_user:
            os.chmod(self.tmp.name, 0o755)
            os.chmod(path, 0o644)

        def drop():
            if as_user:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)

        proc = subprocess.Popen([CLI, "alice@example.com", "--server", "127.0.0.1:%d" % port,
                                 "-t", "udp", "--timeout", "10", "--password-file", path, "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(os.environ, LANG="C.UTF-8"), preexec_fn=drop)
        try:
            # A request on the silent server: main() has long been running.
            silent.recvfrom(65536)
            with open("/proc/%d/limits" % proc.pid, encoding="utf-8") as f:
                limit = [line for line in f if line.startswith("Max core file size")]
            self.assertEqual(limit[0].split()[4:6], ["0", "0"], limit)
            self.assertEqual(os.stat("/proc/%d/status" % proc.pid).st_uid, 0,
                             "not dumpable: /proc/PID belongs to root")
            with open("/proc/%d/status" % proc.pid, encoding="utf-8") as f:
                uid = [line for line in f if line.startswith("Uid:")][0].split()[1]
            self.assertNotEqual(uid, "0", "the check runs as another user than root")
        finally:
            proc.kill()
            proc.communicate()
            silent.close()


class Report(unittest.TestCase):
    def test_json_contract(self):
        code, out, err = run(["sip:alice@example.com", "--server", CLOSED, "--timeout", "2",
                              "--password-file", "-", "--json"], stdin=CANARY + "\n")
        self.assertIn(code, (0, 1), err)
        self.assertNotIn(CANARY, out + err)
        report = json.loads(out)
        self.assertEqual(report["schema"], "sip-doctor/1")
        for key in ("input", "verdict", "summary", "findings", "steps"):
            self.assertIn(key, report)
        self.assertIn(report["verdict"], ("pass", "warn", "fail"))
        self.assertEqual(code, 1 if report["verdict"] == "fail" else 0)
        self.assertEqual(list(report["steps"].keys()), STEP_IDS)
        self.assertEqual(report["input"]["address"], "sip:alice@example.com")
        self.assertTrue(report["input"]["password_given"])
        self.assertNotIn("password", {k for k in report["input"] if k != "password_given"})
        for step, body in report["steps"].items():
            self.assertIn(body["status"], ("pass", "warn", "fail", "skip"), step)
            self.assertIsInstance(body["duration_ms"], int)
            self.assertIsInstance(body["data"], dict)
            if body["status"] == "skip":
                self.assertTrue(body.get("reason"), step)
        self.assertEqual(report["steps"]["uri"]["status"], "pass")
        self.assertEqual(report["steps"]["uri"]["data"]["domain"], "example.com")
        for finding in report["findings"]:
            self.assertEqual(set(finding), {"code", "severity", "step", "message", "advice"})
            self.assertIn(finding["severity"], ("error", "warning", "info"))
            self.assertIn(finding["step"], STEP_IDS)
            self.assertTrue(finding["advice"], finding["code"])
        self.assertIn("alice@example.com", report["summary"])

    def test_list_steps(self):
        code, out, err = run(["--list-steps"])
        self.assertEqual(code, 0, err)
        rows = [line.split("\t") for line in out.splitlines()]
        self.assertEqual([row[0] for row in rows], STEP_IDS)
        self.assertEqual(sdlab.step_ids(CLI), STEP_IDS)
        for row in rows:
            self.assertEqual(len(row), 2, row)
            self.assertTrue(row[1].strip(), row)
        self.assertEqual(rows[0][1], "SIP address")
        # The help and the error name every step of the table.
        code, out, err = run(["--help"])
        self.assertIn("Stop after this check: uri, dns, connect, tls, sip or auth (default auth)", out)
        self.assertIn("--list-steps", out)

    def test_until(self):
        code, out, err = run(["alice@example.com", "--until", "uri", "--json"])
        self.assertEqual(code, 0, err)
        report = json.loads(out)
        self.assertEqual(report["steps"]["uri"]["status"], "pass")
        self.assertIn("5 of 6 checks not run", report["summary"])
        for step in STEP_IDS[1:]:
            self.assertEqual(report["steps"][step]["status"], "skip")
            self.assertIn("Not run", report["steps"][step]["reason"])

    def test_report_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            paths = {ext: os.path.join(tmp, "report." + ext) for ext in ("json", "html", "txt")}
            trace = os.path.join(tmp, "trace.txt")
            for ext, path in paths.items():
                code, _, err = run(["alice@example.com", "--server", CLOSED, "--timeout", "2",
                                    "--password-file", "-", "--report", path, "--trace", trace],
                                   stdin=CANARY)
                self.assertIn(code, (0, 1), err)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                self.assertNotIn(CANARY, text)
                if ext == "json":
                    self.assertEqual(json.loads(text)["schema"], "sip-doctor/1")
                elif ext == "html":
                    self.assertTrue(text.startswith("<!DOCTYPE html>"))
                    self.assertNotIn("<script", text)
                    self.assertNotIn("src=\"http", text)
                else:
                    self.assertIn("Verdict:", text)
                self.assertEqual(os.stat(path).st_mode & 0o077, 0, "reports are private to the user")
                with open(trace, encoding="utf-8") as f:
                    self.assertNotIn(CANARY, f.read())

    def test_unwritable_report(self):
        code, _, err = run(["alice@example.com", "--server", CLOSED, "--timeout", "2",
                            "--report", "/nonexistent-dir/r.json"])
        self.assertEqual(code, 3)
        self.assertIn("Cannot write the report", err)

    def test_text_output_and_version(self):
        code, out, _ = run(["--version"])
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("sip-doctor-cli "))
        code, out, _ = run(["--help"])
        self.assertEqual(code, 0)
        for option in ("--server", "--transport", "--client", "--sign-in", "--password-file",
                       "--ca-file", "--strict-dns-naming", "--dns-server", "--timeout",
                       "--json", "--report", "--trace", "--verbose", "-v,"):
            self.assertIn(option, out)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
