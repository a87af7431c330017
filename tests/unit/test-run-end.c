/* test-run-end.c: once a run has been through its last step, it closes
 * what only later steps could use (the TLS stream, the SIP session, the
 * HTTP client) and with them the references to the parsed trust store that
 * the SIP connection and the HTTP client hold: the wizard keeps a run as
 * long as it shows it. A run stopped earlier keeps them for the next
 * execution (the wizard's pages, one by one), and what it found stays.
 *
 * Needs the lab (run through tools/lab-up --exec, which sets SD_LAB_*):
 * its DNS server and the TLS registrar it points at.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-run-end"

#include "sd-test-async.h"
#include "sd-tls-trust.h"

/* alice@example.test over TLS through the lab's DNS, trusting the lab's
 * CA; NULL when the lab is not up. */
static SdRun *
make_run (void)
{
  const char *dns = g_getenv ("SD_LAB_DNS");
  const char *ca_file = g_getenv ("SD_LAB_CA_FILE");
  g_autoptr(SdConfig) config = sd_config_new ();

  if (dns == NULL || ca_file == NULL)
    {
      g_test_skip ("the lab is not up (run through tools/lab-up --exec)");
      return NULL;
    }
  config->address = g_strdup ("alice@example.test");
  config->dns_server = g_strdup (dns);
  config->ca_file = g_strdup (ca_file);
  config->transport = SD_TRANSPORT_TLS;
  config->timeout_s = 5;
  sd_config_set_password (config, "Wonderland-42");
  return sd_run_new (config);
}

static void
test_closed_after_last_step (void)
{
  g_autoptr(SdRun) run = make_run ();
  g_autoptr(GError) error = NULL;
  SdContext *ctx;
  SdStatus sip_status;
  guint n_findings;

  if (run == NULL)
    return;
  ctx = sd_run_get_context (run);

  /* The Sign-in page's way: up to the sip step, the auth step later. */
  sd_test_run_execute (run, SD_STEP_SIP, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ctx->tls_outcome, ==, SD_TLS_OUTCOME_TRUSTED);
  sip_status = sd_run_get_step_status (run, SD_STEP_SIP);
  g_assert_cmpint (sip_status, !=, SD_STATUS_PENDING);
  sd_test_drain (200);
  /* The auth step signs in on the sip step's session: still there. */
  g_assert_nonnull (ctx->sip_session);

  sd_test_run_execute (run, SD_STEP_AUTH, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_AUTH), !=, SD_STATUS_PENDING);
  n_findings = sd_run_get_findings (run)->len;
  g_assert_cmpuint (n_findings, >, 0);

  /* Closed from an idle, not inside the callback that ended the run. */
  sd_test_drain (200);
  g_assert_null (ctx->sip_session);
  g_assert_null (ctx->tls_stream);
  g_assert_null (ctx->connection);
  g_assert_null (ctx->http_client);
  g_assert_null (ctx->trust_loader);

  /* What the run found is unchanged. */
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_SIP), ==, sip_status);
  g_assert_cmpuint (sd_run_get_findings (run)->len, ==, n_findings);

  /* Another execution of a finished run has nothing to do and no
   * connection to miss. */
  sd_test_run_execute (run, SD_STEP_AUTH, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sd_run_get_findings (run)->len, ==, n_findings);
  sd_test_drain (100);
}

static void
test_kept_after_cancel (void)
{
  g_autoptr(SdRun) run = make_run ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  SdContext *ctx;

  if (run == NULL)
    return;
  ctx = sd_run_get_context (run);

  sd_test_run_execute (run, SD_STEP_SIP, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ctx->sip_session);

  /* Cancelled at once: the auth step has not run, and runs again next
   * time on the same session. */
  g_cancellable_cancel (cancellable);
  sd_test_run_execute (run, SD_STEP_AUTH, cancellable, 0, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (sd_run_get_step_cancelled (run, SD_STEP_AUTH));
  sd_test_drain (200);
  g_assert_nonnull (ctx->sip_session);

  sd_test_run_execute (run, SD_STEP_AUTH, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_false (sd_run_get_step_cancelled (run, SD_STEP_AUTH));
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_AUTH), !=, SD_STATUS_SKIP);
  sd_test_drain (200);
  g_assert_null (ctx->sip_session);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/run-end/closed-after-last-step", test_closed_after_last_step);
  g_test_add_func ("/run-end/kept-after-cancel", test_kept_after_cancel);
  return g_test_run ();
}
