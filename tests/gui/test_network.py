#!/usr/bin/python3
"""The Sign-in page's Network section, with the kernel's SIP ALG on the way.

Outside (root): the lab's PKI and the router namespaces of
../lab/sdlab_nat.py with the SIP ALG on; then the whole GUI run (Xvfb, the
session bus, the app and this driver) goes inside the LAN namespace, so the
app's SIP crosses the router as a phone's would. Inside (--drive): the
wizard is walked to the Sign-in page, whose Network section must say in
plain words "Your router changes SIP messages" with the evidence
(received= our own private address). Screenshot: out/network-sign-in.png.
Skipped (77) without root, namespaces, Xvfb or AT-SPI.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))


def drive(dns_server, ca_file, password_file):
    import sdgui
    from sdgui import Atspi, check, wait_for

    with open(password_file) as f:
        password = f.read()
    app = sdgui.App(args=['alice@example.test'])
    try:
        app.resize(860, 900)
        app.set_text(app.find('Password', Atspi.Role.PASSWORD_TEXT), password)
        app.click(app.button('Next'))
        app.wait_title('Server')
        adv = app.find('Advanced', Atspi.Role.TOGGLE_BUTTON)
        if not adv.get_state_set().contains(Atspi.StateType.EXPANDED):
            app.click(adv)
        app.set_text(app.reveal('CA file', Atspi.Role.TEXT), ca_file)
        app.set_text(app.reveal('DNS server', Atspi.Role.TEXT), dns_server)
        wait_for(lambda: sdgui.sensitive(app.button('Next')), 10, 'the Server page to accept the settings')
        for title in ('DNS', 'Connection', 'Sign-in'):
            app.click(app.button('Next'))
            app.wait_title(title)
            app.wait_page_done()
            app.assert_alive()
        labels = app.label_texts_all()
        text = '\n'.join(labels)
        app.screenshot('network-sign-in.png')
        check('Network' in labels, 'the Sign-in page has a Network section')
        check('Your router changes SIP messages.' in text,
              'the Network section says the router changes SIP messages; page text:\n' + text)
        check('received=10.77.0.2' in text, 'the Network section names the evidence (received=)')
        check('behind NAT' in text, 'the Network section says this computer is behind NAT')
    finally:
        app.close()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--drive':
        drive(*sys.argv[2:5])
        return 0
    import sdlab
    import sdlab_nat
    if not sdlab.have_cli():
        print('skipping: sip-doctor is not built')
        return 77
    why = sdlab_nat.available()
    if why is not None:
        print('skipping: ' + why)
        return 77
    for tool in ('Xvfb', 'dbus-run-session'):
        if sdlab.find_program(tool) is None:
            print('skipping: %s is not installed' % tool)
            return 77
    with sdlab.Lab(dns=False, sip=False, sip256=False, peers=False, sipp=False) as lab:
        net = sdlab_nat.RouterLab(lab)
        try:
            net.set_rules(alg=True)
            argv = net.lan.wrap([os.path.join(HERE, 'run-under-xvfb.sh'), '/usr/bin/python3',
                                 os.path.abspath(__file__), '--drive', net.dns_server,
                                 lab.pki.ca_file, lab.password_file('alice')])
            r = subprocess.run(argv, timeout=300)
            return r.returncode
        finally:
            net.close()


if __name__ == '__main__':
    sys.exit(main())
