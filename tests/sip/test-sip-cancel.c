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

#include "sd-test-async.h"

static void
cancel_then_rerun (const char *port_var, const char *transport)
{
  const char *port = sd_test_lab_port (port_var);
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SdRun) run = NULL;
  g_autoptr(GError) error = NULL;
  gint64 took_ms;

  if (port == NULL)
    return;
  config->address = g_strdup ("alice@example.test");
  config->server = g_strdup_printf ("127.0.0.1:%s", port);
  g_assert_true (sd_transport_from_string (transport, &config->transport));
  config->timeout_s = 3;
  sd_config_set_password (config, "Wonderland-42");
  run = sd_run_new (config);

  /* Cancel while the OPTIONS transaction waits (after its first retransmission on UDP). */
  took_ms = sd_test_run_execute (run, SD_STEP_AUTH, cancellable, 800, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (took_ms, <, 800 + 500);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_SIP), ==, SD_STATUS_SKIP);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_AUTH), ==, SD_STATUS_SKIP);
  g_assert_true (sd_run_get_step_cancelled (run, SD_STEP_SIP));
  g_assert_false (sd_run_has_finding (run, "sip.no-response"));
  g_assert_cmpuint (sd_trace_get_n_entries (sd_run_get_trace (run)), >, 0);
  /* Nothing queued may touch the finished steps (ASan would tell). */
  sd_test_drain (1500);
  g_clear_error (&error);

  /* Run again: the transaction times out as it should, bounded by the timeout. */
  took_ms = sd_test_run_execute (run, SD_STEP_AUTH, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_true (sd_run_has_finding (run, "sip.no-response"));
  g_assert_cmpint (took_ms, <, (3 + 2) * 1000);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_SIP), ==, SD_STATUS_FAIL);
  g_assert_false (sd_run_get_step_cancelled (run, SD_STEP_SIP));
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
