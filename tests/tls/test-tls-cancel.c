/* test-tls-cancel.c: cancelling a run in the middle of the connect and tls
 * steps stops at once, touches nothing freed, and leaves the steps skipped.
 *
 * Needs the lab (run through tools/lab-up --exec, which sets SD_LAB_*):
 * a black-holed port (connect never completes) and a silent one (the TLS
 * handshake never completes).
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

/* Runs up to the tls step against 127.0.0.1:@port and cancels after
 * @cancel_ms; returns the run. */
static SdRun *
run_and_cancel (const char *port_var, const char *transport, guint cancel_ms, SdStepId busy_step)
{
  const char *port = g_getenv (port_var);
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Wait w = { g_main_loop_new (NULL, FALSE), NULL, FALSE };
  SdRun *run;
  gint64 start, cancelled_after;
  guint guard;

  if (port == NULL)
    {
      g_test_skip ("the lab is not up (run through tools/lab-up --exec)");
      g_main_loop_unref (w.loop);
      return NULL;
    }
  config->address = g_strdup ("alice@example.test");
  config->server = g_strdup_printf ("127.0.0.1:%s", port);
  g_assert_true (sd_transport_from_string (transport, &config->transport));
  config->timeout_s = 5;
  run = sd_run_new (config);

  start = g_get_monotonic_time ();
  sd_run_execute_async (run, SD_STEP_TLS, cancellable, done_cb, &w);
  g_timeout_add (cancel_ms, cancel_cb, cancellable);
  guard = g_timeout_add_seconds (20, guard_cb, w.loop);
  g_main_loop_run (w.loop);
  g_source_remove (guard);
  cancelled_after = (g_get_monotonic_time () - start) / 1000;

  g_assert_true (w.done);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Cancel stops everything at once: well before the 5 s timeout. */
  g_assert_cmpint (cancelled_after, <, cancel_ms + 1000);
  g_assert_cmpint (sd_run_get_step_status (run, busy_step), ==, SD_STATUS_SKIP);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_TLS), ==, SD_STATUS_SKIP);
  g_assert_null (sd_run_get_context (run)->tls_stream);
  g_assert_false (sd_run_get_context (run)->tls_trusted);

  /* Let anything still queued run: it must not touch the finished steps. */
  {
    GMainContext *ctx = g_main_context_default ();
    gint64 until = g_get_monotonic_time () + 300 * 1000;
    while (g_get_monotonic_time () < until)
      g_main_context_iteration (ctx, FALSE);
  }
  g_clear_error (&w.error);
  g_main_loop_unref (w.loop);
  return run;
}

static void
test_cancel_while_connecting (void)
{
  g_autoptr(SdRun) run = run_and_cancel ("SD_LAB_PEER_TCP_BLACKHOLE_PORT", "auto", 300, SD_STEP_CONNECT);
  (void) run;
}

static void
test_cancel_during_handshake (void)
{
  g_autoptr(SdRun) run = run_and_cancel ("SD_LAB_PEER_TCP_SILENT_PORT", "tls", 300, SD_STEP_TLS);

  if (run != NULL)
    g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_CONNECT), ==, SD_STATUS_PASS);
}

static void
test_run_again_after_cancel (void)
{
  /* The wizard's Back and Run again: a cancelled step runs again, fully. */
  g_autoptr(SdRun) run = run_and_cancel ("SD_LAB_PEER_TCP_SILENT_PORT", "tls", 200, SD_STEP_TLS);
  GMainLoop *loop;
  Wait w = { NULL, NULL, FALSE };

  if (run == NULL)
    return;
  loop = g_main_loop_new (NULL, FALSE);
  w.loop = loop;
  sd_run_execute_async (run, SD_STEP_TLS, NULL, done_cb, &w);
  g_main_loop_run (loop);
  g_assert_no_error (w.error);
  g_assert_true (sd_run_has_finding (run, "tls.handshake-failed"));
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_TLS), ==, SD_STATUS_FAIL);
  g_main_loop_unref (loop);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls/cancel/while-connecting", test_cancel_while_connecting);
  g_test_add_func ("/tls/cancel/during-handshake", test_cancel_during_handshake);
  g_test_add_func ("/tls/cancel/run-again", test_run_again_after_cancel);
  return g_test_run ();
}
