#!/usr/bin/python3
"""The DNS page with Lync autodiscover: the web requests beside the DNS
queries, against the lab's real lyncdiscover service.

The real sip-doctor under Xvfb, driven through AT-SPI: profile lync, the
lab's DNS server and CA file; the DNS page's Look-ups table must list the
lyncdiscover names, the HTTPS requests (URL, status, what the document
said, the web service's certificate) before the DNS queries, and the server
the Domain resource named first among the servers to try. Needs root (the
lyncdiscover service binds 443 and 80); exits 77 otherwise.

Screenshot: <builddir>/tests/gui/out/autodiscover-dns.png.
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
    import sdlab_lyncdiscover as lyd  # noqa: E402
except ImportError as e:
    print(f'skipping: the test lab is not available ({e})')
    sys.exit(77)

if os.geteuid() != 0:
    print('skipping: the lyncdiscover service needs ports 443 and 80 (root)')
    sys.exit(77)


def table_cells(app, name):
    """The texts of a list view's cells (a GtkTreeView over a list store is
    a TABLE to AT-SPI, not a TREE_TABLE)."""
    view = next((v for role in (Atspi.Role.TABLE, Atspi.Role.TREE_TABLE)
                 for v in app.find_all(name, role, visible=False)), None)
    check(view is not None, f'the table “{name}” is there')
    out = []
    for acc in sdgui.walk(view, max_depth=3):
        try:
            if acc.get_role() == Atspi.Role.TABLE_CELL and acc.get_name():
                out.append(acc.get_name())
        except Exception:  # noqa: BLE001 - a cell gone while read
            continue
    return out


def main():
    with sdlab.Lab(sip256=False, peers=False, sipp=False) as lab:
        port = lab.sip.tls_ports['good']
        web = lyd.Lyncdiscover(lab, {'ok': dict(domain='autodisc.test', https='root',
                                                servers=dict(external=('sipexternal.lync.test', port)))})
        dns = lab.dns_with(lambda z: web.zone(z, 'lyncdiscover.autodisc.test', 'ok'), name='dnsmasq-gui-lyd')
        app = sdgui.App(args=['alice@autodisc.test'])
        try:
            app.resize(1000, 800)
            profile = app.find('Client profile', Atspi.Role.COMBO_BOX)
            # generic, wm5, ocs, lync
            profile.get_selection_iface().select_child(3)
            app.click(app.button('Next'))
            app.wait_title('Server')
            adv = app.find('Advanced', Atspi.Role.TOGGLE_BUTTON)
            if not adv.get_state_set().contains(Atspi.StateType.EXPANDED):
                app.click(adv)
            app.set_text(app.reveal('CA file', Atspi.Role.TEXT), lab.pki.ca_file)
            app.set_text(app.reveal('DNS server', Atspi.Role.TEXT), dns.addr)
            wait_for(lambda: sdgui.sensitive(app.button('Next')), 10, 'the Server page to accept the settings')
            app.click(app.button('Next'))
            app.wait_title('DNS')
            app.wait_page_done()
            app.assert_alive()
            app.screenshot('autodiscover-dns.png')
            cells = table_cells(app, 'Look-ups')
            url = 'https://lyncdiscover.autodisc.test/?sipuri=alice@autodisc.test'
            check(url in cells, f'the Look-ups table lists the autodiscover request ({cells[:12]})')
            check('HTTPS' in cells, 'the request is shown as HTTPS')
            answer = next((c for c in cells if c.startswith('HTTP 200')), '')
            check('Domain →' in answer, f'the answer shows the Domain link ({answer!r})')
            check('Certificate CN=lyncdiscover.lync.test' in answer and 'trusted' in answer,
                  f'the answer shows the web service\'s certificate ({answer!r})')
            check('lyncdiscover.autodisc.test' in cells, 'the lyncdiscover name look-up is listed')
            check(cells.index(url) < cells.index('SRV'), 'the web requests come before the DNS queries')
            domain = next((c for c in cells if 'SipClientExternalAccess: sipexternal.lync.test:%d' % port in c), None)
            check(domain is not None, 'the Domain resource\'s server is shown')
            servers = table_cells(app, 'Servers a program would try')
            check('autodiscover SipClientExternalAccess' in servers,
                  f'the first server to try comes from autodiscover ({servers[:8]})')
            sources = [c for c in servers if c.split(' ')[0] in ('autodiscover', 'SRV', 'A', 'AAAA')]
            check(sources[0] == 'autodiscover SipClientExternalAccess',
                  f'autodiscover\'s server is the first to try ({sources})')
        finally:
            app.close()
    print('ok')


if __name__ == '__main__':
    main()
