/* sd-tls-revocation-parse.c: revocation points of a certificate, and what a
 * CRL or an OCSP answer says about it (see sd-tls-revocation-parse.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-revocation"

#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/pkcs7.h>
#include <glib/gi18n-lib.h>
#include "sd-tls-revocation-parse.h"

/* A CRL that lists more serials than this is refused rather than walked
 * (the fetch's size cap already bounds it; this bounds the time). */
#define MAX_CRL_ENTRIES 1000000
/* Certificates looked at in one caIssuers answer. */
#define MAX_BUNDLE_CERTS 16

static char *
text_of (const void *data, gsize len)
{
  g_autofree char *raw = g_strndup (data, len);

  return g_utf8_make_valid (raw, -1);
}

static gboolean
has_scheme (const char *url, const char *scheme)
{
  gsize n = strlen (scheme);

  return g_ascii_strncasecmp (url, scheme, n) == 0 && url[n] == ':';
}

static gboolean
is_http (const char *url)
{
  return has_scheme (url, "http") || has_scheme (url, "https");
}

static void
add_url (GPtrArray *list, const char *url)
{
  if (list->len >= SD_REVOCATION_MAX_URLS)
    return;
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (list->pdata[i], url))
      return;
  g_ptr_array_add (list, g_strdup (url));
}

static char **
strv_of (GPtrArray *list)
{
  g_ptr_array_add (list, NULL);
  return (char **) g_ptr_array_free (list, FALSE);
}

SdRevocationPoints *
sd_revocation_points_from_crt (gnutls_x509_crt_t crt)
{
  SdRevocationPoints *p = g_new0 (SdRevocationPoints, 1);
  g_autoptr(GPtrArray) crl_http = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) crl_ldap = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) crl_other = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ocsp = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ocsp_other = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) ca_issuers = g_ptr_array_new_with_free_func (g_free);

  /* Bounded: a certificate is at most a few kilobytes, but the count of
   * names in it is the issuer's choice. */
  for (unsigned seq = 0; seq < 64; seq++)
    {
      char buf[2048];
      size_t size = sizeof buf - 1;
      unsigned reasons = 0, critical = 0;
      int ret = gnutls_x509_crt_get_crl_dist_points (crt, seq, buf, &size, &reasons, &critical);
      g_autofree char *url = NULL;

      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret < 0)
        continue;
      url = text_of (buf, MIN (size, sizeof buf - 1));
      if (ret != GNUTLS_SAN_URI)
        {
          /* A distribution point named by a directory name (an X.500 DN)
           * is fetched over LDAP where it is used at all. */
          add_url (crl_other, url);
          continue;
        }
      if (is_http (url))
        add_url (crl_http, url);
      else if (has_scheme (url, "ldap") || has_scheme (url, "ldaps"))
        add_url (crl_ldap, url);
      else
        add_url (crl_other, url);
    }

  /* Each access description is one method and one location: asking for
   * the OCSP URI of a caIssuers entry fails, and the other way round. */
  for (unsigned seq = 0; seq < 64; seq++)
    {
      gnutls_datum_t d = { NULL, 0 };
      unsigned critical = 0;
      g_autofree char *url = NULL;
      gboolean is_ocsp = TRUE;
      int ret = gnutls_x509_crt_get_authority_info_access (crt, seq, GNUTLS_IA_OCSP_URI, &d, &critical);

      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret < 0)
        {
          is_ocsp = FALSE;
          ret = gnutls_x509_crt_get_authority_info_access (crt, seq, GNUTLS_IA_CAISSUERS_URI, &d, &critical);
        }
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret < 0)
        continue;
      url = text_of (d.data, d.size);
      gnutls_free (d.data);
      if (is_ocsp)
        add_url (is_http (url) ? ocsp : ocsp_other, url);
      else if (is_http (url))
        add_url (ca_issuers, url);
    }

  p->crl_http = strv_of (g_steal_pointer (&crl_http));
  p->crl_ldap = strv_of (g_steal_pointer (&crl_ldap));
  p->crl_other = strv_of (g_steal_pointer (&crl_other));
  p->ocsp = strv_of (g_steal_pointer (&ocsp));
  p->ocsp_other = strv_of (g_steal_pointer (&ocsp_other));
  p->ca_issuers = strv_of (g_steal_pointer (&ca_issuers));
  return p;
}

void
sd_revocation_points_free (SdRevocationPoints *points)
{
  if (points == NULL)
    return;
  g_strfreev (points->crl_http);
  g_strfreev (points->crl_ldap);
  g_strfreev (points->crl_other);
  g_strfreev (points->ocsp);
  g_strfreev (points->ocsp_other);
  g_strfreev (points->ca_issuers);
  g_free (points);
}

gboolean
sd_revocation_points_none_fetchable (const SdRevocationPoints *points)
{
  return points->crl_http[0] == NULL && points->ocsp[0] == NULL;
}

const char *
sd_revocation_status_to_string (SdRevocationStatus status)
{
  switch (status)
    {
    case SD_REVOCATION_GOOD:    return "good";
    case SD_REVOCATION_REVOKED: return "revoked";
    case SD_REVOCATION_UNKNOWN: return "unknown";
    case SD_REVOCATION_INVALID: return "invalid";
    }
  return "invalid";
}

void
sd_revocation_answer_clear (SdRevocationAnswer *answer)
{
  g_clear_pointer (&answer->problem, g_free);
  g_clear_pointer (&answer->reason, g_free);
  g_clear_pointer (&answer->signer, g_free);
}

static void
answer_init (SdRevocationAnswer *a)
{
  memset (a, 0, sizeof *a);
  a->status = SD_REVOCATION_INVALID;
  a->this_update = -1;
  a->next_update = -1;
  a->revoked_at = -1;
}

static void
invalid (SdRevocationAnswer *a, char *problem)
{
  a->status = SD_REVOCATION_INVALID;
  g_free (a->problem);
  a->problem = problem;
}

static char *
format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return dt != NULL ? g_date_time_format_iso8601 (dt) : g_strdup ("?");
}

/* An answer is usable from thisUpdate (with some clock skew) until
 * nextUpdate, as Windows uses it. */
static gboolean
check_times (SdRevocationAnswer *a, gint64 now, const char *what)
{
  if (a->this_update > now + SD_REVOCATION_CLOCK_SKEW)
    {
      g_autofree char *t = format_time (a->this_update);
      invalid (a, g_strdup_printf (_("The %s is dated %s, in the future of this computer's clock."), what, t));
      return FALSE;
    }
  if (a->next_update >= 0 && a->next_update < now)
    {
      g_autofree char *t = format_time (a->next_update);
      invalid (a, g_strdup_printf (_("The %s is out of date: it was to be replaced at %s."), what, t));
      return FALSE;
    }
  return TRUE;
}

static char *
dn_of_crt (gnutls_x509_crt_t crt)
{
  gnutls_datum_t d = { NULL, 0 };
  char *s = NULL;

  if (gnutls_x509_crt_get_dn3 (crt, &d, 0) >= 0)
    {
      s = text_of (d.data, d.size);
      gnutls_free (d.data);
    }
  return s;
}

static const char *
reason_name (unsigned reason)
{
  switch (reason)
    {
    case GNUTLS_X509_CRLREASON_UNSPECIFIED: return "unspecified";
    case GNUTLS_X509_CRLREASON_KEYCOMPROMISE: return "keyCompromise";
    case GNUTLS_X509_CRLREASON_CACOMPROMISE: return "cACompromise";
    case GNUTLS_X509_CRLREASON_AFFILIATIONCHANGED: return "affiliationChanged";
    case GNUTLS_X509_CRLREASON_SUPERSEDED: return "superseded";
    case GNUTLS_X509_CRLREASON_CESSATIONOFOPERATION: return "cessationOfOperation";
    case GNUTLS_X509_CRLREASON_CERTIFICATEHOLD: return "certificateHold";
    case GNUTLS_X509_CRLREASON_REMOVEFROMCRL: return "removeFromCRL";
    case GNUTLS_X509_CRLREASON_PRIVILEGEWITHDRAWN: return "privilegeWithdrawn";
    case GNUTLS_X509_CRLREASON_AACOMPROMISE: return "aACompromise";
    default: return NULL;
    }
}

static gboolean
looks_pem (const guint8 *data, gsize len)
{
  static const char marker[] = "-----BEGIN";

  return len >= sizeof marker - 1 && memmem (data, MIN (len, 4096), marker, sizeof marker - 1) != NULL;
}

void
sd_revocation_check_crl (const guint8       *data,
                         gsize               len,
                         gnutls_x509_crt_t   crt,
                         gnutls_x509_crt_t   issuer,
                         gint64              now,
                         SdRevocationAnswer *a)
{
  gnutls_x509_crl_t crl = NULL;
  gnutls_datum_t in = { (unsigned char *) data, (unsigned) len };
  gnutls_datum_t crl_dn = { NULL, 0 };
  gnutls_datum_t crt_dn = { NULL, 0 };
  gnutls_x509_crl_iter_t iter = NULL;
  guint8 serial[64];
  size_t serial_len = sizeof serial;
  unsigned verify = 0;
  int count, ret;

  answer_init (a);
  if (len == 0 || len > G_MAXUINT || gnutls_x509_crl_init (&crl) < 0)
    {
      invalid (a, g_strdup (_("The revocation list is empty.")));
      return;
    }
  ret = gnutls_x509_crl_import (crl, &in, looks_pem (data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER);
  if (ret < 0)
    {
      invalid (a, g_strdup_printf (_("The answer is not a certificate revocation list (%s)."), gnutls_strerror (ret)));
      goto out;
    }
  a->this_update = gnutls_x509_crl_get_this_update (crl);
  a->next_update = gnutls_x509_crl_get_next_update (crl);
  if (a->next_update == (time_t) -1)
    a->next_update = -1;

  if (gnutls_x509_crl_get_raw_issuer_dn (crl, &crl_dn) < 0 || gnutls_x509_crt_get_raw_issuer_dn (crt, &crt_dn) < 0
      || crl_dn.size != crt_dn.size || memcmp (crl_dn.data, crt_dn.data, crl_dn.size) != 0)
    {
      invalid (a, g_strdup (_("The revocation list was issued by another authority than the certificate's.")));
      goto out;
    }
  if (issuer == NULL)
    {
      invalid (a, g_strdup (_("The certificate's issuer is not known here, so the revocation list's signature "
                              "cannot be checked.")));
      goto out;
    }
  ret = gnutls_x509_crl_verify (crl, &issuer, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS
                                | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &verify);
  if (ret < 0 || verify != 0)
    {
      invalid (a, g_strdup (_("The revocation list's signature does not verify with the issuer's key: it may "
                              "be forged or damaged.")));
      goto out;
    }
  a->signer = dn_of_crt (issuer);
  if (!check_times (a, now, _("revocation list")))
    goto out;

  if (gnutls_x509_crt_get_serial (crt, serial, &serial_len) < 0)
    {
      invalid (a, g_strdup (_("The certificate's serial number cannot be read.")));
      goto out;
    }
  count = gnutls_x509_crl_get_crt_count (crl);
  if (count > MAX_CRL_ENTRIES)
    {
      invalid (a, g_strdup_printf (_("The revocation list names %d certificates, more than this program reads."),
                                   count));
      goto out;
    }
  a->status = SD_REVOCATION_GOOD;
  for (int i = 0; i < count; i++)
    {
      guint8 s[64];
      size_t s_len = sizeof s;
      time_t t = -1;

      ret = gnutls_x509_crl_iter_crt_serial (crl, &iter, s, &s_len, &t);
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret < 0)
        {
          invalid (a, g_strdup_printf (_("The revocation list cannot be read to its end (%s)."),
                                       gnutls_strerror (ret)));
          break;
        }
      if (s_len == serial_len && memcmp (s, serial, s_len) == 0)
        {
          a->status = SD_REVOCATION_REVOKED;
          a->revoked_at = t;
          break;
        }
    }

out:
  if (iter != NULL)
    gnutls_x509_crl_iter_deinit (iter);
  gnutls_free (crl_dn.data);
  gnutls_free (crt_dn.data);
  gnutls_x509_crl_deinit (crl);
}

GBytes *
sd_revocation_ocsp_request (gnutls_x509_crt_t   crt,
                            gnutls_x509_crt_t   issuer,
                            GBytes            **nonce)
{
  gnutls_ocsp_req_t req = NULL;
  gnutls_datum_t der = { NULL, 0 };
  GBytes *out = NULL;

  if (issuer == NULL || gnutls_ocsp_req_init (&req) < 0)
    return NULL;
  /* SHA-1 CertID: what every responder (and Windows) understands. */
  if (gnutls_ocsp_req_add_cert (req, GNUTLS_DIG_SHA1, issuer, crt) < 0)
    goto out;
  if (nonce != NULL)
    {
      gnutls_datum_t n = { NULL, 0 };
      unsigned critical = 0;

      if (gnutls_ocsp_req_randomize_nonce (req) < 0 || gnutls_ocsp_req_get_nonce (req, &critical, &n) < 0)
        goto out;
      *nonce = g_bytes_new (n.data, n.size);
      gnutls_free (n.data);
    }
  if (gnutls_ocsp_req_export (req, &der) < 0)
    goto out;
  out = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
out:
  gnutls_ocsp_req_deinit (req);
  return out;
}

static char *
ocsp_verify_describe (unsigned verify)
{
  if (verify & GNUTLS_OCSP_VERIFY_SIGNER_NOT_FOUND)
    return g_strdup (_("The OCSP answer is signed by a key that is neither the issuer's nor a responder's the "
                       "issuer named."));
  if (verify & GNUTLS_OCSP_VERIFY_SIGNATURE_FAILURE)
    return g_strdup (_("The OCSP answer's signature does not verify: it may be forged or damaged."));
  if (verify & (GNUTLS_OCSP_VERIFY_SIGNER_KEYUSAGE_ERROR | GNUTLS_OCSP_VERIFY_UNTRUSTED_SIGNER))
    return g_strdup (_("The OCSP answer is signed by a certificate the issuer did not allow to sign OCSP "
                       "answers."));
  if (verify & GNUTLS_OCSP_VERIFY_INSECURE_ALGORITHM)
    return g_strdup (_("The OCSP answer is signed with an insecure algorithm."));
  if (verify & (GNUTLS_OCSP_VERIFY_CERT_NOT_ACTIVATED | GNUTLS_OCSP_VERIFY_CERT_EXPIRED))
    return g_strdup (_("The OCSP responder's own certificate is expired or not yet valid."));
  return g_strdup (_("The OCSP answer does not verify."));
}

void
sd_revocation_check_ocsp (const guint8       *data,
                          gsize               len,
                          gnutls_x509_crt_t   crt,
                          gnutls_x509_crt_t   issuer,
                          GBytes             *nonce,
                          gint64              now,
                          SdRevocationAnswer *a)
{
  gnutls_ocsp_resp_t resp = NULL;
  gnutls_datum_t in = { (unsigned char *) data, (unsigned) len };
  gnutls_datum_t got = { NULL, 0 };
  unsigned verify = 0, critical = 0;
  int ret, status;
  int idx = -1;

  answer_init (a);
  if (len == 0 || len > G_MAXUINT || gnutls_ocsp_resp_init (&resp) < 0)
    {
      invalid (a, g_strdup (_("The OCSP answer is empty.")));
      return;
    }
  ret = gnutls_ocsp_resp_import (resp, &in);
  if (ret < 0)
    {
      invalid (a, g_strdup_printf (_("The answer is not an OCSP response (%s)."), gnutls_strerror (ret)));
      goto out;
    }
  status = gnutls_ocsp_resp_get_status (resp);
  if (status != GNUTLS_OCSP_RESP_SUCCESSFUL)
    {
      static const char *names[] = { "successful", "malformedRequest", "internalError", "tryLater", "?",
                                     "sigRequired", "unauthorized" };
      const char *name = status >= 0 && status < (int) G_N_ELEMENTS (names) ? names[status] : "?";

      invalid (a, g_strdup_printf (_("The OCSP responder refused to answer: %s (%d)."), name, status));
      goto out;
    }
  for (unsigned i = 0; i < 64; i++)
    {
      ret = gnutls_ocsp_resp_check_crt (resp, i, crt);
      if (ret == 0)
        {
          idx = (int) i;
          break;
        }
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
    }
  if (idx < 0)
    {
      invalid (a, g_strdup (_("The OCSP answer is about another certificate.")));
      goto out;
    }
  if (issuer == NULL)
    {
      invalid (a, g_strdup (_("The certificate's issuer is not known here, so the OCSP answer's signature "
                              "cannot be checked.")));
      goto out;
    }
  ret = gnutls_ocsp_resp_verify_direct (resp, issuer, &verify, 0);
  if (ret < 0 || verify != 0)
    {
      invalid (a, ocsp_verify_describe (ret < 0 ? GNUTLS_OCSP_VERIFY_SIGNATURE_FAILURE : verify));
      goto out;
    }
  {
    gnutls_datum_t dn = { NULL, 0 };
    if (gnutls_ocsp_resp_get_responder (resp, &dn) >= 0 && dn.data != NULL)
      {
        a->signer = text_of (dn.data, dn.size);
        gnutls_free (dn.data);
      }
  }
  if (nonce != NULL)
    {
      ret = gnutls_ocsp_resp_get_nonce (resp, &critical, &got);
      /* A responder that does not echo the nonce is common (pre-signed
       * answers); one that echoes another is answering someone else. */
      if (ret >= 0 && (got.size != g_bytes_get_size (nonce)
                       || memcmp (got.data, g_bytes_get_data (nonce, NULL), got.size) != 0))
        {
          invalid (a, g_strdup (_("The OCSP answer carries another request's nonce: it is a replay or an "
                                  "answer to someone else.")));
          goto out;
        }
    }
  {
    unsigned cert_status = 0, reason = 0;
    time_t this_update = -1, next_update = -1, revoked_at = -1;

    ret = gnutls_ocsp_resp_get_single (resp, idx, NULL, NULL, NULL, NULL, &cert_status, &this_update,
                                       &next_update, &revoked_at, &reason);
    if (ret < 0)
      {
        invalid (a, g_strdup_printf (_("The OCSP answer cannot be read (%s)."), gnutls_strerror (ret)));
        goto out;
      }
    a->this_update = this_update;
    a->next_update = next_update == (time_t) -1 ? -1 : next_update;
    if (!check_times (a, now, _("OCSP answer")))
      goto out;
    switch (cert_status)
      {
      case GNUTLS_OCSP_CERT_GOOD:
        a->status = SD_REVOCATION_GOOD;
        break;
      case GNUTLS_OCSP_CERT_REVOKED:
        a->status = SD_REVOCATION_REVOKED;
        a->revoked_at = revoked_at;
        a->reason = g_strdup (reason_name (reason));
        break;
      default:
        a->status = SD_REVOCATION_UNKNOWN;
        a->problem = g_strdup (_("The OCSP responder does not know this certificate."));
        break;
      }
  }

out:
  gnutls_free (got.data);
  gnutls_ocsp_resp_deinit (resp);
}

static GBytes *
issuer_if (const gnutls_datum_t *der, gnutls_x509_crt_t crt)
{
  gnutls_x509_crt_t cand = NULL;
  GBytes *out = NULL;
  unsigned verify = 0;

  if (gnutls_x509_crt_init (&cand) < 0)
    return NULL;
  /* The name must match and the signature must verify: a caIssuers URL
   * can serve anything. */
  if (gnutls_x509_crt_import (cand, der, GNUTLS_X509_FMT_DER) >= 0 && gnutls_x509_crt_check_issuer (crt, cand)
      && gnutls_x509_crt_verify (crt, &cand, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS
                                 | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1,
                                 &verify) >= 0
      && verify == 0)
    out = g_bytes_new (der->data, der->size);
  gnutls_x509_crt_deinit (cand);
  return out;
}

GBytes *
sd_revocation_find_issuer (const guint8      *data,
                           gsize              len,
                           gnutls_x509_crt_t  crt)
{
  gnutls_datum_t in = { (unsigned char *) data, (unsigned) len };
  gnutls_x509_crt_t *list = NULL;
  unsigned n = 0;
  gnutls_pkcs7_t p7 = NULL;
  GBytes *out = NULL;

  if (len == 0 || len > G_MAXUINT)
    return NULL;

  if (looks_pem (data, len))
    {
      if (gnutls_x509_crt_list_import2 (&list, &n, &in, GNUTLS_X509_FMT_PEM, 0) >= 0)
        {
          for (unsigned i = 0; i < n; i++)
            {
              gnutls_datum_t der = { NULL, 0 };

              if (out == NULL && i < MAX_BUNDLE_CERTS && gnutls_x509_crt_export2 (list[i], GNUTLS_X509_FMT_DER, &der) >= 0)
                {
                  out = issuer_if (&der, crt);
                  gnutls_free (der.data);
                }
              gnutls_x509_crt_deinit (list[i]);
            }
          gnutls_free (list);
        }
      if (out != NULL)
        return out;
    }

  out = issuer_if (&in, crt);
  if (out != NULL)
    return out;

  /* A certs-only PKCS #7 bundle (.p7c), as Windows CAs publish. */
  if (gnutls_pkcs7_init (&p7) >= 0)
    {
      if (gnutls_pkcs7_import (p7, &in, looks_pem (data, len) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER) >= 0)
        {
          int count = gnutls_pkcs7_get_crt_count (p7);

          for (int i = 0; i < count && i < MAX_BUNDLE_CERTS && out == NULL; i++)
            {
              gnutls_datum_t der = { NULL, 0 };

              if (gnutls_pkcs7_get_crt_raw2 (p7, i, &der) >= 0)
                {
                  out = issuer_if (&der, crt);
                  gnutls_free (der.data);
                }
            }
        }
      gnutls_pkcs7_deinit (p7);
    }
  return out;
}
