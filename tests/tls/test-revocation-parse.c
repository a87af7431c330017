/* test-revocation-parse.c: tables for what a certificate says about its
 * revocation and what a CRL, an OCSP answer or a caIssuers answer means
 * (sd-tls-revocation-parse.c). Fixtures: tests/tls/data/revocation, made by
 * its make-fixtures.sh (certtool, openssl ocsp in file mode).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-revocation-parse"

#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include "sd-tls-revocation-parse.h"
#include "sd-tls-revocation.h"
#include "sd-cert-info.h"

#define DAY (24 * 3600)

static gint64 created;

static GBytes *
fixture (const char *name)
{
  g_autofree char *path = g_build_filename (SD_REVOCATION_FIXTURES, name, NULL);
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &error))
    g_error ("%s: %s", path, error->message);
  return g_bytes_new_take (data, len);
}

static gnutls_x509_crt_t
load_crt (const char *name)
{
  g_autoptr(GBytes) b = fixture (name);
  gnutls_datum_t d = { (unsigned char *) g_bytes_get_data (b, NULL), (unsigned) g_bytes_get_size (b) };
  gnutls_x509_crt_t crt = NULL;

  g_assert_cmpint (gnutls_x509_crt_init (&crt), >=, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &d, GNUTLS_X509_FMT_PEM), >=, 0);
  return crt;
}

static void
test_points (void)
{
  static const struct {
    const char *cert;
    guint crl_http, crl_ldap, ocsp, ocsp_other, ca_issuers;
    const char *first_crl;
    gboolean none_fetchable;
  } cases[] = {
    { "leaf-good.pem", 1, 1, 1, 0, 1, "http://crl.fixture.test/inter.crl", FALSE },
    { "leaf-revoked.pem", 1, 0, 1, 0, 0, "http://crl.fixture.test/inter.crl", FALSE },
    { "leaf-noinfo.pem", 0, 0, 0, 0, 0, NULL, TRUE },
    { "leaf-ldap.pem", 0, 1, 0, 1, 0, NULL, TRUE },
    /* ten https points in the certificate: the first eight are kept */
    { "leaf-many.pem", SD_REVOCATION_MAX_URLS, 0, 0, 0, 0, "https://crl1.fixture.test/inter.crl", FALSE },
    { "root.pem", 0, 0, 0, 0, 0, NULL, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gnutls_x509_crt_t crt = load_crt (cases[i].cert);
      g_autoptr(SdRevocationPoints) p = sd_revocation_points_from_crt (crt);

      g_test_message ("%s", cases[i].cert);
      g_assert_cmpuint (g_strv_length (p->crl_http), ==, cases[i].crl_http);
      g_assert_cmpuint (g_strv_length (p->crl_ldap), ==, cases[i].crl_ldap);
      g_assert_cmpuint (g_strv_length (p->ocsp), ==, cases[i].ocsp);
      g_assert_cmpuint (g_strv_length (p->ocsp_other), ==, cases[i].ocsp_other);
      g_assert_cmpuint (g_strv_length (p->ca_issuers), ==, cases[i].ca_issuers);
      g_assert_cmpstr (p->crl_http[0], ==, cases[i].first_crl);
      g_assert_cmpint (sd_revocation_points_none_fetchable (p), ==, cases[i].none_fetchable);
      gnutls_x509_crt_deinit (crt);
    }
}

static void
test_crl (void)
{
  static const struct {
    const char *crl;        /* NULL: empty bytes */
    const char *cert;
    const char *issuer;     /* NULL: not known */
    gint64 now_offset;
    SdRevocationStatus status;
    const char *problem;    /* a word of the problem, or NULL for none */
  } cases[] = {
    { "inter.crl.der", "leaf-good.pem", "inter.pem", DAY, SD_REVOCATION_GOOD, NULL },
    { "inter.crl.pem", "leaf-good.pem", "inter.pem", DAY, SD_REVOCATION_GOOD, NULL },
    { "inter.crl.der", "leaf-revoked.pem", "inter.pem", DAY, SD_REVOCATION_REVOKED, NULL },
    { "inter.crl.pem", "leaf-revoked.pem", "inter.pem", DAY, SD_REVOCATION_REVOKED, NULL },
    { "inter.crl.der", "leaf-good.pem", NULL, DAY, SD_REVOCATION_INVALID, "issuer" },
    /* the issuer's name, another key */
    { "forged.crl.der", "leaf-good.pem", "inter.pem", DAY, SD_REVOCATION_INVALID, "signature" },
    { "forged.crl.der", "leaf-revoked.pem", "inter.pem", DAY, SD_REVOCATION_INVALID, "signature" },
    { "root.crl.der", "leaf-good.pem", "inter.pem", DAY, SD_REVOCATION_INVALID, "another authority" },
    { "inter.crl.der", "leaf-good.pem", "inter.pem", 4000 * (gint64) DAY, SD_REVOCATION_INVALID, "out of date" },
    { "inter.crl.der", "leaf-good.pem", "inter.pem", -DAY, SD_REVOCATION_INVALID, "future" },
    { "leaf-good.pem", "leaf-good.pem", "inter.pem", DAY, SD_REVOCATION_INVALID, "not a certificate revocation" },
    { "ocsp-good.der", "leaf-good.pem", "inter.pem", DAY, SD_REVOCATION_INVALID, "not a certificate revocation" },
    { NULL, "leaf-good.pem", "inter.pem", DAY, SD_REVOCATION_INVALID, "empty" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) crl = cases[i].crl != NULL ? fixture (cases[i].crl) : g_bytes_new (NULL, 0);
      gnutls_x509_crt_t crt = load_crt (cases[i].cert);
      gnutls_x509_crt_t issuer = cases[i].issuer != NULL ? load_crt (cases[i].issuer) : NULL;
      SdRevocationAnswer a;

      g_test_message ("%u: %s for %s", i, cases[i].crl, cases[i].cert);
      sd_revocation_check_crl (g_bytes_get_data (crl, NULL), g_bytes_get_size (crl), crt, issuer,
                               created + cases[i].now_offset, &a);
      g_assert_cmpstr (sd_revocation_status_to_string (a.status), ==,
                       sd_revocation_status_to_string (cases[i].status));
      if (cases[i].problem != NULL)
        {
          g_assert_nonnull (a.problem);
          g_assert_nonnull (strstr (a.problem, cases[i].problem));
        }
      else
        g_assert_null (a.problem);
      if (a.status == SD_REVOCATION_REVOKED)
        g_assert_cmpint (a.revoked_at, >, 0);
      if (a.status == SD_REVOCATION_GOOD)
        {
          g_assert_cmpint (a.this_update, >, 0);
          g_assert_cmpint (a.next_update, >, a.this_update);
          g_assert_nonnull (strstr (a.signer, "Fixture Intermediate CA"));
        }
      sd_revocation_answer_clear (&a);
      gnutls_x509_crt_deinit (crt);
      if (issuer != NULL)
        gnutls_x509_crt_deinit (issuer);
    }
}

static GBytes *
request_nonce (const char *name)
{
  g_autoptr(GBytes) b = fixture (name);
  gnutls_datum_t d = { (unsigned char *) g_bytes_get_data (b, NULL), (unsigned) g_bytes_get_size (b) };
  gnutls_datum_t n = { NULL, 0 };
  gnutls_ocsp_req_t req = NULL;
  unsigned critical = 0;
  GBytes *nonce;

  g_assert_cmpint (gnutls_ocsp_req_init (&req), >=, 0);
  g_assert_cmpint (gnutls_ocsp_req_import (req, &d), >=, 0);
  g_assert_cmpint (gnutls_ocsp_req_get_nonce (req, &critical, &n), >=, 0);
  nonce = g_bytes_new (n.data, n.size);
  gnutls_free (n.data);
  gnutls_ocsp_req_deinit (req);
  return nonce;
}

static void
test_ocsp (void)
{
  enum { NO_NONCE, RIGHT_NONCE, WRONG_NONCE };
  static const struct {
    const char *resp;
    const char *cert;
    const char *issuer;
    int nonce;
    gint64 now_offset;
    SdRevocationStatus status;
    const char *problem;
  } cases[] = {
    { "ocsp-good.der", "leaf-good.pem", "inter.pem", NO_NONCE, DAY, SD_REVOCATION_GOOD, NULL },
    { "ocsp-revoked.der", "leaf-revoked.pem", "inter.pem", NO_NONCE, DAY, SD_REVOCATION_REVOKED, NULL },
    /* signed by the issuer itself, not a delegated responder */
    { "ocsp-good-by-issuer.der", "leaf-good.pem", "inter.pem", NO_NONCE, DAY, SD_REVOCATION_GOOD, NULL },
    { "ocsp-good.der", "leaf-revoked.pem", "inter.pem", NO_NONCE, DAY, SD_REVOCATION_INVALID, "another certificate" },
    { "ocsp-forged.der", "leaf-good.pem", "inter.pem", NO_NONCE, DAY, SD_REVOCATION_INVALID, "OCSP answer" },
    { "ocsp-good.der", "leaf-good.pem", NULL, NO_NONCE, DAY, SD_REVOCATION_INVALID, "issuer" },
    { "ocsp-good-nonce.der", "leaf-good.pem", "inter.pem", RIGHT_NONCE, DAY, SD_REVOCATION_GOOD, NULL },
    { "ocsp-good-nonce.der", "leaf-good.pem", "inter.pem", WRONG_NONCE, DAY, SD_REVOCATION_INVALID, "nonce" },
    { "ocsp-good-nonce.der", "leaf-good.pem", "inter.pem", NO_NONCE, DAY, SD_REVOCATION_GOOD, NULL },
    /* a responder that echoes no nonce: accepted (pre-signed answers) */
    { "ocsp-good.der", "leaf-good.pem", "inter.pem", WRONG_NONCE, DAY, SD_REVOCATION_GOOD, NULL },
    { "ocsp-good.der", "leaf-good.pem", "inter.pem", NO_NONCE, 4000 * (gint64) DAY, SD_REVOCATION_INVALID,
      "out of date" },
    { "ocsp-good.der", "leaf-good.pem", "inter.pem", NO_NONCE, -DAY, SD_REVOCATION_INVALID, "future" },
    { "ocsp-unauthorized.der", "leaf-other.pem", "impostor.pem", NO_NONCE, DAY, SD_REVOCATION_INVALID, NULL },
    { "inter.crl.der", "leaf-good.pem", "inter.pem", NO_NONCE, DAY, SD_REVOCATION_INVALID, "not an OCSP" },
    { NULL, "leaf-good.pem", "inter.pem", NO_NONCE, DAY, SD_REVOCATION_INVALID, "empty" },
  };
  g_autoptr(GBytes) right = request_nonce ("ocsp-good-nonce.req.der");
  g_autoptr(GBytes) wrong = g_bytes_new_static ("0123456789abcdef", 16);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) resp = cases[i].resp != NULL ? fixture (cases[i].resp) : g_bytes_new (NULL, 0);
      gnutls_x509_crt_t crt = load_crt (cases[i].cert);
      gnutls_x509_crt_t issuer = cases[i].issuer != NULL ? load_crt (cases[i].issuer) : NULL;
      GBytes *nonce = cases[i].nonce == RIGHT_NONCE ? right : cases[i].nonce == WRONG_NONCE ? wrong : NULL;
      SdRevocationAnswer a;

      g_test_message ("%u: %s for %s", i, cases[i].resp, cases[i].cert);
      sd_revocation_check_ocsp (g_bytes_get_data (resp, NULL), g_bytes_get_size (resp), crt, issuer, nonce,
                                created + cases[i].now_offset, &a);
      g_assert_cmpstr (sd_revocation_status_to_string (a.status), ==,
                       sd_revocation_status_to_string (cases[i].status));
      if (cases[i].problem != NULL)
        {
          g_assert_nonnull (a.problem);
          g_assert_nonnull (strstr (a.problem, cases[i].problem));
        }
      if (a.status == SD_REVOCATION_GOOD)
        {
          g_assert_null (a.problem);
          g_assert_cmpint (a.next_update, >, a.this_update);
        }
      if (a.status == SD_REVOCATION_REVOKED)
        {
          g_assert_cmpstr (a.reason, ==, "keyCompromise");
          g_assert_cmpint (a.revoked_at, >, 0);
        }
      sd_revocation_answer_clear (&a);
      gnutls_x509_crt_deinit (crt);
      if (issuer != NULL)
        gnutls_x509_crt_deinit (issuer);
    }
}

static void
test_ocsp_request (void)
{
  gnutls_x509_crt_t crt = load_crt ("leaf-good.pem");
  gnutls_x509_crt_t issuer = load_crt ("inter.pem");
  g_autoptr(GBytes) nonce = NULL;
  g_autoptr(GBytes) req = sd_revocation_ocsp_request (crt, issuer, &nonce);
  gnutls_datum_t d;
  gnutls_datum_t n = { NULL, 0 };
  gnutls_ocsp_req_t parsed = NULL;
  unsigned critical = 0;

  g_assert_nonnull (req);
  g_assert_nonnull (nonce);
  g_assert_cmpuint (g_bytes_get_size (nonce), >=, 16);
  d.data = (unsigned char *) g_bytes_get_data (req, NULL);
  d.size = g_bytes_get_size (req);
  g_assert_cmpint (gnutls_ocsp_req_init (&parsed), >=, 0);
  g_assert_cmpint (gnutls_ocsp_req_import (parsed, &d), >=, 0);
  g_assert_cmpint (gnutls_ocsp_req_get_nonce (parsed, &critical, &n), >=, 0);
  g_assert_cmpmem (n.data, n.size, g_bytes_get_data (nonce, NULL), g_bytes_get_size (nonce));
  gnutls_free (n.data);
  gnutls_ocsp_req_deinit (parsed);

  /* No issuer, no request. */
  g_assert_null (sd_revocation_ocsp_request (crt, NULL, NULL));
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_crt_deinit (issuer);
}

static void
test_find_issuer (void)
{
  static const struct {
    const char *data;
    const char *cert;
    gboolean found;
  } cases[] = {
    { "inter.der", "leaf-good.pem", TRUE },
    { "inter.pem", "leaf-good.pem", TRUE },
    /* root, the impostor (same name, another key), then the intermediate */
    { "bundle.pem", "leaf-good.pem", TRUE },
    { "bundle.p7c", "leaf-good.pem", TRUE },
    { "impostor.pem", "leaf-good.pem", FALSE },
    { "root.pem", "leaf-good.pem", FALSE },
    { "inter.crl.der", "leaf-good.pem", FALSE },
    { "bundle.pem", "leaf-other.pem", TRUE },   /* the impostor did issue that one */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) data = fixture (cases[i].data);
      gnutls_x509_crt_t crt = load_crt (cases[i].cert);
      g_autoptr(GBytes) der = sd_revocation_find_issuer (g_bytes_get_data (data, NULL), g_bytes_get_size (data), crt);

      g_test_message ("%s for %s", cases[i].data, cases[i].cert);
      g_assert_cmpint (der != NULL, ==, cases[i].found);
      if (der != NULL)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(SdCertInfo) info = sd_cert_info_new_from_der (g_bytes_get_data (der, NULL), g_bytes_get_size (der),
                                                                  &error);
          g_assert_no_error (error);
          g_assert_cmpstr (info->cn, ==, "Fixture Intermediate CA");
          g_assert_true (info->is_ca);
        }
      gnutls_x509_crt_deinit (crt);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GBytes) when = NULL;
  g_autofree char *text = NULL;

  g_test_init (&argc, &argv, NULL);
  when = fixture ("created");
  text = g_strndup (g_bytes_get_data (when, NULL), g_bytes_get_size (when));
  created = g_ascii_strtoll (text, NULL, 10);
  g_assert_cmpint (created, >, 0);

  g_test_add_func ("/revocation/points", test_points);
  g_test_add_func ("/revocation/crl", test_crl);
  g_test_add_func ("/revocation/ocsp", test_ocsp);
  g_test_add_func ("/revocation/ocsp-request", test_ocsp_request);
  g_test_add_func ("/revocation/find-issuer", test_find_issuer);
  return g_test_run ();
}
