#!/usr/bin/python3
"""End-to-end GUI test: walk the whole wizard against the test lab.

The real sip-doctor under Xvfb, driven through AT-SPI by accessible names,
against the lab's dnsmasq and Kamailio (tests/lab/sdlab.py), with the lab's
DNS server and CA file typed into the Server page's Advanced fields:

1. a good sign-in (alice, with her password): every page in turn, then the
   Summary; the saved report must agree with sip-doctor-cli run on the same
   inputs, and must not contain the password; then without the password
   (Check Everything): the Summary's Sign-in row says "Not checked", never
   "Passed", and the verdict "No problems found so far";
2. a certificate problem: Back to the Server page, the lab's expired-
   certificate TLS port as the server: a new run; the Connection page must
   show the chain and the problem in words, Export Certificate… writes the
   PEM, and the Summary says what is wrong.

Screenshots of every page go to <builddir>/tests/gui/out/e2e-*.png.
Checks whose engine step is not built yet are reported as such (the page
must then say so honestly) instead of being asserted.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
import sdgui  # noqa: E402
from sdgui import Atspi, check, wait_for  # noqa: E402

try:
    import sdlab  # noqa: E402
except ImportError as e:
    print(f'skipping: the test lab is not available ({e})')
    sys.exit(77)

NOT_BUILT = 'not built yet'


def step_built(report, step):
    st = report['steps'].get(step, {})
    return not (st.get('status') == 'skip' and NOT_BUILT in (st.get('reason') or ''))


def codes(report):
    return sorted(f['code'] for f in report['findings'])


def walk_page(app, title, shot):
    app.click(app.button('Next'))
    app.wait_title(title)
    app.wait_page_done()
    app.assert_alive()
    app.screenshot(shot)


def save_report(app, path):
    if os.path.exists(path):
        os.unlink(path)
    app.click(app.button('Save Report…'))
    wait_for(lambda: any(t.startswith('Report saved to') for t in app.texts()), 20,
             'the Summary to say the report was saved')
    with open(path, encoding='utf-8') as f:
        return f.read()


def verdict_shown(app):
    verdicts = ('Problems found', 'Signed in', 'Warnings', 'No problems found', 'No problems found so far', 'Stopped')
    return wait_for(lambda: next((t for t in app.texts() if t in verdicts), None), 90, 'the verdict')


def main():
    if not sdlab.have_cli():
        print('skipping: sip-doctor-cli is not built')
        sys.exit(77)
    out = sdgui.out_dir()
    report_path = os.path.join(out, 'e2e-report.json')
    export_path = os.path.join(out, 'e2e-exported.pem')

    # Settings go to a key file in a temporary folder here (not the memory
    # backend), to check what is remembered across launches, and that the
    # password never is.
    config_home = tempfile.mkdtemp(prefix='sd-gui-settings-')
    settings_env = {'GSETTINGS_BACKEND': 'keyfile', 'XDG_CONFIG_HOME': config_home}
    keyfile = os.path.join(config_home, 'glib-2.0', 'settings', 'keyfile')

    with sdlab.Lab(sip256=False, peers=False, sipp=False) as lab:
        password = lab.password('alice')
        pwfile = lab.password_file('alice')
        app = sdgui.App(args=['alice@example.test'],
                        env={'SD_TEST_SAVE_PATH': report_path, 'SD_TEST_EXPORT_PATH': export_path,
                             **settings_env})
        try:
            # Larger than the default, so each screenshot shows most of its page.
            app.resize(860, 780)
            # ---- 1. a good sign-in, page by page --------------------------------
            check(app.get_text(app.entry('SIP address')) == 'alice@example.test',
                  'sip-doctor ADDRESS opens with the address filled in')
            app.set_text(app.find('Password', Atspi.Role.PASSWORD_TEXT), password)
            app.screenshot('e2e-1-account.png')
            app.click(app.button('Next'))
            app.wait_title('Server')
            adv = app.find('Advanced', Atspi.Role.TOGGLE_BUTTON)
            if not adv.get_state_set().contains(Atspi.StateType.EXPANDED):
                app.click(adv)
            app.set_text(app.reveal('CA file', Atspi.Role.TEXT), lab.pki.ca_file)
            app.set_text(app.reveal('DNS server', Atspi.Role.TEXT), lab.dns_server)
            wait_for(lambda: sdgui.sensitive(app.button('Next')), 10, 'the Server page to accept the lab’s settings')
            app.screenshot('e2e-2-server.png')

            walk_page(app, 'DNS', 'e2e-3-dns.png')
            dns_text = '\n'.join(app.label_texts_all())
            walk_page(app, 'Connection', 'e2e-4-connection.png')
            walk_page(app, 'Sign-in', 'e2e-5-sign-in.png')
            signin_text = '\n'.join(app.label_texts_all())
            check('Digest' in signin_text or 'Not checked' in signin_text,
                  'the Sign-in page shows the offered methods, or says it could not check')
            walk_page(app, 'Summary', 'e2e-6-summary.png')
            verdict = verdict_shown(app)
            report_text = save_report(app, report_path)
            check(password not in report_text, 'the saved report does not contain the password')
            report = json.loads(report_text)
            check(report.get('schema') == 'sip-doctor/1', 'the saved report is a sip-doctor/1 JSON report')

            cli = sdlab.run_cli(lab.cli_base('alice@example.test') + ['--password-file', pwfile, '--json'],
                                timeout=60)
            check(cli.report is not None, 'the CLI gives a report for the same inputs')
            check(report['verdict'] == cli.report['verdict'],
                  f'GUI and CLI agree on the verdict ({report["verdict"]})')
            check(codes(report) == codes(cli.report),
                  f'GUI and CLI agree on the findings ({", ".join(codes(report)) or "none"})')
            summary_line = report['summary']
            check(summary_line in app.texts(), 'the Summary shows the report’s line to read out')

            if step_built(report, 'dns'):
                check('sip.example.test' in dns_text or report['steps']['dns']['data'].get('candidates'),
                      'the DNS step found the lab’s server')
            else:
                check('not built yet' in dns_text, 'the DNS page says honestly that the check is not built yet')
            if step_built(report, 'auth'):
                check('auth.ok' in codes(report), 'alice signs in against the lab (auth.ok)')
                check(verdict == 'Signed in', 'the Summary says “Signed in”')
            else:
                print(f'note: the auth step is not built yet; the verdict shown is “{verdict}”')

            # ---- 1b. no password: the sign-in is not tried, never "passed" ------
            for title in ('Sign-in', 'Connection', 'DNS', 'Server', 'Account'):
                app.click(app.button('Back'))
                app.wait_title(title)
            app.set_text(app.find('Password', Atspi.Role.PASSWORD_TEXT), '')
            app.click(app.button('Next'))
            app.wait_title('Server')
            app.click(app.reveal('Check Everything', Atspi.Role.PUSH_BUTTON))
            app.wait_title('Summary')
            verdict_np = verdict_shown(app)
            app.screenshot('e2e-6b-summary-no-password.png')
            if step_built(report, 'auth'):
                labels = app.label_texts_all()
                check('Not checked — Not tried: no password.' in labels,
                      'without a password the Summary’s Sign-in row says it was not checked, and why')
                check(not any(t.startswith('Passed') and 'password' in t for t in labels),
                      'the sign-in without a password is not shown as passed')
                check(verdict_np == 'No problems found so far',
                      f'without a password the verdict is “No problems found so far” (“{verdict_np}”)')
            for title in ('Sign-in', 'Connection', 'DNS', 'Server', 'Account'):
                app.click(app.button('Back'))
                app.wait_title(title)
            app.set_text(app.find('Password', Atspi.Role.PASSWORD_TEXT), password)
            app.click(app.button('Next'))
            app.wait_title('Server')

            # ---- 2. a certificate problem: change an input, a new run ----------
            port = lab.sip.tls_ports['expired']
            app.set_text(app.entry('Server'), f'sip.example.test:{port}')
            transport = app.find('Transport', Atspi.Role.COMBO_BOX)
            # The combo's accessible selection: item 1 is TLS (Automatic, TLS, TCP, UDP).
            transport.get_selection_iface().select_child(1)
            time.sleep(0.3)
            app.screenshot('e2e-7-server-expired.png')

            walk_page(app, 'DNS', 'e2e-8-dns-expired.png')
            walk_page(app, 'Connection', 'e2e-9-connection-expired.png')
            conn_text = '\n'.join(app.label_texts_all())
            walk_page(app, 'Sign-in', 'e2e-10-sign-in-expired.png')
            walk_page(app, 'Summary', 'e2e-11-summary-expired.png')
            verdict2 = verdict_shown(app)
            report2 = json.loads(save_report(app, report_path))
            check(report2['input'].get('server') == f'sip.example.test:{port}',
                  'going Back and changing the server made a new run with the new input')
            check(report2['input'].get('transport') == 'tls', 'the transport chosen on the Server page is used')
            cli2 = sdlab.run_cli(lab.cli_base('alice@example.test')
                                 + ['--server', f'sip.example.test:{port}', '--transport', 'tls',
                                    '--password-file', pwfile, '--json'], timeout=60)
            check(codes(report2) == codes(cli2.report),
                  f'GUI and CLI agree on the findings for the expired certificate ({", ".join(codes(report2)) or "none"})')
            if step_built(report2, 'tls'):
                check('tls.expired' in codes(report2), 'the expired certificate is found (tls.expired)')
                # Each face names its own controls: the wizard its switch, the CLI its option.
                gui_advice = [f['advice'] for f in report2['findings'] if f['code'] == 'auth.untrusted-not-sent']
                cli_advice = [f['advice'] for f in cli2.report['findings'] if f['code'] == 'auth.untrusted-not-sent']
                check(len(gui_advice) == 1 and '--allow-untrusted' not in gui_advice[0]
                      and 'Sign in despite certificate problems' in gui_advice[0],
                      f'the wizard\'s advice names its switch, not the CLI\'s option ({gui_advice})')
                check(len(cli_advice) == 1 and '--allow-untrusted' in cli_advice[0],
                      f'the CLI\'s advice names --allow-untrusted ({cli_advice})')
                check(verdict2 == 'Problems found', 'the Summary says “Problems found”')
                check('expired' in conn_text.lower(), 'the Connection page says in words that the certificate expired')
                # The report keeps ISO 8601 instants; a person reads local dates.
                iso = re.compile(r'\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z')
                check(any(iso.search(f['message']) for f in report2['findings']),
                      'the report keeps the exact ISO 8601 instant of the expiry')
                check(not iso.search(conn_text),
                      'the Connection page shows dates in the person\'s format, not as ISO 8601 instants')
                check(any('Code: tls.expired' == t for t in app.label_texts_all()),
                      'the Summary lists tls.expired with its advice')
                # Export the certificate shown on the Connection page.
                for title in ('Sign-in', 'Connection'):
                    app.click(app.button('Back'))
                    app.wait_title(title)
                app.wait_page_done()
                app.click(app.reveal('Export Certificate…', Atspi.Role.PUSH_BUTTON))
                wait_for(lambda: os.path.exists(export_path) and os.path.getsize(export_path) > 0, 10,
                         'the exported certificate')
                check(open(export_path).read().startswith('-----BEGIN CERTIFICATE-----'),
                      'Export Certificate… writes the certificate as PEM')
                app.screenshot('e2e-12-connection-exported.png')
            else:
                check('not built yet' in conn_text, 'the Connection page says honestly that TLS is not built yet')
                print('note: the tls step is not built yet: the certificate problem cannot be shown')
            # Quit cleanly (Ctrl+Q), so the window size is saved too.
            app.key_combo('Control_L', 'q')
            app.proc.wait(20)
            check(app.proc.returncode == 0, 'Ctrl+Q quits cleanly after a whole run')
        finally:
            app.close()

        # What was remembered, and what was not.
        settings = open(keyfile, encoding='utf-8').read() if os.path.exists(keyfile) else ''
        check("last-address='alice@example.test'" in settings, 'the SIP address is remembered')
        check(f"last-server='sip.example.test:{port}'" in settings, 'the server is remembered')
        check("last-transport='tls'" in settings, 'the transport is remembered')
        check(lab.dns_server in settings and lab.pki.ca_file in settings,
              'the DNS server and CA file are remembered')
        check('window-width=' in settings, 'the window size is remembered')
        check(password not in settings, 'the password is not in the settings')

        # A new launch without an address offers the remembered one.
        app = sdgui.App(env=settings_env)
        try:
            check(app.get_text(app.entry('SIP address')) == 'alice@example.test',
                  'a new launch offers the remembered SIP address')
            check(app.get_text(app.find('Password', Atspi.Role.PASSWORD_TEXT)) == '',
                  'a new launch has an empty password field')
        finally:
            app.close()
            shutil.rmtree(config_home, ignore_errors=True)
    print('GUI end-to-end test passed')


if __name__ == '__main__':
    main()
