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

#include "sd-test-async.h"

/* A run against the lab, cancelled in the middle; torn down after each test. */
typedef struct {
  SdRun *run;
} Fixture;

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->run);
}

/* Runs up to the tls step against 127.0.0.1:$@port_var and cancels after
 * @cancel_ms, while @busy_step works; leaves the run in @f (NULL when the
 * lab is not up). */
static void
run_and_cancel (Fixture *f, const char *port_var, const char *transport, guint cancel_ms, SdStepId busy_step)
{
  const char *port = sd_test_lab_port (port_var);
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 cancelled_after;

  if (port == NULL)
    return;
  config->address = g_strdup ("alice@example.test");
  config->server = g_strdup_printf ("127.0.0.1:%s", port);
  g_assert_true (sd_transport_from_string (transport, &config->transport));
  config->timeout_s = 5;
  f->run = sd_run_new (config);

  cancelled_after = sd_test_run_execute (f->run, SD_STEP_TLS, cancellable, cancel_ms, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Cancel stops everything at once: well before the 5 s timeout. */
  g_assert_cmpint (cancelled_after, <, cancel_ms + 1000);
  g_assert_cmpint (sd_run_get_step_status (f->run, busy_step), ==, SD_STATUS_SKIP);
  g_assert_cmpint (sd_run_get_step_status (f->run, SD_STEP_TLS), ==, SD_STATUS_SKIP);
  g_assert_true (sd_run_get_step_cancelled (f->run, SD_STEP_TLS));
  g_assert_null (sd_run_get_context (f->run)->tls_stream);
  g_assert_false (sd_run_get_context (f->run)->tls_trusted);

  /* Let anything still queued run: it must not touch the finished steps. */
  sd_test_drain (300);
}

static void
test_cancel_while_connecting (Fixture *f, gconstpointer data)
{
  run_and_cancel (f, "SD_LAB_PEER_TCP_BLACKHOLE_PORT", "auto", 300, SD_STEP_CONNECT);
}

static void
test_cancel_during_handshake (Fixture *f, gconstpointer data)
{
  run_and_cancel (f, "SD_LAB_PEER_TCP_SILENT_PORT", "tls", 300, SD_STEP_TLS);
  if (f->run != NULL)
    g_assert_cmpint (sd_run_get_step_status (f->run, SD_STEP_CONNECT), ==, SD_STATUS_PASS);
}

static void
test_run_again_after_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  /* The wizard's Back and Run again: a cancelled step runs again, fully. */
  run_and_cancel (f, "SD_LAB_PEER_TCP_SILENT_PORT", "tls", 200, SD_STEP_TLS);
  if (f->run == NULL)
    return;
  sd_test_run_execute (f->run, SD_STEP_TLS, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_true (sd_run_has_finding (f->run, "tls.handshake-failed"));
  g_assert_cmpint (sd_run_get_step_status (f->run, SD_STEP_TLS), ==, SD_STATUS_FAIL);
  g_assert_false (sd_run_get_step_cancelled (f->run, SD_STEP_TLS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/tls/cancel/while-connecting", Fixture, NULL, NULL, test_cancel_while_connecting,
              fixture_teardown);
  g_test_add ("/tls/cancel/during-handshake", Fixture, NULL, NULL, test_cancel_during_handshake,
              fixture_teardown);
  g_test_add ("/tls/cancel/run-again", Fixture, NULL, NULL, test_run_again_after_cancel,
              fixture_teardown);
  return g_test_run ();
}
