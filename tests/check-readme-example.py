#!/usr/bin/env python3
"""The README's command-line example must stay true.

Starts the lab exactly as the README says (its `tools/lab-up ...` line, in a
temporary folder), sources the variables file as the README does, runs the
README's sip-doctor-cli line (the built program in place of
_build/app/cli/sip-doctor-cli), and compares with what the README shows: the
verdict line, every finding's severity and code, every check's status, and
the exit status after `$ echo $?`.

Usage: check-readme-example.py README.md   (SD_CLI: the built program)
"""
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import unittest

README = None
SRCROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get('SD_CLI') or os.path.join(SRCROOT, '_build', 'app', 'cli', 'sip-doctor-cli')
LAB_START_S = 90


def readme_example(text):
    """(lab-up argv, shell lines before the CLI, CLI line, shown output lines,
    shown exit status) from the README's example."""
    blocks = re.findall(r'^```\n(.*?)^```\n', text, re.S | re.M)
    lab = [b for b in blocks if b.startswith('$ tools/lab-up ')]
    run = [b for b in blocks if re.search(r'^\$ \S*sip-doctor-cli msuser@', b, re.M)]
    if len(lab) != 1 or len(run) != 1:
        raise AssertionError('README.md: expected one "$ tools/lab-up" block and one '
                             'example block, found %d and %d' % (len(lab), len(run)))
    lab_argv = shlex.split(lab[0].splitlines()[0][2:])
    lines = run[0].splitlines()
    commands = [i for i, l in enumerate(lines) if l.startswith('$ ')]
    cli_i = next(i for i in commands if 'sip-doctor-cli' in lines[i])
    before = [lines[i][2:] for i in commands if i < cli_i]
    echo_i = next(i for i in commands if lines[i] == '$ echo $?')
    shown = lines[cli_i + 1:echo_i]
    status = int(lines[echo_i + 1])
    return lab_argv, before, lines[cli_i][2:], shown, status


def summary(lines):
    """What must agree: the verdict, (severity, code) of each finding, and
    (step, status) of each check."""
    verdict = [l for l in lines if l.startswith('Verdict: ')]
    findings = re.findall(r'^  \[(\w+)\] ([a-z]+\.[a-z-]+) ', '\n'.join(lines), re.M)
    checks = re.findall(r'^  (uri|dns|connect|tls|sip|auth) +(pass|warn|fail|skip) ',
                        '\n'.join(lines), re.M)
    return verdict, findings, checks


class ReadmeExample(unittest.TestCase):
    def test_example_is_reproducible(self):
        with open(README, encoding='utf-8') as f:
            lab_argv, before, cli_line, shown, status = readme_example(f.read())
        self.assertEqual(lab_argv[0], 'tools/lab-up')
        self.assertIn('--env', lab_argv)
        env_file = lab_argv[lab_argv.index('--env') + 1]
        want = summary(shown)
        self.assertTrue(want[0] and want[1] and len(want[2]) == 6,
                        'the README example shows no verdict, findings or checks')

        prog = cli_line.split()[0]
        self.assertTrue(prog.endswith('sip-doctor-cli'), cli_line)
        cli_line = shlex.quote(CLI) + cli_line[len(prog):]

        with tempfile.TemporaryDirectory() as cwd:
            env = dict(os.environ, LANG='C.UTF-8', TZ='UTC',
                       # "this computer has no Kerberos ticket"
                       KRB5CCNAME='FILE:' + os.path.join(cwd, 'no-such-ccache'))
            lab = subprocess.Popen([os.path.join(SRCROOT, lab_argv[0])] + lab_argv[1:],
                                   cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
            try:
                deadline = time.monotonic() + LAB_START_S
                path = os.path.join(cwd, env_file)
                while not os.path.exists(path) and lab.poll() is None \
                        and time.monotonic() < deadline:
                    time.sleep(0.2)
                self.assertTrue(os.path.exists(path), 'tools/lab-up wrote no %s (exit %s)'
                                % (env_file, lab.poll()))
                script = '\n'.join(before + [cli_line])
                r = subprocess.run(['sh', '-c', script], cwd=cwd, env=env, capture_output=True,
                                   text=True, timeout=120)
            finally:
                # lab-up stops the lab on SIGINT (Ctrl-C), as the README says
                lab.send_signal(signal.SIGINT)
                try:
                    out, _ = lab.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(lab.pid, signal.SIGKILL)
                    out, _ = lab.communicate()
            self.assertEqual(lab.returncode, 0, out[-3000:])
            self.assertFalse(os.path.exists(path), 'tools/lab-up left %s behind' % env_file)
        got = summary(r.stdout.splitlines())
        msg = 'README.md example differs from the real run:\n%s\nstderr:\n%s' % (
            r.stdout[:4000], r.stderr[-2000:])
        self.assertEqual(got[0], want[0], msg)
        self.assertEqual(got[1], want[1], msg)
        self.assertEqual(got[2], want[2], msg)
        self.assertEqual(r.returncode, status, msg)


if __name__ == '__main__':
    README = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(SRCROOT, 'README.md')
    unittest.main(verbosity=2)
