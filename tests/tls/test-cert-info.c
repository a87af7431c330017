/* test-cert-info.c: the certificate parser on certificates made here, at run
 * time, with GnuTLS (no key is committed): names holding a NUL byte, names
 * that are not UTF-8, and issuers whose name fits but whose key did not sign.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "sd-cert-info.h"
#include "sd-tls-names.h"

#define NUL_NAME "sip.example.test\0.attacker.test"
#define NUL_NAME_SHOWN "sip.example.test\\x00.attacker.test"

static gnutls_x509_privkey_t
new_key (void)
{
  gnutls_x509_privkey_t key = NULL;

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0), ==, 0);
  return key;
}

/* A certificate for @key, named CN=@cn (@cn_len bytes, NULs and all), with
 * the dNSNames given, signed by @ca_key as @ca (self-signed when @ca is NULL). */
static gnutls_x509_crt_t
new_cert (gnutls_x509_privkey_t key, const char *cn, gsize cn_len,
          const char *const *dns, const gsize *dns_len, gboolean is_ca,
          gnutls_x509_crt_t ca, gnutls_x509_privkey_t ca_key)
{
  gnutls_x509_crt_t crt = NULL;
  static guint8 serial = 1;
  time_t now = time (NULL);

  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_version (crt, 3), ==, 0);
  serial++;
  g_assert_cmpint (gnutls_x509_crt_set_serial (crt, &serial, 1), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_activation_time (crt, now - 3600), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_expiration_time (crt, now + 86400), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key (crt, key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned) cn_len),
                   ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_basic_constraints (crt, is_ca, -1), ==, 0);
  if (dns != NULL)
    {
      /* Written as DER here: GnuTLS's own setter stops a name at a NUL. */
      g_autoptr(GByteArray) names = g_byte_array_new ();
      g_autoptr(GByteArray) ext = g_byte_array_new ();
      guint8 head[2];

      for (guint i = 0; dns[i] != NULL; i++)
        {
          g_assert_cmpuint (dns_len[i], <, 128);
          head[0] = 0x82;  /* [2] dNSName */
          head[1] = (guint8) dns_len[i];
          g_byte_array_append (names, head, 2);
          g_byte_array_append (names, (const guint8 *) dns[i], (guint) dns_len[i]);
        }
      g_assert_cmpuint (names->len, <, 128);
      head[0] = 0x30;
      head[1] = (guint8) names->len;
      g_byte_array_append (ext, head, 2);
      g_byte_array_append (ext, names->data, names->len);
      g_assert_cmpint (gnutls_x509_crt_set_extension_by_oid (crt, "2.5.29.17", ext->data, ext->len, 0), ==, 0);
    }
  if (ca == NULL)
    g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);
  else
    g_assert_cmpint (gnutls_x509_crt_sign2 (crt, ca, ca_key, GNUTLS_DIG_SHA256, 0), ==, 0);
  return crt;
}

static SdCertInfo *
parse (gnutls_x509_crt_t crt)
{
  gnutls_datum_t der = { NULL, 0 };
  g_autoptr(GError) error = NULL;
  SdCertInfo *info;

  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);
  info = sd_cert_info_new_from_der (der.data, der.size, &error);
  g_assert_no_error (error);
  gnutls_free (der.data);
  return info;
}

static void
assert_json_utf8 (const SdCertInfo *info)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), sd_cert_info_to_json (info));
  g_autofree char *text = json_to_string (node, FALSE);

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_null (strchr (text, '\x01'));
}

static void
test_nul_in_names (void)
{
  const char *const dns[] = { NUL_NAME, NULL };
  const gsize dns_len[] = { sizeof NUL_NAME - 1 };
  gnutls_x509_privkey_t key = new_key ();
  gnutls_x509_crt_t crt = new_cert (key, NUL_NAME, sizeof NUL_NAME - 1, dns, dns_len, FALSE, NULL, NULL);
  g_autoptr(SdCertInfo) info = parse (crt);
  SdCertNames names;
  g_auto(GStrv) all = NULL;

  /* Shown whole, the NUL made visible: never cut at the NUL. */
  g_assert_cmpstr (info->san_dns[0], ==, NUL_NAME_SHOWN);
  g_assert_null (info->san_dns[1]);
  g_assert_cmpstr (info->cn, ==, NUL_NAME_SHOWN);
  g_assert_nonnull (info->invalid_names);
  g_assert_cmpstr (info->invalid_names[0], ==, NUL_NAME_SHOWN);
  g_assert_null (info->invalid_names[1]);   /* once, though the SAN and the CN both hold it */

  sd_cert_info_get_names (info, &names);
  g_assert_cmpint (sd_tls_match_host (&names, "sip.example.test"), ==, SD_NAME_MATCH_NONE);
  g_assert_cmpint (sd_tls_match_host (&names, NUL_NAME_SHOWN), ==, SD_NAME_MATCH_NONE);
  g_assert_false (sd_tls_sip_domain_matches (&names, "sip.example.test"));
  all = sd_tls_all_names (&names);
  g_assert_cmpstr (all[0], ==, NUL_NAME_SHOWN);
  assert_json_utf8 (info);

  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

static void
test_nul_in_cn_only (void)
{
  gnutls_x509_privkey_t key = new_key ();
  gnutls_x509_crt_t crt = new_cert (key, NUL_NAME, sizeof NUL_NAME - 1, NULL, NULL, FALSE, NULL, NULL);
  g_autoptr(SdCertInfo) info = parse (crt);
  SdCertNames names;

  g_assert_cmpstr (info->cn, ==, NUL_NAME_SHOWN);
  g_assert_cmpstr (info->invalid_names[0], ==, NUL_NAME_SHOWN);
  sd_cert_info_get_names (info, &names);
  g_assert_cmpint (sd_tls_match_host (&names, "sip.example.test"), ==, SD_NAME_MATCH_NONE);

  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

static void
test_valid_names_are_not_invalid (void)
{
  const char *const dns[] = { "sip.example.test", "example.test", NULL };
  const gsize dns_len[] = { strlen (dns[0]), strlen (dns[1]) };
  gnutls_x509_privkey_t key = new_key ();
  gnutls_x509_crt_t crt = new_cert (key, "sip.example.test", strlen ("sip.example.test"), dns, dns_len, FALSE,
                                    NULL, NULL);
  g_autoptr(SdCertInfo) info = parse (crt);
  SdCertNames names;

  g_assert_cmpstr (info->san_dns[0], ==, "sip.example.test");
  g_assert_cmpstr (info->cn, ==, "sip.example.test");
  g_assert_nonnull (info->invalid_names);
  g_assert_null (info->invalid_names[0]);
  sd_cert_info_get_names (info, &names);
  g_assert_cmpint (sd_tls_match_host (&names, "sip.example.test"), ==, SD_NAME_MATCH_DNS);
  /* self-signed: the signature on itself verifies */
  g_assert_true (info->self_signed);

  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

static void
test_not_utf8 (void)
{
  /* Latin-1 and a stray control byte where UTF-8 belongs. */
  static const char cn[] = "sip.\xe9xample.test\x01";
  const char *const dns[] = { "caf\xe9.example.test", NULL };
  const gsize dns_len[] = { strlen (dns[0]) };
  gnutls_x509_privkey_t key = new_key ();
  gnutls_x509_crt_t crt = new_cert (key, cn, sizeof cn - 1, dns, dns_len, FALSE, NULL, NULL);
  g_autoptr(SdCertInfo) info = parse (crt);

  g_assert_true (g_utf8_validate (info->cn, -1, NULL));
  g_assert_true (g_utf8_validate (info->subject, -1, NULL));
  g_assert_true (g_utf8_validate (info->san_dns[0], -1, NULL));
  g_assert_true (g_str_has_suffix (info->cn, "\\x01"));
  assert_json_utf8 (info);

  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

static void
test_issued_by_needs_the_key (void)
{
  gnutls_x509_privkey_t ca_key = new_key ();
  gnutls_x509_privkey_t twin_key = new_key ();
  gnutls_x509_privkey_t leaf_key = new_key ();
  gnutls_x509_crt_t ca = new_cert (ca_key, "Test CA", strlen ("Test CA"), NULL, NULL, TRUE, NULL, NULL);
  /* Same name, another key: what a forger can make. */
  gnutls_x509_crt_t twin = new_cert (twin_key, "Test CA", strlen ("Test CA"), NULL, NULL, TRUE, NULL, NULL);
  gnutls_x509_crt_t leaf = new_cert (leaf_key, "sip.example.test", strlen ("sip.example.test"), NULL, NULL, FALSE,
                                     ca, ca_key);
  g_autoptr(SdCertInfo) ca_info = parse (ca);
  g_autoptr(SdCertInfo) twin_info = parse (twin);
  g_autoptr(SdCertInfo) leaf_info = parse (leaf);

  g_assert_true (sd_cert_info_issued_by (leaf_info, ca_info));
  g_assert_false (sd_cert_info_issued_by (leaf_info, twin_info));
  g_assert_false (sd_cert_info_issued_by (ca_info, leaf_info));
  g_assert_true (ca_info->self_signed);
  g_assert_false (leaf_info->self_signed);

  gnutls_x509_crt_deinit (leaf);
  gnutls_x509_crt_deinit (twin);
  gnutls_x509_crt_deinit (ca);
  gnutls_x509_privkey_deinit (leaf_key);
  gnutls_x509_privkey_deinit (twin_key);
  gnutls_x509_privkey_deinit (ca_key);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls/cert-info/nul-in-names", test_nul_in_names);
  g_test_add_func ("/tls/cert-info/nul-in-cn-only", test_nul_in_cn_only);
  g_test_add_func ("/tls/cert-info/valid-names", test_valid_names_are_not_invalid);
  g_test_add_func ("/tls/cert-info/not-utf8", test_not_utf8);
  g_test_add_func ("/tls/cert-info/issued-by-needs-the-key", test_issued_by_needs_the_key);
  return g_test_run ();
}
