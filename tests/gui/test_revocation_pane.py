#!/usr/bin/python3
"""The certificate pane's Revocation section and the AIA mark, in the
real wizard against real peers.

The revocation lab of tests/tls/test_revocation.py (a certtool PKI, the
web peers serving CRLs and the intermediate, OpenSSL's OCSP responder)
runs in a network namespace of its own (openssl ocsp binds every
interface), so this test re-runs itself, Xvfb and its session bus
included, under `unshare -n` (root only; a skip otherwise).

1. a revoked server certificate: the Connection page's pane says
   "Revoked", lists the CRL and OCSP answers, and the Summary lists
   tls.revoked;
2. a server that omits its intermediate, fetched through AIA: the chain's
   tree marks it, its details say where it came from, and its own
   revocation answer (not revoked, until when) is shown.

Screenshots: <builddir>/tests/gui/out/revocation-*.png.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INSIDE = 'SD_REVOCATION_GUI_NETNS'

if os.environ.get(INSIDE) != '1':
    if os.geteuid() != 0 or subprocess.run(['which', 'unshare'], capture_output=True).returncode != 0:
        print('skipping: a network namespace of its own needs root and unshare')
        sys.exit(77)
    os.environ[INSIDE] = '1'
    os.execvp('unshare', ['unshare', '-n', '--', os.path.join(HERE, 'run-under-xvfb.sh'), sys.executable,
                          os.path.abspath(__file__)] + sys.argv[1:])

subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True, timeout=10)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
sys.path.insert(0, os.path.join(HERE, '..', 'tls'))
import sdgui  # noqa: E402
from sdgui import Atspi, check, wait_for  # noqa: E402
import sdlab  # noqa: E402
import test_revocation as rev  # noqa: E402
from test_forged_certs import RecordingRegistrar  # noqa: E402


def run_against(app, leaf, first):
    c = rev.PKI.leaves[leaf]
    peer = RecordingRegistrar(c['chain'], c['key'])
    if first:
        app.click(app.button('Next'))
        app.wait_title('Server')
        adv = app.find('Advanced', Atspi.Role.TOGGLE_BUTTON)
        if not adv.get_state_set().contains(Atspi.StateType.EXPANDED):
            app.click(adv)
        app.set_text(app.reveal('CA file', Atspi.Role.TEXT), rev.PKI.ca_file)
        app.set_text(app.reveal('DNS server', Atspi.Role.TEXT), rev.LAB.dns_server)
        transport = app.find('Transport', Atspi.Role.COMBO_BOX)
        transport.get_selection_iface().select_child(1)   # TLS
    else:
        for title in ('DNS', 'Server'):
            app.click(app.button('Back'))
            app.wait_title(title)
    app.set_text(app.entry('Server'), 'sip.example.test:%d' % peer.port)
    time.sleep(0.3)
    for title in ('DNS', 'Connection'):
        app.click(app.button('Next'))
        app.wait_title(title)
    app.wait_page_done()
    return peer


def main():
    if not sdlab.have_cli():
        print('skipping: sip-doctor-cli is not built')
        sys.exit(77)
    rev.setUpModule()
    app = None
    try:
        app = sdgui.App(args=['alice@example.test'])
        app.resize(900, 790)

        # ---- 1. revoked -------------------------------------------------------
        peer = run_against(app, 'revoked', True)
        text = '\n'.join(app.label_texts_all())
        check('Revocation' in text, 'the certificate pane has a Revocation section')
        check('Revoked: clients refuse this server' in text, 'the pane says the certificate is revoked')
        check('inter.crl' in text and ' — revoked' in text,
              'the pane says where it looked (the CRL) and what that answered')
        check('OCSP' in text, 'the pane lists the OCSP responder asked')
        app.reveal('Export Certificate…', Atspi.Role.PUSH_BUTTON)
        app.screenshot('revocation-1-revoked.png')
        check(not peer.authorizations(), 'no credentials went to the revoked server')
        peer.close()

        # ---- 2. the intermediate fetched through AIA --------------------------
        peer = run_against(app, 'aia', False)
        tree = app.find('Certificate chain', Atspi.Role.TREE_TABLE, visible=False)
        cells = app.cells('Certificate chain')
        text = '\n'.join(app.label_texts_all())
        check(any('Fetched (AIA): ' in c for c in cells),
              'the chain marks the intermediate fetched through AIA (%s)' % cells)
        check('Not revoked' in text, 'the leaf\'s revocation answer is shown')
        check('Answer valid until' in text, 'the pane says until when the answer holds')
        app.reveal('Export Certificate…', Atspi.Role.PUSH_BUTTON)
        app.screenshot('revocation-2-aia-leaf.png')
        # Select the fetched intermediate in the tree, as a person would.
        for i in range(tree.get_child_count()):
            cell = tree.get_child_at_index(i)
            if cell is not None and 'Fetched (AIA): ' in (cell.get_name() or ''):
                tree.get_selection_iface().select_child(i)
                break
        wait_for(lambda: any('Not sent by the server: fetched from' in t for t in app.label_texts_all()), 10,
                 'the fetched intermediate\'s details')
        app.screenshot('revocation-3-aia-intermediate.png')
        peer.close()
        app.key_combo('Control_L', 'q')
        app.proc.wait(20)
    finally:
        if app is not None:
            app.close()
        rev.tearDownModule()


if __name__ == '__main__':
    main()
