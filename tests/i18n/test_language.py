#!/usr/bin/env python3
"""The CLI speaks the language LANGUAGE asks for, from the catalogues built
in <builddir>/po (SIP_DOCTOR_LOCALEDIR), and its contract does not change:
exit statuses, JSON keys, step ids, statuses and finding codes stay as they
are; only the sentences for people are translated.

Nothing here looks a name up: the runs stop after the uri check, fail on bad
input, or connect to a closed port of 127.0.0.1 given as an IP address.
"""
import json
import os
import subprocess
import tempfile
import unittest

CLI = os.environ.get("SD_CLI", "sip-doctor-cli")
LOCALEDIR = os.environ["SD_LOCALEDIR"]
NBSP = "\u00a0"

# Sentences each language must show, by situation: translated text a person
# reads, with the untranslatable parts (options, codes) kept inside.
EXPECT = {
    "de": {
        "no-address": "Keine SIP-Adresse angegeben. Aufruf: sip-doctor-cli [OPTION…] alice@example.com",
        "bad-transport": "Unbekannter Transport „carrier-pigeon“. Verwenden Sie auto, tls, tcp oder udp.",
        "password-argv": "Verwenden Sie --password-file DATEI",
        "help-option": "Das Passwort aus DATEI lesen („-“ für die Standardeingabe)",
        "help-exit": "Rückgabewert: 0 keine Fehler gefunden",
        "summary-pass": "alice@example.com: keine Probleme gefunden",
        "title-uri": "SIP-Adresse",
        "title-auth": "Anmeldung",
        "sips-message": "Die Adresse beginnt mit sips:, was TLS verlangt, aber es wurde ein anderer Transport gewählt.",
        "one-warning": "1 Warnung (",
        "one-problem": "kann sich nicht anmelden: 1 Problem (",
        "text-heading": "Prüfungen",
        "one-refused": "Dieser Server hat die Verbindung abgelehnt: 127.0.0.1:9",
    },
    "fr": {
        "no-address": "Aucune adresse SIP indiquée. Utilisation" + NBSP + ": sip-doctor-cli [OPTION…] alice@example.com",
        "bad-transport": "Transport «" + NBSP + "carrier-pigeon" + NBSP + "» inconnu. Utilisez auto, tls, tcp ou udp.",
        "password-argv": "Utilisez --password-file FICHIER",
        "help-option": "Lire le mot de passe dans FICHIER",
        "help-exit": "Code de sortie" + NBSP + ": 0 aucune erreur trouvée",
        "summary-pass": "alice@example.com" + NBSP + ": aucun problème trouvé",
        "title-uri": "Adresse SIP",
        "title-auth": "Connexion",
        "sips-message": "L'adresse commence par sips:, qui exige TLS, mais un autre transport a été choisi.",
        "one-warning": "1 avertissement (",
        "one-problem": "ne peut pas se connecter" + NBSP + ": 1 problème (",
        "text-heading": "Vérifications",
        "one-refused": "Ce serveur a refusé la connexion" + NBSP + ": 127.0.0.1:9",
    },
}


def run(args, lang, localedir=LOCALEDIR, timeout=60):
    env = dict(os.environ, LANG="C.UTF-8", SIP_DOCTOR_LOCALEDIR=localedir)
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    if lang is None:
        env.pop("LANGUAGE", None)
    else:
        env["LANGUAGE"] = lang
    proc = subprocess.run([CLI] + args, capture_output=True, text=True, timeout=timeout, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def list_steps(lang):
    """(id, title) of every step, in the order they run: the engine's table."""
    status, out, err = run(["--list-steps"], lang)
    assert status == 0, err
    return [tuple(line.split("\t", 1)) for line in out.splitlines()]


STEP_IDS = [step for step, title in list_steps(None)]


def shape(node):
    """The JSON's structure without the words: keys and value types, with the
    values that are part of the contract (ids, statuses, codes, verdict)."""
    if isinstance(node, dict):
        return {k: shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [shape(v) for v in node]
    return type(node).__name__


class Language(unittest.TestCase):
    maxDiff = None

    def each_language(self):
        for lang in EXPECT:
            with self.subTest(lang=lang):
                yield lang, EXPECT[lang]

    def test_bad_input(self):
        for lang, want in self.each_language():
            status, out, err = run([], lang)
            self.assertEqual(status, 2)
            self.assertEqual(out, "")
            self.assertIn(want["no-address"], err)
            status, out, err = run(["alice@example.com", "--transport", "carrier-pigeon"], lang)
            self.assertEqual(status, 2)
            self.assertIn(want["bad-transport"], err)
            status, out, err = run(["alice@example.com", "--password", "x"], lang)
            self.assertEqual(status, 2)
            self.assertIn(want["password-argv"], err)

    def test_help(self):
        for lang, want in self.each_language():
            status, out, err = run(["--help"], lang)
            self.assertEqual(status, 0, err)
            self.assertIn(want["help-option"], out)
            self.assertIn(want["help-exit"], out)
            # Option names are the interface: never translated.
            for option in ("--password-file", "--dns-server", "--until", "--allow-untrusted", "--json"):
                self.assertIn(option, out)

    def test_json_contract_is_the_same(self):
        status, out, err = run(["--until", "uri", "--json", "alice@example.com"], None)
        self.assertEqual(status, 0, err)
        english = json.loads(out)
        self.assertEqual(english["steps"]["uri"]["title"], "SIP address")
        for lang, want in self.each_language():
            status, out, err = run(["--until", "uri", "--json", "alice@example.com"], lang)
            self.assertEqual(status, 0, err)
            report = json.loads(out)
            self.assertEqual(shape(report), shape(english))
            self.assertEqual(list(report["steps"]), STEP_IDS)
            for key in ("schema", "verdict", "input"):
                self.assertEqual(report[key], english[key])
            for step in STEP_IDS:
                self.assertEqual(report["steps"][step]["status"], english["steps"][step]["status"])
            self.assertEqual(report["steps"]["uri"]["data"], english["steps"]["uri"]["data"])
            self.assertIn(want["summary-pass"], report["summary"])
            self.assertEqual(report["steps"]["uri"]["title"], want["title-uri"])
            self.assertEqual(report["steps"]["auth"]["title"], want["title-auth"])

    def test_list_steps(self):
        english = list_steps(None)
        self.assertEqual(english[0], ("uri", "SIP address"))
        for lang, want in self.each_language():
            steps = list_steps(lang)
            self.assertEqual([step for step, title in steps], STEP_IDS)
            self.assertEqual(steps[0][1], want["title-uri"])
            self.assertEqual(steps[-1][1], want["title-auth"])

    def test_findings_keep_their_codes(self):
        args = ["--until", "uri", "--json", "--transport", "udp", "sips:alice@example.com"]
        status, out, err = run(args, None)
        english = json.loads(out)
        self.assertEqual([f["code"] for f in english["findings"]], ["uri.sips-needs-tls"])
        for lang, want in self.each_language():
            status2, out, err = run(args, lang)
            self.assertEqual(status2, status, err)
            report = json.loads(out)
            self.assertEqual(shape(report), shape(english))
            for mine, theirs in zip(report["findings"], english["findings"]):
                for key in ("code", "severity", "step"):
                    self.assertEqual(mine[key], theirs[key])
                self.assertNotEqual(mine["message"], theirs["message"])
                self.assertNotEqual(mine["advice"], theirs["advice"])
            self.assertEqual(report["findings"][0]["message"], want["sips-message"])
            # An error since a sips: address is never signed in over UDP.
            self.assertIn(want["one-problem"] + "uri.sips-needs-tls)", report["summary"])

    def test_plural_in_summary(self):
        # One refused connection on loopback (nothing listens on port 9 of
        # 127.0.0.1; the server is an IP address, so no name is looked up):
        # one problem, one server, both singular forms.
        args = ["--until", "connect", "--server", "127.0.0.1:9", "--transport", "tcp",
                "--json", "alice@example.com"]
        status, out, err = run(args, None)
        english = json.loads(out)
        self.assertEqual(status, 1, err)
        self.assertEqual([f["code"] for f in english["findings"]], ["connect.refused"])
        self.assertIn("cannot sign in: 1 problem (connect.refused)", english["summary"])
        for lang, want in self.each_language():
            status2, out, err = run(args, lang)
            self.assertEqual(status2, status, err)
            report = json.loads(out)
            self.assertEqual(shape(report), shape(english))
            self.assertEqual([f["code"] for f in report["findings"]], ["connect.refused"])
            self.assertIn(want["one-problem"] + "connect.refused)", report["summary"])
            self.assertTrue(report["findings"][0]["message"].startswith(want["one-refused"]),
                            report["findings"][0]["message"])

    def test_one_warning_in_summary(self):
        # Refused over TCP and TLS with UDP left to probe (transport auto, the
        # server an IP address of loopback, so no name is looked up): one
        # warning, the singular form.
        args = ["--until", "connect", "--server", "127.0.0.1:9", "--json", "alice@example.com"]
        status, out, err = run(args, None)
        english = json.loads(out)
        self.assertEqual(status, 0, err)
        self.assertEqual([(f["code"], f["severity"]) for f in english["findings"]],
                         [("connect.refused", "warning")])
        self.assertIn("1 warning (connect.refused)", english["summary"])
        for lang, want in self.each_language():
            status2, out, err = run(args, lang)
            self.assertEqual(status2, status, err)
            report = json.loads(out)
            self.assertEqual(shape(report), shape(english))
            self.assertIn(want["one-warning"] + "connect.refused)", report["summary"])

    def test_text_report(self):
        for lang, want in self.each_language():
            status, out, err = run(["--until", "uri", "alice@example.com"], lang)
            self.assertEqual(status, 0, err)
            self.assertIn(want["text-heading"], out.splitlines())
            # Step ids stay in the text report's table.
            self.assertRegex(out, r"(?m)^  uri +pass ")

    def test_without_catalogues_it_stays_english(self):
        # The control: the same run with no catalogue to find is in English,
        # so the translations above really come from SIP_DOCTOR_LOCALEDIR.
        with tempfile.TemporaryDirectory() as empty:
            status, out, err = run([], "de", localedir=empty)
        self.assertEqual(status, 2)
        self.assertIn("No SIP address given.", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
