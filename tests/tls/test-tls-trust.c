/* test-tls-trust.c: a run reads the trust store once, in a thread, and
 * only when it reaches the tls step; a cancel during the load ends the run
 * with the thread finished (nothing left inside GnuTLS), and the run
 * again reads it then. The store is indexed by subject, never parsed whole
 * by GnuTLS during a run (whoever would ask it: this program's checks or
 * glib-networking), and the index holds exactly what GnuTLS's own system
 * trust holds.
 *
 * Needs the lab (run through tools/lab-up --exec, which sets SD_LAB_*):
 * its DNS server and the TLS registrar it points at.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-tls-trust"

#include <string.h>
#include "sd-test-async.h"
#include "sd-test-gnutls-count.h"
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

/* The whole sign-in over TLS (its own TLS connections for the network
 * probe included) never has GnuTLS parse the whole system store when the
 * store is indexed: no glib-networking default database, no second load. */
static void
test_no_whole_parse (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdTlsTrust) probe = sd_tls_trust_load (NULL);
  gint before;

  if (!sd_tls_trust_is_indexed (probe))
    {
      g_test_skip ("built without a system trust file to index (-Dsystem_trust_file=)");
      return;
    }
  make_run (f, SD_TRANSPORT_AUTO);
  if (f->run == NULL)
    return;
  before = sd_test_gnutls_whole_parses ();
  sd_test_run_execute (f->run, SD_STEP_AUTH, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sd_run_get_step_status (f->run, SD_STEP_TLS), ==, SD_STATUS_PASS);
  g_assert_cmpint (sd_run_get_context (f->run)->tls_outcome, ==, SD_TLS_OUTCOME_TRUSTED);
  g_assert_cmpint (sd_test_gnutls_whole_parses (), ==, before);
  g_assert_cmpint (sd_test_gnutls_whole_parses_on_main_loop (), ==, 0);
}

static GHashTable *
der_set_new (void)
{
  return g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, NULL);
}

/* The index holds the very certificates GnuTLS's own system trust holds:
 * a build that indexes another file than GnuTLS reads fails here (set
 * -Dsystem_trust_file to that file, or leave it empty). */
static void
test_index_is_gnutls_system_trust (void)
{
  g_autoptr(SdTlsTrust) trust = sd_tls_trust_load (NULL);
  g_autoptr(GPtrArray) indexed = NULL;
  g_autoptr(GHashTable) ours = der_set_new ();
  g_autoptr(GHashTable) theirs = der_set_new ();
  gnutls_x509_trust_list_t tl;
  gnutls_x509_trust_list_iter_t iter = NULL;
  gnutls_x509_crt_t crt;
  int n_system = -1;
  int n_gnutls;

  if (!sd_tls_trust_is_indexed (trust))
    {
      g_test_skip ("built without a system trust file to index (-Dsystem_trust_file=)");
      return;
    }
  indexed = sd_tls_trust_dup_indexed (trust);
  for (guint i = 0; i < indexed->len; i++)
    g_hash_table_add (ours, g_bytes_ref (indexed->pdata[i]));
  sd_tls_trust_get_counts (trust, &n_system, NULL, NULL);
  g_assert_cmpint (n_system, ==, (int) indexed->len);

  g_assert_cmpint (gnutls_x509_trust_list_init (&tl, 0), >=, 0);
  n_gnutls = gnutls_x509_trust_list_add_system_trust (tl, 0, 0);
  g_assert_cmpint (n_gnutls, >, 0);
  while (gnutls_x509_trust_list_iter_get_ca (tl, &iter, &crt) >= 0)
    {
      gnutls_datum_t d = { NULL, 0 };
      g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &d), >=, 0);
      g_hash_table_add (theirs, g_bytes_new (d.data, d.size));
      gnutls_free (d.data);
      gnutls_x509_crt_deinit (crt);
    }
  gnutls_x509_trust_list_iter_deinit (iter);
  gnutls_x509_trust_list_deinit (tl, 1);

  g_assert_cmpint (n_system, ==, n_gnutls);
  g_assert_cmpuint (g_hash_table_size (ours), ==, g_hash_table_size (theirs));
  {
    GHashTableIter i;
    gpointer der;
    g_hash_table_iter_init (&i, theirs);
    while (g_hash_table_iter_next (&i, &der, NULL))
      g_assert_true (g_hash_table_contains (ours, der));
  }
}

static gnutls_x509_crt_t
crt_from_bytes (GBytes *der)
{
  gnutls_x509_crt_t crt;
  gsize len;
  gnutls_datum_t d;

  d.data = (unsigned char *) g_bytes_get_data (der, &len);
  d.size = (unsigned int) len;
  g_assert_cmpint (gnutls_x509_crt_init (&crt), >=, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &d, GNUTLS_X509_FMT_DER), >=, 0);
  return crt;
}

static guint
count_cas (gnutls_x509_trust_list_t tl)
{
  gnutls_x509_trust_list_iter_t iter = NULL;
  gnutls_x509_crt_t crt;
  guint n = 0;

  while (gnutls_x509_trust_list_iter_get_ca (tl, &iter, &crt) >= 0)
    {
      gnutls_x509_crt_deinit (crt);
      n++;
    }
  gnutls_x509_trust_list_iter_deinit (iter);
  return n;
}

/* A list for a chain holds the authorities it names, and only those: a
 * system root verifies, the lab's own root (not in the system store)
 * does not, and does once the CA file holds it. */
static void
test_list_for_chain (void)
{
  const char *ca_file = g_getenv ("SD_LAB_CA_FILE");
  g_autoptr(SdTlsTrust) system = sd_tls_trust_load (NULL);
  g_autoptr(SdTlsTrust) with_file = NULL;
  g_autoptr(GPtrArray) indexed = NULL;
  g_autofree char *pem = NULL;
  gsize pem_len = 0;
  gnutls_datum_t d;
  gnutls_x509_crt_t root, lab;
  gnutls_x509_trust_list_t tl;
  unsigned status = 0;

  if (!sd_tls_trust_is_indexed (system))
    {
      g_test_skip ("built without a system trust file to index (-Dsystem_trust_file=)");
      return;
    }
  if (ca_file == NULL)
    {
      g_test_skip ("the lab is not up (run through tools/lab-up --exec)");
      return;
    }
  indexed = sd_tls_trust_dup_indexed (system);
  root = crt_from_bytes (indexed->pdata[indexed->len / 2]);

  tl = sd_tls_trust_acquire_for (system, &root, 1);
  g_assert_nonnull (tl);
  g_assert_cmpuint (count_cas (tl), >=, 1);
  g_assert_cmpuint (count_cas (tl), <=, 4);
  g_assert_cmpint (gnutls_x509_trust_list_verify_crt2 (tl, &root, 1, NULL, 0, 0, &status, NULL), >=, 0);
  g_assert_cmpuint (status, ==, 0);
  sd_tls_trust_release_list (system, tl);

  g_assert_true (g_file_get_contents (ca_file, &pem, &pem_len, NULL));
  d.data = (unsigned char *) pem;
  d.size = (unsigned int) pem_len;
  g_assert_cmpint (gnutls_x509_crt_init (&lab), >=, 0);
  g_assert_cmpint (gnutls_x509_crt_import (lab, &d, GNUTLS_X509_FMT_PEM), >=, 0);

  tl = sd_tls_trust_acquire_for (system, &lab, 1);
  g_assert_nonnull (tl);
  g_assert_cmpuint (count_cas (tl), ==, 0);
  g_assert_cmpint (gnutls_x509_trust_list_verify_crt2 (tl, &lab, 1, NULL, 0, 0, &status, NULL), >=, 0);
  g_assert_cmpuint (status, !=, 0);
  sd_tls_trust_release_list (system, tl);

  with_file = sd_tls_trust_load (ca_file);
  tl = sd_tls_trust_acquire_for (with_file, &lab, 1);
  g_assert_nonnull (tl);
  g_assert_cmpuint (count_cas (tl), ==, 1);
  g_assert_cmpint (gnutls_x509_trust_list_verify_crt2 (tl, &lab, 1, NULL, 0, 0, &status, NULL), >=, 0);
  g_assert_cmpuint (status, ==, 0);
  sd_tls_trust_release_list (with_file, tl);

  gnutls_x509_crt_deinit (root);
  gnutls_x509_crt_deinit (lab);
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
  {
    gnutls_x509_trust_list_t tl = sd_tls_trust_acquire_for (trust, NULL, 0);
    g_assert_nonnull (tl);
    sd_tls_trust_release_list (trust, tl);
  }
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
  g_test_add ("/tls/trust/no-whole-parse", Fixture, NULL, NULL, test_no_whole_parse, fixture_teardown);
  g_test_add_func ("/tls/trust/index-is-gnutls-system-trust", test_index_is_gnutls_system_trust);
  g_test_add_func ("/tls/trust/list-for-chain", test_list_for_chain);
  return g_test_run ();
}
