"""Drive the real sip-doctor window through AT-SPI (gi.repository.Atspi).

Used by the GUI tests, which run under run-under-xvfb.sh (own X server and
session bus).  Everything is found by accessible name and role, exactly as
a screen reader would: if a test cannot find "SIP address", neither can a
blind user.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

try:
    import gi
    gi.require_version('Atspi', '2.0')
    gi.require_version('Gdk', '3.0')
    from gi.repository import Atspi  # noqa: E402
except (ImportError, ValueError) as e:
    print(f'skipping: AT-SPI from Python is not available ({e}); '
          'apt-get install python3-gi gir1.2-atspi-2.0 at-spi2-core')
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))


class GuiError(AssertionError):
    pass


def build_root():
    return os.environ.get('MESON_BUILD_ROOT') or os.path.join(SOURCE_ROOT, '_build')


def out_dir():
    d = os.environ.get('SD_GUI_OUT') or os.path.join(build_root(), 'tests', 'gui', 'out')
    os.makedirs(d, exist_ok=True)
    return d


def wait_for(predicate, timeout=10.0, what='condition', interval=0.05):
    """Polls @predicate until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except GLibError as e:  # the tree changes under us; try again
            last_exc = e
        time.sleep(interval)
    raise GuiError(f'timed out after {timeout:.0f} s waiting for {what}'
                   + (f' (last error: {last_exc})' if last_exc else ''))


try:
    from gi.repository import GLib
    GLibError = GLib.Error
except Exception:  # pragma: no cover
    GLibError = Exception


def showing(acc):
    try:
        return acc.get_state_set().contains(Atspi.StateType.SHOWING)
    except GLibError:
        return False


def sensitive(acc):
    return acc.get_state_set().contains(Atspi.StateType.SENSITIVE)


def walk(acc, depth=0, max_depth=60):
    if acc is None or depth > max_depth:
        return
    yield acc
    try:
        n = acc.get_child_count()
    except GLibError:
        return
    for i in range(n):
        try:
            child = acc.get_child_at_index(i)
        except GLibError:
            continue
        yield from walk(child, depth + 1, max_depth)


class App:
    """The running sip-doctor, started with a clean environment."""

    def __init__(self, args=(), env=None, name='sip-doctor'):
        Atspi.init()
        self.exe = os.environ.get('SD_GUI') or os.path.join(build_root(), 'tests', 'gui', 'sip-doctor-test')
        e = dict(os.environ)
        e['GSETTINGS_SCHEMA_DIR'] = os.path.join(build_root(), 'data')
        e.setdefault('GSETTINGS_BACKEND', 'memory')
        e['G_DEBUG'] = 'fatal-criticals'
        e['GTK_THEME'] = e.get('SD_TEST_THEME', 'Adwaita')
        e.pop('NO_AT_BRIDGE', None)
        if env:
            e.update(env)
        self.log_path = os.path.join(out_dir(), f'{name}-{os.getpid()}.log')
        self.log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen([self.exe, *args], env=e, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.name = name
        self.app = wait_for(self._find_app, 20, 'the sip-doctor window on the accessibility bus')
        self.window = wait_for(lambda: next((c for c in self._children(self.app)
                                             if c.get_role() == Atspi.Role.FRAME), None),
                               10, 'the main window')

    @staticmethod
    def _children(acc):
        return [acc.get_child_at_index(i) for i in range(acc.get_child_count())]

    def _find_app(self):
        if self.proc.poll() is not None:
            raise GuiError(f'sip-doctor exited with {self.proc.returncode}; log: {self.log_path}\n'
                           + open(self.log_path, errors='replace').read()[-3000:])
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            a = desktop.get_child_at_index(i)
            try:
                if a is not None and a.get_process_id() == self.proc.pid:
                    return a
            except GLibError:
                continue
        return None

    def resize(self, width, height):
        """Resizes the window (for screenshots that show a whole page)."""
        comp = self.window.get_component_iface()
        comp.set_size(width, height)
        wait_for(lambda: comp.get_size().x == width, 5, f'the window to be {width} wide')
        time.sleep(0.3)

    # -- finding things ---------------------------------------------------
    def find_all(self, name=None, role=None, visible=True, root=None):
        out = []
        for acc in walk(root or self.window):
            try:
                if name is not None and acc.get_name() != name:
                    continue
                if role is not None and acc.get_role() != role:
                    continue
                if visible and not showing(acc):
                    continue
            except GLibError:
                continue
            out.append(acc)
        return out

    def find(self, name, role=None, timeout=10, visible=True):
        return wait_for(lambda: next(iter(self.find_all(name, role, visible)), None),
                        timeout, f'“{name}” ({role.value_nick if role else "any role"})')

    def button(self, name, timeout=10):
        return self.find(name, Atspi.Role.PUSH_BUTTON, timeout)

    def entry(self, name, timeout=10):
        return self.find(name, Atspi.Role.TEXT, timeout)

    def texts(self, root=None):
        """Every visible label's text, for asserting what the page says."""
        out = []
        for acc in walk(root or self.window):
            try:
                if acc.get_role() == Atspi.Role.LABEL and showing(acc):
                    out.append(acc.get_name())
            except GLibError:
                continue
        return out

    def cells(self, table_name):
        """The texts of a tree view's cells (found by the view's accessible name)."""
        view = self.find(table_name, Atspi.Role.TREE_TABLE, visible=False)
        out = []
        for acc in walk(view, max_depth=3):
            try:
                if acc.get_role() in (Atspi.Role.TABLE_CELL,) and acc.get_name():
                    out.append(acc.get_name())
            except GLibError:
                continue
        return out

    def running(self):
        return bool(self.find_all('Cancel', Atspi.Role.PUSH_BUTTON))

    def wait_page_done(self, timeout=90):
        """Until the page's checks have finished (no Cancel shown)."""
        time.sleep(0.3)
        wait_for(lambda: not self.running(), timeout, 'the checks on this page to finish')
        time.sleep(0.3)

    def label_texts_all(self):
        """Every label's text on the current page, scrolled into view or not."""
        out = []
        for acc in walk(self.window):
            try:
                if acc.get_role() == Atspi.Role.LABEL and acc.get_state_set().contains(Atspi.StateType.VISIBLE):
                    out.append(acc.get_name())
            except GLibError:
                continue
        return out

    def page_text(self):
        return '\n'.join(self.texts())

    def title(self):
        return self.window.get_name()

    # -- acting -------------------------------------------------------------
    def set_text(self, acc, text):
        et = acc.get_editable_text_iface()
        if et is None:
            raise GuiError(f'{acc.get_name()} is not editable')
        et.set_text_contents(text)

    def get_text(self, acc):
        t = acc.get_text_iface()
        return t.get_text(0, t.get_character_count())

    def reveal(self, name, role=None, timeout=10):
        """Finds a widget scrolled out of view, focuses it (the page scrolls
        to it, as for a keyboard user) and returns it once it shows."""
        acc = wait_for(lambda: next((a for a in self.find_all(name, role, visible=False)
                                     if a.get_state_set().contains(Atspi.StateType.VISIBLE)), None),
                       timeout, f'“{name}”')
        acc.get_component_iface().grab_focus()
        wait_for(lambda: showing(acc), timeout, f'“{name}” to scroll into view')
        return acc

    def click(self, acc):
        if not sensitive(acc):
            raise GuiError(f'“{acc.get_name()}” is not sensitive')
        action = acc.get_action_iface()
        for i in range(action.get_n_actions()):
            if action.get_action_name(i) in ('click', 'press', 'activate', 'toggle'):
                action.do_action(i)
                return
        action.do_action(0)

    def focus_window(self):
        """No window manager under Xvfb: X focus follows the pointer, so put
        the pointer inside the window before sending keys."""
        comp = self.window.get_component_iface()
        ext = comp.get_extents(Atspi.CoordType.SCREEN)
        Atspi.generate_mouse_event(ext.x + ext.width // 2, ext.y + 40, 'abs')
        time.sleep(0.2)

    def key(self, keysym_name):
        from gi.repository import Gdk
        self.focus_window()
        keyval = Gdk.keyval_from_name(keysym_name)
        Atspi.generate_keyboard_event(keyval, None, Atspi.KeySynthType.SYM)
        time.sleep(0.1)

    def key_combo(self, modifier, keysym_name):
        """Presses modifier (Control_L, Alt_L…) + key. Modifiers go by
        keycode: AT-SPI synthesizes only press-and-release by keysym."""
        from gi.repository import Gdk
        self.focus_window()
        code = {'Control_L': 37, 'Alt_L': 64, 'Shift_L': 50}[modifier]
        try:
            Gdk.init([])
            ok, keys = Gdk.Keymap.get_for_display(Gdk.Display.get_default()).get_entries_for_keyval(
                Gdk.keyval_from_name(modifier))
            if ok and keys:
                code = keys[0].keycode
        except Exception:
            pass
        Atspi.generate_keyboard_event(code, None, Atspi.KeySynthType.PRESS)
        Atspi.generate_keyboard_event(Gdk.keyval_from_name(keysym_name), None, Atspi.KeySynthType.SYM)
        Atspi.generate_keyboard_event(code, None, Atspi.KeySynthType.RELEASE)
        time.sleep(0.1)

    def screenshot(self, name, window_only=True):
        """Saves the screen, cropped to the window, into the build dir."""
        path = os.path.join(out_dir(), name)
        if shutil.which('import') is None:
            print(f'note: no screenshot {name}: imagemagick is not installed')
            return None
        time.sleep(0.4)   # let the page's transition and spinner settle
        cmd = ['import', '-window', 'root']
        if window_only:
            ext = self.window.get_component_iface().get_extents(Atspi.CoordType.SCREEN)
            if ext.width > 0 and ext.height > 0:
                cmd += ['-crop', f'{ext.width}x{ext.height}+{max(ext.x, 0)}+{max(ext.y, 0)}', '+repage']
        subprocess.run(cmd + [path], check=True, timeout=30)
        print(f'screenshot: {path}')
        return path

    def wait_title(self, title, timeout=10):
        return wait_for(lambda: self.current_page_title() == title,
                        timeout, f'the page “{title}” (now “{self.current_page_title()}”)')

    def current_page_title(self):
        """The header bar shows the page title and "Step N of 6" under it."""
        labels = self.texts()
        for i, t in enumerate(labels):
            if t.startswith('Step ') and ' of ' in t and i > 0:
                return labels[i - 1]
        return None

    # -- ending ---------------------------------------------------------------
    def close(self, tolerate=()):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()
        log = open(self.log_path, errors='replace').read()
        bad = [ln for ln in log.splitlines()
               if ('-CRITICAL' in ln or '-WARNING' in ln or 'Gtk-Message' in ln and 'Failed' in ln)
               and 'dbind-WARNING' not in ln and not any(t in ln for t in tolerate)]
        if bad:
            raise GuiError('GTK/GLib complained at run time:\n' + '\n'.join(bad[:20]))
        return log

    def assert_alive(self):
        if self.proc.poll() is not None:
            raise GuiError(f'sip-doctor died (status {self.proc.returncode}); log:\n'
                           + open(self.log_path, errors='replace').read()[-3000:])


def check(cond, message):
    if not cond:
        raise GuiError(message)
    print(f'ok: {message}')
