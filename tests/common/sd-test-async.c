/* sd-test-async.c: running a diagnosis run to its end in a test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-test"

#include "sd-test-async.h"

typedef struct {
  GMainLoop *loop;
  GError    *error;
  gboolean   done;
} Wait;

static void
done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  sd_run_execute_finish (SD_RUN (source), result, &w->error);
  w->done = TRUE;
  g_main_loop_quit (w->loop);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
guard_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

gint64
sd_test_run_execute (SdRun         *run,
                     SdStepId       last,
                     GCancellable  *cancellable,
                     guint          cancel_after_ms,
                     GError       **error)
{
  Wait w = { g_main_loop_new (NULL, FALSE), NULL, FALSE };
  g_autoptr(GSource) cancel = NULL;
  g_autoptr(GSource) guard = g_timeout_source_new_seconds (SD_TEST_HANG_GUARD_S);
  gint64 start;

  start = g_get_monotonic_time ();
  sd_run_execute_async (run, last, cancellable, done_cb, &w);
  if (cancel_after_ms > 0)
    {
      cancel = g_timeout_source_new (cancel_after_ms);
      g_source_set_callback (cancel, cancel_cb, g_object_ref (cancellable), g_object_unref);
      g_source_attach (cancel, NULL);
    }
  /* A source object: destroying it is safe whether or not it fired (a
   * hang), and the failure is then the assertion below, not a critical. */
  g_source_set_callback (guard, guard_cb, w.loop, NULL);
  g_source_attach (guard, NULL);
  g_main_loop_run (w.loop);
  g_source_destroy (guard);
  /* Finished before the cancel was due: it must not outlive the call. */
  if (cancel != NULL)
    g_source_destroy (cancel);
  g_main_loop_unref (w.loop);

  g_assert_true (w.done);
  if (w.error != NULL)
    g_propagate_error (error, w.error);
  return (g_get_monotonic_time () - start) / 1000;
}

static gboolean
expire_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
sd_test_wait_until (const gboolean *done)
{
  gboolean expired = FALSE;
  /* A source of its own, so the guard fires even when nothing else wakes
   * the loop (a hang is exactly that); each call has its own timeout. */
  guint guard = g_timeout_add_seconds (SD_TEST_HANG_GUARD_S, expire_cb, &expired);

  while (!*done && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (guard);
  g_assert_true (*done);
}

void
sd_test_drain (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
}

const char *
sd_test_lab_port (const char *port_var)
{
  const char *port = g_getenv (port_var);

  if (port == NULL)
    g_test_skip ("the lab is not up (run through tools/lab-up --exec)");
  return port;
}
