/* test-sip-cancel.c: cancelling a run while a SIP transaction waits stops
 * at once (UDP retransmissions and a TCP read alike), touches nothing
 * freed, and the step runs again fully afterwards (the wizard's Back and
 * Run again).
 *
 * Needs the lab (run through tools/lab-up --exec, which sets SD_LAB_*).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sipdoctor.h"

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

static void
drain (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
}

static void
cancel_then_rerun (const char *port_var, const char *transport)
{
  const char *port = g_getenv (port_var);
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SdRun) run = NULL;
  Wait w = { NULL, NULL, FALSE };
  gint64 start, took_ms;
  guint guard;

  if (port == NULL)
    {
      g_test_skip ("the lab is not up (run through tools/lab-up --exec)");
      return;
    }
  w.loop = g_main_loop_new (NULL, FALSE);
  config->address = g_strdup ("alice@example.test");
  config->server = g_strdup_printf ("127.0.0.1:%s", port);
  g_assert_true (sd_transport_from_string (transport, &config->transport));
  config->timeout_s = 3;
  sd_config_set_password (config, "Wonderland-42");
  run = sd_run_new (config);

  /* Cancel while the OPTIONS transaction waits (after its first retransmission on UDP). */
  start = g_get_monotonic_time ();
  sd_run_execute_async (run, SD_STEP_AUTH, cancellable, done_cb, &w);
  g_timeout_add (800, cancel_cb, cancellable);
  guard = g_timeout_add_seconds (20, guard_cb, w.loop);
  g_main_loop_run (w.loop);
  g_source_remove (guard);
  took_ms = (g_get_monotonic_time () - start) / 1000;

  g_assert_true (w.done);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (took_ms, <, 800 + 500);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_SIP), ==, SD_STATUS_SKIP);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_AUTH), ==, SD_STATUS_SKIP);
  g_assert_false (sd_run_has_finding (run, "sip.no-response"));
  g_assert_cmpuint (sd_trace_get_n_entries (sd_run_get_trace (run)), >, 0);
  /* Nothing queued may touch the finished steps (ASan would tell). */
  drain (1500);
  g_clear_error (&w.error);

  /* Run again: the transaction times out as it should, bounded by the timeout. */
  w.done = FALSE;
  start = g_get_monotonic_time ();
  sd_run_execute_async (run, SD_STEP_AUTH, NULL, done_cb, &w);
  guard = g_timeout_add_seconds (20, guard_cb, w.loop);
  g_main_loop_run (w.loop);
  g_source_remove (guard);
  took_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_true (w.done);
  g_assert_no_error (w.error);
  g_assert_true (sd_run_has_finding (run, "sip.no-response"));
  g_assert_cmpint (took_ms, <, (3 + 2) * 1000);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_SIP), ==, SD_STATUS_FAIL);
  g_main_loop_unref (w.loop);
}

static void
test_cancel_udp (void)
{
  cancel_then_rerun ("SD_LAB_PEER_SIP_SILENT_UDP_PORT", "udp");
}

static void
test_cancel_tcp (void)
{
  cancel_then_rerun ("SD_LAB_PEER_TCP_SILENT_PORT", "tcp");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip/cancel/udp-retransmitting", test_cancel_udp);
  g_test_add_func ("/sip/cancel/tcp-reading", test_cancel_tcp);
  return g_test_run ();
}
