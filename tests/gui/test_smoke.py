#!/usr/bin/python3
"""GUI smoke test: the real sip-doctor under Xvfb, driven through AT-SPI.

Runs under run-under-xvfb.sh (meson test --suite gui).  Types an address,
checks validation as you type, goes Next to the Server page and Back,
cancels a running check with Escape, runs Check Everything, and keeps a
screenshot of each page in <builddir>/tests/gui/out/.
"""
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sdgui  # noqa: E402
from sdgui import Atspi, check, wait_for  # noqa: E402

INPUT_ROLES = {Atspi.Role.TEXT, Atspi.Role.PASSWORD_TEXT, Atspi.Role.COMBO_BOX,
               Atspi.Role.PUSH_BUTTON, Atspi.Role.TOGGLE_BUTTON, Atspi.Role.CHECK_BOX,
               Atspi.Role.SPIN_BUTTON, Atspi.Role.RADIO_BUTTON}


def unnamed_inputs(app, everywhere=False):
    """Every input or button must have an accessible name: those on screen,
    or (everywhere) those of every page, scrolled out of view or not."""
    missing = []
    for acc in sdgui.walk(app.window):
        try:
            shown = (acc.get_state_set().contains(Atspi.StateType.VISIBLE) if everywhere
                     else sdgui.showing(acc))
            if acc.get_role() in INPUT_ROLES and shown and not acc.get_name():
                missing.append(acc.get_role_name())
        except sdgui.GLibError:
            continue
    return missing


def cli_message(address):
    """What sip-doctor-cli says about a bad address: the same parser."""
    cli = os.path.join(sdgui.build_root(), 'app', 'cli', 'sip-doctor-cli')
    if not os.path.exists(cli):
        return None
    r = subprocess.run([cli, address, '--json'], capture_output=True, text=True, timeout=30)
    return r.stderr.strip()


def shortcuts_window():
    """Ctrl+? shows the help overlay (ui/gtk/help-overlay.ui).

    A separate launch without fatal criticals: GTK 3.24.38's accessibility
    bridge touches a destroyed widget when a GtkShortcutsWindow that has
    been shown is destroyed with its window (backtrace: atk-bridge idle →
    libgtk → gtk_widget_get_parent; it happens with the window's own Close
    button too). Exactly that one critical is tolerated here, nothing else.
    """
    app = sdgui.App(env={'G_DEBUG': ''})
    try:
        app.key_combo('Control_L', 'question')
        overlay = wait_for(lambda: next((w for w in app._children(app.app)
                                         if w.get_role() == Atspi.Role.FRAME and w is not app.window
                                         and any(a.get_name() == 'Stop the running checks'
                                                 for a in sdgui.walk(w))), None),
                           10, 'the keyboard shortcuts window')
        check(overlay is not None, 'Ctrl+? opens the shortcuts window, listing Escape to stop the checks')
        app.screenshot('smoke-shortcuts.png', window_only=False)
        app.key('Escape')
        wait_for(lambda: not overlay.get_state_set().contains(Atspi.StateType.SHOWING), 5,
                 'Escape to close the shortcuts window')
        check(True, 'Escape closes the shortcuts window')
    finally:
        app.close(tolerate=["gtk_widget_get_parent: assertion 'GTK_IS_WIDGET (widget)' failed"])


def main():
    # A DNS "server" that never answers, so a check stays running long
    # enough to cancel it (once the dns step is built; see below).
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(('127.0.0.1', 0))
    silent_addr = f'127.0.0.1:{silent.getsockname()[1]}'

    html_path = os.path.join(sdgui.out_dir(), 'smoke-report.html')
    if os.path.exists(html_path):
        os.unlink(html_path)
    # A stale world-readable file in the way: the saved report replaces it
    # and must not keep its mode.
    fd = os.open(html_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.fchmod(fd, 0o644)
    os.write(fd, b'stale')
    os.close(fd)
    app = sdgui.App(env={'SD_TEST_SAVE_PATH': html_path})
    try:
        with open(f'/proc/{app.proc.pid}/limits', encoding='utf-8') as f:
            core = [line.split()[4:6] for line in f if line.startswith('Max core file size')]
        check(core == [['0', '0']], f'the wizard turns core files off, keeping the password out of them ({core})')
        check(app.current_page_title() == 'Account', 'the wizard opens on the Account page')
        address = app.entry('SIP address')
        check(address is not None, 'the SIP address field is found by its accessible name')
        nxt = app.button('Next')
        check(not sdgui.sensitive(nxt), 'Next is insensitive while the SIP address is empty')
        check(not unnamed_inputs(app), 'every input and button on the Account page has an accessible name')

        # Validation as you type, with the engine's own parser.
        app.set_text(address, 'alice@')
        msg = wait_for(lambda: next((t for t in app.texts() if 'domain' in t.lower() or 'expected' in t.lower()
                                     or 'form' in t.lower()), None), 5, 'the parser’s message under the field')
        check(not sdgui.sensitive(nxt), 'an invalid address keeps Next insensitive')
        cli = cli_message('alice@')
        if cli:
            check(msg in cli or cli.endswith(msg) or msg.split('.')[0] in cli,
                  f'the message shown is the parser’s own (“{msg}”)')
        app.screenshot('smoke-account-invalid.png')

        app.set_text(address, 'alice@example.test')
        wait_for(lambda: sdgui.sensitive(nxt), 5, 'Next to become sensitive for a valid address')
        check(any('example.test' in t for t in app.texts()), 'the hint names the domain to be checked')
        app.screenshot('smoke-account.png')

        app.key('Return')   # Enter in the address field moves on
        app.wait_title('Server')
        server = app.entry('Server')
        check(server is not None, 'the Server page shows its Server field')
        check(app.reveal('Check Everything', Atspi.Role.PUSH_BUTTON) is not None, 'the Server page offers Check Everything')
        check(not unnamed_inputs(app), 'every input and button on the Server page has an accessible name')
        app.screenshot('smoke-server.png')

        app.key_combo('Alt_L', 'Left')
        app.wait_title('Account')
        check(True, 'Alt+Left goes back')
        app.click(app.button('Next'))
        app.wait_title('Server')
        back = app.button('Back')
        app.click(back)
        app.wait_title('Account')
        check(app.get_text(app.entry('SIP address')) == 'alice@example.test', 'Back keeps what was typed')
        app.click(app.button('Next'))
        app.wait_title('Server')

        # A bad DNS server keeps Next insensitive with the reason shown.
        adv = app.find('Advanced', Atspi.Role.TOGGLE_BUTTON)
        if not adv.get_state_set().contains(Atspi.StateType.EXPANDED):
            app.click(adv)
        dns = app.entry('DNS server')
        app.set_text(dns, 'dns.example.test')
        wait_for(lambda: not sdgui.sensitive(app.button('Next')), 5, 'Next to become insensitive for a DNS server name')
        check(any('IP address' in t for t in app.texts()), 'the DNS server field says it needs an IP address')
        check(not unnamed_inputs(app, everywhere=True),
              'every input and button of every page (Advanced open) has an accessible name')
        app.set_text(dns, silent_addr)
        app.set_text(app.reveal('Timeout', Atspi.Role.SPIN_BUTTON), '30')
        wait_for(lambda: sdgui.sensitive(app.button('Next')), 5, 'Next to become sensitive again')
        app.screenshot('smoke-server-advanced.png')

        # Next runs the DNS page; Escape cancels a running check at once.
        app.click(app.button('Next'))
        app.wait_title('DNS')
        running = wait_for(lambda: app.find_all('Cancel', Atspi.Role.PUSH_BUTTON) or
                           sdgui.sensitive(app.button('Next')), 10, 'the DNS page to run')
        if app.find_all('Cancel', Atspi.Role.PUSH_BUTTON):
            app.screenshot('smoke-dns-running.png')
            started = time.monotonic()
            app.key('Escape')
            wait_for(lambda: not app.find_all('Cancel', Atspi.Role.PUSH_BUTTON), 3,
                     'Escape to stop the running check')
            wait_for(lambda: sdgui.sensitive(app.button('Next')), 3, 'Next after cancelling')
            check(time.monotonic() - started < 3, 'Escape cancels the running check at once (not at the 30 s timeout)')
            check(any('Cancelled' in t for t in app.texts()), 'the page says the check was cancelled')
        else:
            print('note: the dns step finished at once (not built yet?), so there was nothing to cancel')
        app.screenshot('smoke-dns.png')
        check(any(t in ('Automatic configuration (DNS)', 'SIP address') for t in app.texts()),
              'the DNS page lists its steps')

        # Check Everything, still against the silent DNS server (never the
        # machine's own resolver), with a short timeout: the run ends with
        # the DNS server's timeout as its finding.
        app.click(app.button('Back'))
        app.wait_title('Server')
        check(app.get_text(app.reveal('DNS server', Atspi.Role.TEXT)) == silent_addr, 'Back keeps the DNS server')
        app.set_text(app.reveal('Timeout', Atspi.Role.SPIN_BUTTON), '2')
        wait_for(lambda: sdgui.sensitive(app.reveal('Check Everything', Atspi.Role.PUSH_BUTTON)), 5,
                 'Check Everything to be sensitive')
        app.click(app.reveal('Check Everything', Atspi.Role.PUSH_BUTTON))
        app.wait_title('Summary')
        verdicts = ('Problems found', 'Signed in', 'Warnings', 'No problems found', 'No problems found so far',
                    'Stopped')
        verdict = wait_for(lambda: next((t for t in app.texts() if t in verdicts), None), 60, 'the Summary verdict')
        check(verdict == 'Problems found', f'a DNS server that never answers is a problem (“{verdict}”)')
        check(any(t == 'Code: dns.server-timeout' for t in app.label_texts_all()),
              'the Summary lists dns.server-timeout with its advice')
        app.screenshot('smoke-summary.png')
        app.click(app.button('Copy Summary'))
        wait_for(lambda: 'The summary is on the clipboard.' in app.texts(), 5, 'Copy Summary to confirm')
        check(True, 'Copy Summary puts the line on the clipboard and says so')

        app.click(app.button('Copy Full Report'))
        wait_for(lambda: 'The full report is on the clipboard, as text.' in app.texts(), 5,
                 'Copy Full Report to confirm')
        check(True, 'Copy Full Report puts the text report on the clipboard and says so')
        app.click(app.button('Save Report…'))
        wait_for(lambda: any(t.startswith('Report saved to') for t in app.texts()), 20, 'the report to be saved')
        html = open(html_path, encoding='utf-8').read()
        check(html.lstrip().lower().startswith('<!doctype html') and 'dns.server-timeout' in html,
              'Save Report… writes an HTML report (by the file name) with the finding in it')
        mode = os.stat(html_path).st_mode & 0o7777
        check(mode == 0o600, f'the saved report is private to the user (mode {mode:04o}), as the CLI writes it')

        # Run Again, and Escape while it runs: the Summary says it stopped.
        app.click(app.button('Run Again'))
        wait_for(lambda: app.running(), 5, 'Run Again to start the checks')
        app.key('Escape')
        wait_for(lambda: 'Stopped' in app.texts(), 5, 'the Summary to say the checks stopped')
        check(True, 'Escape on the Summary stops Run Again, and the verdict says so')
        app.screenshot('smoke-summary-stopped.png')
        app.click(app.button('Run Again'))
        wait_for(lambda: 'Problems found' in app.texts(), 30, 'the verdict after Run Again')
        check(True, 'Run Again runs every check again and shows the verdict')
        texts = app.texts()
        check(any('alice@example.test' in t for t in texts), 'the Summary shows the line to read out')
        check(app.button('Save Report…') is not None, 'the Summary offers Save Report…')
        check(not unnamed_inputs(app), 'every input and button on the Summary has an accessible name')
        app.screenshot('smoke-summary.png')

        # Quit with Ctrl+Q.
        app.key_combo('Control_L', 'q')
        try:
            app.proc.wait(10)
            check(app.proc.returncode == 0, 'Ctrl+Q quits cleanly')
        except subprocess.TimeoutExpired:
            raise sdgui.GuiError('Ctrl+Q did not quit')
    finally:
        app.close()
        silent.close()
    shortcuts_window()
    print('GUI smoke test passed')


if __name__ == '__main__':
    main()
