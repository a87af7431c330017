/* test-tls-pem.c: the trust-store indexer's two parsers: the DER walk to a
 * certificate's subject (checked against GnuTLS on every certificate of
 * the system store, and on broken encodings), and the PEM block finder.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-tls-pem"

#include <string.h>
#include <gnutls/x509.h>
#include "sd-tls-pem.h"

/* The raw subject of @der as GnuTLS gives it (what it compares when it
 * looks for an issuer), or NULL when GnuTLS does not read it. */
static GBytes *
gnutls_subject (const guint8 *der, gsize len)
{
  gnutls_x509_crt_t crt;
  gnutls_datum_t d = { (unsigned char *) der, (unsigned int) len };
  gnutls_datum_t dn = { NULL, 0 };
  GBytes *out = NULL;

  g_assert_cmpint (gnutls_x509_crt_init (&crt), >=, 0);
  if (gnutls_x509_crt_import (crt, &d, GNUTLS_X509_FMT_DER) >= 0
      && gnutls_x509_crt_get_raw_dn (crt, &dn) >= 0)
    {
      out = g_bytes_new (dn.data, dn.size);
      gnutls_free (dn.data);
    }
  gnutls_x509_crt_deinit (crt);
  return out;
}

static void
collect (GBytes *der, gpointer user_data)
{
  g_ptr_array_add (user_data, g_bytes_ref (der));
}

static GPtrArray *
certs_of (const char *text, guint max)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint n = sd_tls_pem_foreach_cert (text, strlen (text), max, collect, all);

  g_assert_cmpuint (n, ==, all->len);
  return all;
}

/* Every certificate of the system store: the same subject bytes as GnuTLS. */
static void
test_subject_matches_gnutls (void)
{
  const char *store = SD_SYSTEM_TRUST_FILE[0] != '\0' ? SD_SYSTEM_TRUST_FILE : "/etc/ssl/certs/ca-certificates.crt";
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) all = NULL;

  if (!g_file_get_contents (store, &text, NULL, NULL))
    {
      g_test_skip ("no system trust store file to read");
      return;
    }
  all = certs_of (text, G_MAXUINT);
  g_assert_cmpuint (all->len, >, 50);
  for (guint i = 0; i < all->len; i++)
    {
      gsize len;
      const guint8 *der = g_bytes_get_data (all->pdata[i], &len);
      const guint8 *subject = NULL;
      gsize subject_len = 0;
      g_autoptr(GBytes) theirs = gnutls_subject (der, len);
      g_autoptr(GBytes) ours = NULL;

      g_assert_nonnull (theirs);
      g_assert_true (sd_tls_der_subject (der, len, &subject, &subject_len));
      g_assert_true (subject >= der && subject + subject_len <= der + len);
      ours = g_bytes_new (subject, subject_len);
      g_assert_true (g_bytes_equal (ours, theirs));
    }
}

/* A version 1 certificate (no [0] version): the walk starts at the serial.
 * Made by hand: SEQ { SEQ { INT 1, SEQ{}, SEQ{issuer}, SEQ{}, SEQ{subject}, ... } } */
static const guint8 v1_cert[] = {
  0x30, 0x13,
    0x30, 0x11,
      0x02, 0x01, 0x01,
      0x30, 0x00,
      0x30, 0x02, 0x31, 0x00,
      0x30, 0x00,
      0x30, 0x04, 0x31, 0x02, 0x30, 0x00,   /* the subject: 6 bytes */
};

typedef struct {
  const char   *name;
  const guint8 *der;
  gsize         len;
  gboolean      ok;
} DerCase;

static const guint8 empty[] = { 0 };
static const guint8 not_sequence[] = { 0x31, 0x02, 0x30, 0x00 };
static const guint8 indefinite[] = { 0x30, 0x80, 0x30, 0x80, 0x00, 0x00, 0x00, 0x00 };
static const guint8 long_length[] = { 0x30, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00 };
static const guint8 past_end[] = { 0x30, 0x10, 0x30, 0x00 };
static const guint8 inner_past_end[] = { 0x30, 0x04, 0x30, 0x08, 0x02, 0x01 };
static const guint8 multibyte_tag[] = { 0x30, 0x04, 0x3f, 0x81, 0x01, 0x00 };
static const guint8 missing_subject[] = {
  0x30, 0x0d, 0x30, 0x0b, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x02, 0x31, 0x00, 0x30, 0x00,
};
static const guint8 wrong_serial[] = {
  0x30, 0x0e, 0x30, 0x0c, 0x04, 0x01, 0x01, 0x30, 0x00, 0x30, 0x00, 0x30, 0x00, 0x30, 0x00, 0x00,
};

static void
test_subject_table (void)
{
  const DerCase cases[] = {
    { "v1 certificate", v1_cert, sizeof v1_cert, TRUE },
    { "v1 certificate, cut by one", v1_cert, sizeof v1_cert - 1, FALSE },
    { "nothing", empty, 0, FALSE },
    { "one byte", empty, 1, FALSE },
    { "not a SEQUENCE", not_sequence, sizeof not_sequence, FALSE },
    { "indefinite length (BER)", indefinite, sizeof indefinite, FALSE },
    { "length in 5 bytes", long_length, sizeof long_length, FALSE },
    { "length past the end", past_end, sizeof past_end, FALSE },
    { "inner length past its outer", inner_past_end, sizeof inner_past_end, FALSE },
    { "multi-byte tag", multibyte_tag, sizeof multibyte_tag, FALSE },
    { "no subject", missing_subject, sizeof missing_subject, FALSE },
    { "serial not an INTEGER", wrong_serial, sizeof wrong_serial, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const guint8 *subject = NULL;
      gsize subject_len = 0;
      gboolean ok = sd_tls_der_subject (cases[i].der, cases[i].len, &subject, &subject_len);

      g_test_message ("%s", cases[i].name);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        {
          g_assert_true (subject >= cases[i].der && subject + subject_len <= cases[i].der + cases[i].len);
          g_assert_cmpuint (subject_len, ==, 6);
          g_assert_cmpuint (subject[0], ==, 0x30);
        }
    }
  g_assert_false (sd_tls_der_subject (NULL, 10, &(const guint8 *) { NULL }, &(gsize) { 0 }));
}

/* "AQID" is 01 02 03; "BAUG" 04 05 06. */
typedef struct {
  const char *name;
  const char *text;
  guint       max;
  const char *expect;  /* the blocks' bytes in hex, "|"-separated */
} PemCase;

static void
test_pem_table (void)
{
  const PemCase cases[] = {
    { "one", "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n", 10, "010203" },
    { "two, CRLF and text around",
      "# a root\r\n-----BEGIN CERTIFICATE-----\r\nAQ\r\nID\r\n-----END CERTIFICATE-----\r\njunk\r\n"
      "-----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----", 10, "010203|040506" },
    { "X509 CERTIFICATE label", "-----BEGIN X509 CERTIFICATE-----\nAQID\n-----END X509 CERTIFICATE-----", 10,
      "010203" },
    { "CRL and key passed over",
      "-----BEGIN X509 CRL-----\nBAUG\n-----END X509 CRL-----\n-----BEGIN PRIVATE KEY-----\nBAUG\n"
      "-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n", 10, "010203" },
    { "TRUSTED CERTIFICATE is not read (GnuTLS does not either)",
      "-----BEGIN TRUSTED CERTIFICATE-----\nAQID\n-----END TRUSTED CERTIFICATE-----\n", 10, "" },
    { "no END", "-----BEGIN CERTIFICATE-----\nAQID\n", 10, "" },
    { "second without END",
      "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBAUG\n", 10,
      "010203" },
    { "at most max", "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n"
      "-----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----", 1, "010203" },
    { "empty block", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", 10, "" },
    { "cut label", "-----BEGIN CERTIF", 10, "" },
    { "nothing", "", 10, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) all = certs_of (cases[i].text, cases[i].max);
      g_autoptr(GString) got = g_string_new (NULL);

      g_test_message ("%s", cases[i].name);
      for (guint k = 0; k < all->len; k++)
        {
          gsize len;
          const guint8 *b = g_bytes_get_data (all->pdata[k], &len);
          if (k > 0)
            g_string_append_c (got, '|');
          for (gsize j = 0; j < len; j++)
            g_string_append_printf (got, "%02x", b[j]);
        }
      g_assert_cmpstr (got->str, ==, cases[i].expect);
    }
}

/* Not NUL-terminated: the finder never reads past the length given. */
static void
test_pem_bounded (void)
{
  const char *whole = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
  gsize cut = strlen (whole) - strlen ("CERTIFICATE-----\n") - 2;
  char *copy = g_memdup2 (whole, cut);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  /* "-----END " is cut in the middle: the block has no end. */
  g_assert_cmpuint (sd_tls_pem_foreach_cert (copy, cut, 10, collect, all), ==, 0);
  g_free (copy);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls/pem/subject-matches-gnutls", test_subject_matches_gnutls);
  g_test_add_func ("/tls/pem/subject-table", test_subject_table);
  g_test_add_func ("/tls/pem/pem-table", test_pem_table);
  g_test_add_func ("/tls/pem/pem-bounded", test_pem_bounded);
  return g_test_run ();
}
