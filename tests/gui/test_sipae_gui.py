#!/usr/bin/python3
"""The wizard's Sign-in page after Microsoft sign-in (MS-SIPAE): each method
tried and its result, against the lab's MIT KDC and MS-SIPAE registrar
(NTLM checked by gss-ntlmssp). Screenshot: out/sipae-sign-in.png.

Run under tests/gui/run-under-xvfb.sh (meson test --suite gui gui-sipae).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'lab'))
import sdgui  # noqa: E402
from sdgui import Atspi, check, wait_for  # noqa: E402

try:
    import sdlab  # noqa: E402
    import sdlab_kdc  # noqa: E402
    import sdlab_sipae  # noqa: E402
except ImportError as e:
    print(f'skipping: the test lab is not available ({e})')
    sys.exit(77)

# test account (a fixture, not a secret)
ALICE_PW = 'Wonderland-42'


def walk_page(app, title, shot):
    app.click(app.button('Next'))
    app.wait_title(title)
    app.wait_page_done()
    app.assert_alive()
    app.screenshot(shot)


def main():
    if not (sdlab_sipae.have_gss_ntlmssp() and sdlab_sipae.have_python_gssapi() and sdlab_kdc.have_kdc()):
        print('skipping: gss-ntlmssp, python3-gssapi or the KDC tools are missing')
        sys.exit(77)
    with sdlab.Lab(dns=True, pki=True, sip=False, sip256=False, peers=False, sipp=False) as lab:
        kdc = sdlab_kdc.Kdc(lab, users={'alice': ALICE_PW}, services=['sip/' + sdlab_sipae.DEFAULT_FQDN])
        reg = sdlab_sipae.Registrar(lab, kdc=kdc, users={'alice': ALICE_PW, 'alice@lab.test': ALICE_PW})
        dns = lab.dns_with(lambda z: z.a(reg.fqdn), name='dnsmasq-sipae-gui')
        app = sdgui.App(args=['alice@example.test'],
                        env={'KRB5_CONFIG': kdc.krb5_conf,
                             'KRB5CCNAME': 'FILE:' + os.path.join(lab.dir, 'no-such-ccache')})
        try:
            app.resize(860, 900)
            app.set_text(app.entry('Sign-in name'), 'alice@lab.test')
            app.set_text(app.find('Password', Atspi.Role.PASSWORD_TEXT), ALICE_PW)
            app.click(app.button('Next'))
            app.wait_title('Server')
            app.set_text(app.entry('Server'), '%s:%d' % (reg.fqdn, reg.port('tls')))
            adv = app.find('Advanced', Atspi.Role.TOGGLE_BUTTON)
            if not adv.get_state_set().contains(Atspi.StateType.EXPANDED):
                app.click(adv)
            app.set_text(app.reveal('CA file', Atspi.Role.TEXT), lab.pki.ca_file)
            app.set_text(app.reveal('DNS server', Atspi.Role.TEXT), dns.addr)
            wait_for(lambda: sdgui.sensitive(app.button('Next')), 10, 'the Server page to accept the settings')
            walk_page(app, 'DNS', 'sipae-dns.png')
            walk_page(app, 'Connection', 'sipae-connection.png')
            walk_page(app, 'Sign-in', 'sipae-sign-in.png')
            text = '\n'.join(app.label_texts_all())
            check('Kerberos as alice@LAB.TEST: signed in' in text,
                  'the Sign-in page shows the Kerberos sign-in and its result')
            check('NTLM as alice@lab.test: signed in' in text,
                  'the Sign-in page shows the NTLM sign-in and its result')
            check(ALICE_PW not in text, 'the page never shows the password')
            check(text.index('Kerberos as') < text.index('NTLM as'),
                  'the methods are listed in the order they were tried (Kerberos, then NTLM)')
            ctx = [e for e in reg.entries() if e['step'] == 'context' and e['result'] == 'ok']
            check([e['scheme'] for e in ctx] == ['Kerberos', 'NTLM'],
                  'the registrar verified a Kerberos and an NTLM sign-in')
        finally:
            app.close()
    print('gui-sipae: all checks passed')


if __name__ == '__main__':
    main()
