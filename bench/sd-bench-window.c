/* sd-bench-window.c: time from exec to the first window being mapped.
 *
 * Watches the X root window for a MapNotify of a new top-level window,
 * starts the command, and prints the milliseconds from fork to the map and
 * the command's resident memory then (and after --settle seconds). The
 * command is stopped with SIGTERM afterwards. A benchmark: it asserts
 * nothing. Run it under Xvfb (tests/gui/run-under-xvfb.sh):
 *
 *   sd-bench-window [--settle S] -- _build/app/gui/sip-doctor
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-bench-window"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <poll.h>
#include <X11/Xlib.h>
#include <glib.h>

static long
rss_kib (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  line = strstr (text, "\nVmRSS:");
  return line != NULL ? strtol (line + 7, NULL, 10) : -1;
}

int
main (int argc, char **argv)
{
  double settle = 0;
  int first = 1;
  Display *dpy;
  gint64 start, mapped = -1;
  pid_t pid;

  if (argc > 2 && strcmp (argv[1], "--settle") == 0)
    {
      settle = g_ascii_strtod (argv[2], NULL);
      first = 3;
    }
  if (first < argc && strcmp (argv[first], "--") == 0)
    first++;
  if (first >= argc)
    {
      fprintf (stderr, "usage: sd-bench-window [--settle S] -- COMMAND [ARG…]\n");
      return 2;
    }
  dpy = XOpenDisplay (NULL);
  if (dpy == NULL)
    {
      fprintf (stderr, "sd-bench-window: no X display\n");
      return 2;
    }
  XSelectInput (dpy, DefaultRootWindow (dpy), SubstructureNotifyMask);
  XSync (dpy, False);

  start = g_get_monotonic_time ();
  pid = fork ();
  if (pid == 0)
    {
      execvp (argv[first], argv + first);
      _exit (127);
    }
  /* Bounded: 30 s for a window to appear. */
  while (mapped < 0 && g_get_monotonic_time () - start < 30 * G_USEC_PER_SEC)
    {
      struct pollfd pfd = { ConnectionNumber (dpy), POLLIN, 0 };

      if (XPending (dpy) == 0 && poll (&pfd, 1, 100) <= 0)
        {
          if (waitpid (pid, NULL, WNOHANG) == pid)
            break;
          continue;
        }
      while (XPending (dpy) > 0)
        {
          XEvent ev;

          XNextEvent (dpy, &ev);
          if (ev.type == MapNotify && !ev.xmap.override_redirect && mapped < 0)
            mapped = g_get_monotonic_time ();
        }
    }
  if (mapped < 0)
    {
      fprintf (stderr, "sd-bench-window: no window within 30 s\n");
      kill (pid, SIGTERM);
      waitpid (pid, NULL, 0);
      return 1;
    }
  printf ("mapped_ms %.1f rss_at_map_kib %ld", (mapped - start) / 1000.0, rss_kib (pid));
  if (settle > 0)
    {
      g_usleep ((gulong) (settle * G_USEC_PER_SEC));
      printf (" rss_settled_kib %ld", rss_kib (pid));
    }
  printf ("\n");
  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
  XCloseDisplay (dpy);
  return 0;
}
