/* test-tls-trust.c: a run parses the trust store once, in a thread, and
 * only when it reaches the tls step; a cancel during the parse ends the run
 * with the thread finished (nothing left inside GnuTLS), and the run
 * again parses it then.
 *
 * Needs the lab (run through tools/lab-up --exec, which sets SD_LAB_*):
 * its DNS server and the TLS registrar it points at.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-tls-trust"

#include "sd-test-async.h"
#include "sd-tls-trust.h"

typedef struct {
  SdRun *run;
  SdTlsTrustLoader *loader;  /* the run's, kept past the run's end */
} Fixture;

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->run);
  g_clear_pointer (&f->loader, sd_tls_trust_loader_unref);
}

/* The run drops its loader when it ends: keep it to look at it then. */
static void
step_started_cb (SdRun *run, guint step, Fixture *f)
{
  SdTlsTrustLoader *loader = sd_run_get_context (run)->trust_loader;

  if (f->loader == NULL && loader != NULL)
    f->loader = sd_tls_trust_loader_ref (loader);
}

/* alice@example.test through the lab's DNS to its TLS registrar, trusting
 * the lab's CA; NULL in @f when the lab is not up. */
static void
make_run (Fixture *f, SdTransport transport)
{
  const char *dns = g_getenv ("SD_LAB_DNS");
  const char *ca_file = g_getenv ("SD_LAB_CA_FILE");
  g_autoptr(SdConfig) config = sd_config_new ();

  if (dns == NULL || ca_file == NULL)
    {
      g_test_skip ("the lab is not up (run through tools/lab-up --exec)");
      return;
    }
  config->address = g_strdup ("alice@example.test");
  config->dns_server = g_strdup (dns);
  config->ca_file = g_strdup (ca_file);
  config->transport = transport;
  config->timeout_s = 5;
  f->run = sd_run_new (config);
  g_signal_connect (f->run, "step-started", G_CALLBACK (step_started_cb), f);
}

static void
test_once_per_run (Fixture *f, gconstpointer data)
{
  SdContext *ctx;
  g_autoptr(GError) error = NULL;
  guint before = sd_tls_trust_get_n_loads ();

  make_run (f, SD_TRANSPORT_TLS);
  if (f->run == NULL)
    return;
  ctx = sd_run_get_context (f->run);

  /* The wizard's pages one by one: nothing to trust before the tls step. */
  sd_test_run_execute (f->run, SD_STEP_DNS, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_null (ctx->trust_loader);
  g_assert_cmpuint (sd_tls_trust_get_n_loads (), ==, before);

  sd_test_run_execute (f->run, SD_STEP_TLS, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sd_run_get_step_status (f->run, SD_STEP_TLS), ==, SD_STATUS_PASS);
  g_assert_cmpint (ctx->tls_outcome, ==, SD_TLS_OUTCOME_TRUSTED);
  g_assert_nonnull (f->loader);
  g_assert_true (sd_tls_trust_loader_is_done (f->loader));
  g_assert_nonnull (sd_tls_trust_loader_peek (f->loader));
  /* Not kept past the execution that needed it. */
  g_assert_null (ctx->trust_loader);
  g_assert_cmpuint (sd_tls_trust_get_n_loads (), ==, before + 1);

  /* Going on with the same run parses nothing again: the tls step is done. */
  sd_test_run_execute (f->run, SD_STEP_SIP, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sd_tls_trust_get_n_loads (), ==, before + 1);
}

static void
test_not_for_udp (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint before = sd_tls_trust_get_n_loads ();

  make_run (f, SD_TRANSPORT_UDP);
  if (f->run == NULL)
    return;
  sd_test_run_execute (f->run, SD_STEP_TLS, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sd_run_get_step_status (f->run, SD_STEP_TLS), ==, SD_STATUS_SKIP);
  g_assert_null (f->loader);
  g_assert_cmpuint (sd_tls_trust_get_n_loads (), ==, before);
}

static void
test_cancel_during_load (Fixture *f, gconstpointer data)
{
  SdContext *ctx;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  guint before = sd_tls_trust_get_n_loads ();
  gint64 took;

  make_run (f, SD_TRANSPORT_TLS);
  if (f->run == NULL)
    return;
  ctx = sd_run_get_context (f->run);

  /* 1 ms in: the parse (6 ms and more) has started or is about to. */
  took = sd_test_run_execute (f->run, SD_STEP_AUTH, cancellable, 1, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The run waits for the parse it started, never for anything longer
   * (the lab's answers, the 5 s timeout). */
  g_assert_cmpint (took, <, 1000);
  /* Its thread had finished when the run returned. */
  g_assert_nonnull (f->loader);
  g_assert_true (sd_tls_trust_loader_is_done (f->loader));
  g_assert_null (ctx->trust_loader);
  g_assert_cmpuint (sd_tls_trust_get_n_loads (), <=, before + 1);
  g_assert_true (sd_run_get_step_cancelled (f->run, SD_STEP_AUTH));
  sd_test_drain (100);

  /* Run again: it is checked with a trust store, parsed at most once more. */
  g_clear_error (&error);
  g_clear_pointer (&f->loader, sd_tls_trust_loader_unref);
  sd_test_run_execute (f->run, SD_STEP_TLS, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ctx->tls_outcome, ==, SD_TLS_OUTCOME_TRUSTED);
  g_assert_nonnull (f->loader);
  g_assert_nonnull (sd_tls_trust_loader_peek (f->loader));
  g_assert_cmpuint (sd_tls_trust_get_n_loads (), <=, before + 2);
  g_assert_cmpuint (sd_tls_trust_get_n_loads (), >=, before + 1);
}

/* The verification's own load (SdTlsVerifyInput.trust NULL) still works:
 * users that have no run parse the store themselves. */
static void
test_load_alone (void)
{
  guint before = sd_tls_trust_get_n_loads ();
  g_autoptr(SdTlsTrust) trust = sd_tls_trust_load (NULL);
  int n_system = -1, n_file = -1;
  guint n_crl = 1;

  sd_tls_trust_get_counts (trust, &n_system, &n_file, &n_crl);
  g_assert_cmpint (n_system, >, 0);
  g_assert_cmpint (n_file, ==, 0);
  g_assert_cmpuint (n_crl, ==, 0);
  g_assert_nonnull (sd_tls_trust_acquire (trust));
  sd_tls_trust_release (trust);
  g_assert_cmpuint (sd_tls_trust_get_n_loads (), ==, before + 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls/trust/load-alone", test_load_alone);
  g_test_add ("/tls/trust/once-per-run", Fixture, NULL, NULL, test_once_per_run, fixture_teardown);
  g_test_add ("/tls/trust/not-for-udp", Fixture, NULL, NULL, test_not_for_udp, fixture_teardown);
  g_test_add ("/tls/trust/cancel-during-load", Fixture, NULL, NULL, test_cancel_during_load, fixture_teardown);
  return g_test_run ();
}
