/* fuzz-revocation.c: what a CRL, an OCSP answer or a caIssuers answer
 * from the network means, and the revocation points of any certificate.
 *
 * The first byte picks the parser; the rest is what a peer sent. The
 * certificate and issuer are fixed (tests/tls/data/revocation).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <gnutls/gnutls.h>
#include "sd-tls-revocation-parse.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const char leaf_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIICfTCCAiSgAwIBAgICEAAwCgYIKoZIzj0EAwIwIjEgMB4GA1UEAxMXRml4dHVy\n"
  "ZSBJbnRlcm1lZGlhdGUgQ0EwHhcNMjYxMjAxMjI0OTMxWhcNMzYxMTI4MjI0OTMx\n"
  "WjAbMRkwFwYDVQQDExBzaXAuZml4dHVyZS50ZXN0MFkwEwYHKoZIzj0CAQYIKoZI\n"
  "zj0DAQcDQgAEo1vIzFTkEIL5qiIGgOHzjiVQSe3rRqDfMehUeWlqHUTXYWg9eNEc\n"
  "qSGYKQrmDzEfQaAi60IggqqZYCtjdjrJ8aOCAU8wggFLMAwGA1UdEwEB/wQCMAAw\n"
  "GwYDVR0RBBQwEoIQc2lwLmZpeHR1cmUudGVzdDATBgNVHSUEDDAKBggrBgEFBQcD\n"
  "ATBkBggrBgEFBQcBAQRYMFYwJQYIKwYBBQUHMAGGGWh0dHA6Ly9vY3NwLmZpeHR1\n"
  "cmUudGVzdC8wLQYIKwYBBQUHMAKGIWh0dHA6Ly9jcmwuZml4dHVyZS50ZXN0L2lu\n"
  "dGVyLmRlcjAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFH8iTcZuOEtJAkVddlhE\n"
  "fdvdJTi9MB8GA1UdIwQYMBaAFOq+LQxin3TWTYpY8utpc4hUeZmXMFMGA1UdHwRM\n"
  "MEowSKBGoESGIWh0dHA6Ly9jcmwuZml4dHVyZS50ZXN0L2ludGVyLmNybIYfbGRh\n"
  "cDovL2xkYXAuZml4dHVyZS50ZXN0L0NOPUNEUDAKBggqhkjOPQQDAgNHADBEAiB2\n"
  "cCVcYTPQg0S0Pt2FrjjH516N0+MPaFimpG6oL3/z7wIgLe5myYbjpvu3Qj6sIARs\n"
  "dycwZSQMEGzs3jfdH5rR6Ks=\n"
  "-----END CERTIFICATE-----\n";

static const char issuer_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBjjCCATSgAwIBAgIBEDAKBggqhkjOPQQDAjAaMRgwFgYDVQQDEw9GaXh0dXJl\n"
  "IFJvb3QgQ0EwHhcNMjYxMjAxMjI0OTMwWhcNMzYxMTI4MjI0OTMwWjAiMSAwHgYD\n"
  "VQQDExdGaXh0dXJlIEludGVybWVkaWF0ZSBDQTBZMBMGByqGSM49AgEGCCqGSM49\n"
  "AwEHA0IABCvDPJoceBD1kDVORIFRspN8waQ41YQPHdnLPHR8OBaYAIvaVodeCzSO\n"
  "kb/IGl1OGsXxyMtcI1i+C5E+6S7zuI6jYzBhMA8GA1UdEwEB/wQFMAMBAf8wDgYD\n"
  "VR0PAQH/BAQDAgEGMB0GA1UdDgQWBBTqvi0MYp901k2KWPLraXOIVHmZlzAfBgNV\n"
  "HSMEGDAWgBTBQdvMq2+FvANvE7ZJ2I/A4uHaATAKBggqhkjOPQQDAgNIADBFAiEA\n"
  "pVzqGxQIOAmz8fh1cGgt3LoqjTK6sbZ8vvsgmPSmTLMCIGharPBFB2x+x4c1E0Xa\n"
  "OYcNvsPx3Nr0uD3GHiub9WuF\n"
  "-----END CERTIFICATE-----\n";

static gnutls_x509_crt_t
load (const char *pem)
{
  gnutls_datum_t d = { (unsigned char *) pem, (unsigned) strlen (pem) };
  gnutls_x509_crt_t crt = NULL;

  g_assert_true (gnutls_x509_crt_init (&crt) >= 0);
  g_assert_true (gnutls_x509_crt_import (crt, &d, GNUTLS_X509_FMT_PEM) >= 0);
  return crt;
}

static void
check_answer (const SdRevocationAnswer *a)
{
  /* Whatever the bytes: a status, and words for a person when unusable. */
  g_assert_true (a->status <= SD_REVOCATION_INVALID);
  if (a->status == SD_REVOCATION_INVALID)
    g_assert_true (a->problem != NULL && g_utf8_validate (a->problem, -1, NULL));
  if (a->signer != NULL)
    g_assert_true (g_utf8_validate (a->signer, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static gnutls_x509_crt_t leaf, issuer;
  SdRevocationAnswer a;

  if (leaf == NULL)
    {
      leaf = load (leaf_pem);
      issuer = load (issuer_pem);
    }
  if (size < 1)
    return 0;
  switch (data[0] % 4)
    {
    case 0:
      sd_revocation_check_crl (data + 1, size - 1, leaf, issuer, 1800000000, &a);
      check_answer (&a);
      sd_revocation_answer_clear (&a);
      break;
    case 1:
      {
        g_autoptr(GBytes) nonce = g_bytes_new_static ("0123456789abcdef", 16);

        sd_revocation_check_ocsp (data + 1, size - 1, leaf, issuer, nonce, 1800000000, &a);
        check_answer (&a);
        sd_revocation_answer_clear (&a);
      }
      break;
    case 2:
      {
        g_autoptr(GBytes) der = sd_revocation_find_issuer (data + 1, size - 1, leaf);
        (void) der;
      }
      break;
    default:
      {
        gnutls_datum_t d = { (unsigned char *) data + 1, (unsigned) (size - 1) };
        gnutls_x509_crt_t crt = NULL;

        if (gnutls_x509_crt_init (&crt) < 0)
          break;
        if (gnutls_x509_crt_import (crt, &d, GNUTLS_X509_FMT_DER) >= 0)
          {
            g_autoptr(SdRevocationPoints) p = sd_revocation_points_from_crt (crt);
            char **lists[] = { p->crl_http, p->crl_ldap, p->crl_other, p->ocsp, p->ocsp_other, p->ca_issuers };

            for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
              {
                g_assert_true (g_strv_length (lists[i]) <= SD_REVOCATION_MAX_URLS);
                for (guint j = 0; lists[i][j] != NULL; j++)
                  g_assert_true (g_utf8_validate (lists[i][j], -1, NULL));
              }
            (void) sd_revocation_points_none_fetchable (p);
          }
        gnutls_x509_crt_deinit (crt);
      }
      break;
    }
  return 0;
}
