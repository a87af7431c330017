/* sd-cert-info.c: X.509 certificate details with GnuTLS (see sd-cert-info.h).
 *
 * Everything read from the certificate is untrusted bytes: strings are made
 * valid UTF-8 before they reach the report, and every length comes from
 * GnuTLS, never from a terminator in the data.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-cert-info"

#include <string.h>
#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include "sd-cert-info.h"
#include "sd-error.h"

/* Bounds on what one certificate may make us collect. */
#define MAX_ITEMS 256

/* All @len bytes, as valid UTF-8: a NUL or another control byte becomes
 * "\xNN", visible, instead of ending the string early (a name
 * "sip.example.test\0.attacker.test" must not read as "sip.example.test").
 * Sets *@escaped when a byte was escaped. */
static char *
text_of (const void *data, gsize len, gboolean *escaped)
{
  const guchar *p = data;
  g_autoptr(GString) s = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      if (p[i] < 0x20 || p[i] == 0x7f)
        {
          g_string_append_printf (s, "\\x%02x", p[i]);
          if (escaped != NULL)
            *escaped = TRUE;
        }
      else
        g_string_append_c (s, (char) p[i]);
    }
  return g_utf8_make_valid (s->str, (gssize) s->len);
}

static char *
utf8_of (const void *data, gsize len)
{
  return text_of (data, len, NULL);
}

/* A name holding a NUL or another control byte is no valid name: it goes
 * into the list, shown with its escapes, and (as sd-tls-names refuses
 * such names) never matches anything. */
static char *
name_of (const void *data, gsize len, GPtrArray *invalid)
{
  gboolean escaped = FALSE;
  char *name = text_of (data, len, &escaped);

  if (escaped && invalid != NULL && !g_ptr_array_find_with_equal_func (invalid, name, g_str_equal, NULL))
    g_ptr_array_add (invalid, g_strdup (name));
  return name;
}

static char *
dn_string (gnutls_x509_crt_t crt, gboolean issuer)
{
  gnutls_datum_t d = { NULL, 0 };
  int ret = issuer ? gnutls_x509_crt_get_issuer_dn3 (crt, &d, 0)
                   : gnutls_x509_crt_get_dn3 (crt, &d, 0);
  char *out;

  if (ret < 0)
    return g_strdup ("");
  out = utf8_of (d.data, d.size);
  gnutls_free (d.data);
  return out;
}

/* GnuTLS gives a value it cannot print (a NUL in it, say) in RFC 4514's
 * "#<hex of the DER>" form, which no person reads as the name it claims to
 * be: read the DER string itself (@der, @len: tag, length, bytes) instead. */
static char *
der_string_text (const guchar *der, gsize len, gboolean *escaped)
{
  gsize n, start = 2;

  if (len < 2)
    return NULL;
  n = der[1];
  if (n & 0x80)
    {
      gsize k = n & 0x7f;
      if (k == 0 || k > 2 || len < 2 + k)
        return NULL;
      n = 0;
      for (gsize i = 0; i < k; i++)
        n = (n << 8) | der[2 + i];
      start += k;
    }
  if (n > len - start)
    return NULL;
  switch (der[0])
    {
    case 0x0c: /* UTF8String */
    case 0x13: /* PrintableString */
    case 0x14: /* TeletexString */
    case 0x16: /* IA5String */
    case 0x1a: /* VisibleString */
      return text_of (der + start, n, escaped);
    case 0x1e: /* BMPString */
    case 0x1c: /* UniversalString */
      {
        gsize utf8_len = 0;
        /* The length written, not a terminator: an encoded NUL stays in. */
        g_autofree char *utf8 = g_convert ((const char *) der + start, (gssize) n, "UTF-8",
                                           der[0] == 0x1e ? "UTF-16BE" : "UTF-32BE", NULL, &utf8_len, NULL);

        return utf8 != NULL ? text_of (utf8, utf8_len, escaped) : NULL;
      }
    default:
      return NULL;
    }
}

static char *
cn_text (gnutls_x509_crt_t crt, unsigned idx, const char *printed, gsize size, gboolean *escaped)
{
  if (size > 0 && printed[0] == '#')
    {
      size_t raw_size = 0;
      g_autofree guchar *raw = NULL;

      if (gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, idx, 1, NULL, &raw_size)
            == GNUTLS_E_SHORT_MEMORY_BUFFER
          && raw_size <= 65536)
        {
          raw = g_malloc0 (raw_size + 1);
          if (gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, idx, 1, raw, &raw_size) >= 0)
            {
              char *text = der_string_text (raw, raw_size, escaped);
              if (text != NULL)
                return text;
            }
        }
    }
  return text_of (printed, size, escaped);
}

static char *
last_cn (gnutls_x509_crt_t crt, GPtrArray *invalid)
{
  char *found = NULL;
  gboolean found_invalid = FALSE;

  for (unsigned idx = 0; idx < MAX_ITEMS; idx++)
    {
      size_t size = 0;
      g_autofree char *buf = NULL;
      int ret = gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, idx, 0, NULL, &size);

      if (ret != GNUTLS_E_SHORT_MEMORY_BUFFER || size > 65536)
        break;
      /* Room for the terminator GnuTLS may add; the length it reports is the name's. */
      buf = g_malloc0 (size + 1);
      ret = gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, idx, 0, buf, &size);
      if (ret < 0)
        break;
      g_free (found);
      found_invalid = FALSE;
      found = cn_text (crt, idx, buf, size, &found_invalid);
    }
  if (found_invalid && !g_ptr_array_find_with_equal_func (invalid, found, g_str_equal, NULL))
    g_ptr_array_add (invalid, g_strdup (found));
  return found;
}

static char *
hex_colon (const guint8 *data, gsize len, gboolean upper, gboolean colons)
{
  GString *s = g_string_sized_new (len * 3);

  for (gsize i = 0; i < len; i++)
    {
      if (colons && i > 0)
        g_string_append_c (s, ':');
      g_string_append_printf (s, upper ? "%02X" : "%02x", data[i]);
    }
  return g_string_free (s, FALSE);
}

static char *
fingerprint (GBytes *der, GChecksumType type)
{
  g_autoptr(GChecksum) sum = g_checksum_new (type);
  guint8 digest[64];
  gsize len = sizeof digest;
  gsize dlen;
  const guint8 *d = g_bytes_get_data (der, &dlen);

  g_checksum_update (sum, d, (gssize) dlen);
  g_checksum_get_digest (sum, digest, &len);
  return hex_colon (digest, len, TRUE, TRUE);
}

static void
read_sans (SdCertInfo *info, GPtrArray *invalid)
{
  g_autoptr(GPtrArray) dns = g_ptr_array_new ();
  g_autoptr(GPtrArray) ip = g_ptr_array_new ();
  g_autoptr(GPtrArray) uri = g_ptr_array_new ();

  for (unsigned seq = 0; seq < MAX_ITEMS; seq++)
    {
      size_t size = 0;
      unsigned type = 0;
      g_autofree guint8 *buf = NULL;
      int ret = gnutls_x509_crt_get_subject_alt_name2 (info->crt, seq, NULL, &size, &type, NULL);

      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret != GNUTLS_E_SHORT_MEMORY_BUFFER || size > 65536)
        continue;
      buf = g_malloc0 (size + 1);
      ret = gnutls_x509_crt_get_subject_alt_name2 (info->crt, seq, buf, &size, &type, NULL);
      if (ret < 0)
        continue;
      switch (ret)
        {
        case GNUTLS_SAN_DNSNAME:
          g_ptr_array_add (dns, name_of (buf, size, invalid));
          break;
        case GNUTLS_SAN_URI:
          g_ptr_array_add (uri, name_of (buf, size, invalid));
          break;
        case GNUTLS_SAN_IPADDRESS:
          if (size == 4 || size == 16)
            {
              g_autoptr(GInetAddress) a =
                g_inet_address_new_from_bytes (buf, size == 4 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
              g_ptr_array_add (ip, g_inet_address_to_string (a));
            }
          break;
        default:
          break;
        }
    }
  g_ptr_array_add (dns, NULL);
  g_ptr_array_add (ip, NULL);
  g_ptr_array_add (uri, NULL);
  info->san_dns = (char **) g_ptr_array_steal (dns, NULL);
  info->san_ip = (char **) g_ptr_array_steal (ip, NULL);
  info->san_uri = (char **) g_ptr_array_steal (uri, NULL);
}

static const char *
key_type_name (int algo)
{
  switch (algo)
    {
    case GNUTLS_PK_RSA:            return "RSA";
    case GNUTLS_PK_RSA_PSS:        return "RSA-PSS";
    case GNUTLS_PK_DSA:            return "DSA";
    case GNUTLS_PK_ECDSA:          return "EC";
    case GNUTLS_PK_EDDSA_ED25519:  return "Ed25519";
    case GNUTLS_PK_EDDSA_ED448:    return "Ed448";
    default:
      {
        const char *n = gnutls_pk_algorithm_get_name ((gnutls_pk_algorithm_t) algo);
        return n != NULL ? n : "unknown";
      }
    }
}

static char **
key_usage_names (gnutls_x509_crt_t crt)
{
  static const struct { unsigned bit; const char *name; } bits[] = {
    { GNUTLS_KEY_DIGITAL_SIGNATURE, "digitalSignature" },
    { GNUTLS_KEY_NON_REPUDIATION, "nonRepudiation" },
    { GNUTLS_KEY_KEY_ENCIPHERMENT, "keyEncipherment" },
    { GNUTLS_KEY_DATA_ENCIPHERMENT, "dataEncipherment" },
    { GNUTLS_KEY_KEY_AGREEMENT, "keyAgreement" },
    { GNUTLS_KEY_KEY_CERT_SIGN, "keyCertSign" },
    { GNUTLS_KEY_CRL_SIGN, "cRLSign" },
    { GNUTLS_KEY_ENCIPHER_ONLY, "encipherOnly" },
    { GNUTLS_KEY_DECIPHER_ONLY, "decipherOnly" },
  };
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  unsigned usage = 0, critical = 0;

  if (gnutls_x509_crt_get_key_usage (crt, &usage, &critical) >= 0)
    for (guint i = 0; i < G_N_ELEMENTS (bits); i++)
      if (usage & bits[i].bit)
        g_strv_builder_add (b, bits[i].name);
  return g_strv_builder_end (b);
}

static char **
eku_names (gnutls_x509_crt_t crt)
{
  static const struct { const char *oid; const char *name; } known[] = {
    { "1.3.6.1.5.5.7.3.1", "serverAuth" },
    { "1.3.6.1.5.5.7.3.2", "clientAuth" },
    { "1.3.6.1.5.5.7.3.3", "codeSigning" },
    { "1.3.6.1.5.5.7.3.4", "emailProtection" },
    { "1.3.6.1.5.5.7.3.8", "timeStamping" },
    { "1.3.6.1.5.5.7.3.9", "OCSPSigning" },
    { "1.3.6.1.5.5.7.3.20", "sipDomain" },
    { "2.5.29.37.0", "anyExtendedKeyUsage" },
  };
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (unsigned idx = 0; idx < MAX_ITEMS; idx++)
    {
      char oid[256];
      size_t size = sizeof oid;
      unsigned critical = 0;
      const char *name = NULL;
      g_autofree char *text = NULL;
      int ret = gnutls_x509_crt_get_key_purpose_oid (crt, idx, oid, &size, &critical);

      if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
        continue;
      if (ret < 0)
        break;
      text = utf8_of (oid, strnlen (oid, MIN (size, sizeof oid)));
      for (guint i = 0; i < G_N_ELEMENTS (known); i++)
        if (g_str_equal (text, known[i].oid))
          name = known[i].name;
      g_strv_builder_add (b, name != NULL ? name : text);
    }
  return g_strv_builder_end (b);
}

static char *
ca_issuers_url (gnutls_x509_crt_t crt)
{
  for (unsigned seq = 0; seq < 32; seq++)
    {
      gnutls_datum_t d = { NULL, 0 };
      unsigned critical = 0;
      int ret = gnutls_x509_crt_get_authority_info_access (crt, seq, GNUTLS_IA_CAISSUERS_URI, &d, &critical);
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret < 0)
        continue;
      {
        char *url = utf8_of (d.data, d.size);
        gnutls_free (d.data);
        return url;
      }
    }
  return NULL;
}

/* Only the signature is in question here: whether the issuer may issue,
 * dates and weak-but-real algorithms are each judged (and reported) on
 * their own. The weak algorithms are allowed so that their signatures are
 * computed and checked, not skipped. */
static const unsigned verify_signature_only = GNUTLS_VERIFY_DISABLE_TIME_CHECKS
                                              | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS
                                              | GNUTLS_VERIFY_DISABLE_CA_SIGN
                                              | GNUTLS_VERIFY_ALLOW_SIGN_RSA_MD5
                                              | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1
                                              | GNUTLS_VERIFY_ALLOW_BROKEN
                                              | GNUTLS_VERIFY_DISABLE_CRL_CHECKS;

gboolean
sd_cert_info_issued_by (const SdCertInfo *info, const SdCertInfo *issuer)
{
  unsigned status = 0;
  gnutls_x509_crt_t ca = issuer->crt;

  if (!gnutls_x509_crt_check_issuer (info->crt, issuer->crt))
    return FALSE;
  if (gnutls_x509_crt_verify (info->crt, &ca, 1, verify_signature_only, &status) < 0)
    return FALSE;
  /* Any bit at all: GnuTLS sets GNUTLS_CERT_INVALID alone when it did not
   * check the signature (an unknown or refused algorithm). */
  return status == 0;
}

GPtrArray *
sd_cert_info_chain_from_tls (GTlsCertificate *peer, guint max, const char *from)
{
  GPtrArray *chain = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_cert_info_free);

  for (GTlsCertificate *c = peer; c != NULL && chain->len < max; c = g_tls_certificate_get_issuer (c))
    {
      g_autoptr(GByteArray) der = NULL;
      g_autoptr(GError) error = NULL;
      SdCertInfo *info;

      g_object_get (c, "certificate", &der, NULL);
      if (der == NULL)
        break;
      info = sd_cert_info_new_from_der (der->data, der->len, &error);
      if (info == NULL)
        {
          g_debug ("Unreadable certificate from %s: %s", from, error->message);
          continue;
        }
      g_ptr_array_add (chain, info);
    }
  return chain;
}

SdCertInfo *
sd_cert_info_new_from_der (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(SdCertInfo) info = g_new0 (SdCertInfo, 1);
  gnutls_datum_t datum = { (unsigned char *) data, (unsigned) len };
  gnutls_datum_t pem = { NULL, 0 };
  guint8 serial[64];
  size_t serial_size = sizeof serial;
  unsigned bits = 0, critical = 0, ca = 0;
  int algo, sign, ret, pathlen = -1;
  time_t t;
  g_autoptr(GPtrArray) invalid = NULL;

  info->not_before = info->not_after = -1;
  info->path_len = -1;
  if (len == 0 || len > G_MAXINT || gnutls_x509_crt_init (&info->crt) < 0)
    {
      g_set_error_literal (error, SD_ERROR, SD_ERROR_INVALID_INPUT, "not a certificate");
      return NULL;
    }
  ret = gnutls_x509_crt_import (info->crt, &datum, GNUTLS_X509_FMT_DER);
  if (ret < 0)
    {
      g_set_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT, "not a certificate: %s", gnutls_strerror (ret));
      return NULL;
    }
  info->der = g_bytes_new (data, len);
  info->subject = dn_string (info->crt, FALSE);
  info->issuer = dn_string (info->crt, TRUE);
  invalid = g_ptr_array_new ();
  info->cn = last_cn (info->crt, invalid);
  if (gnutls_x509_crt_get_serial (info->crt, serial, &serial_size) >= 0 && serial_size <= sizeof serial)
    info->serial = hex_colon (serial, serial_size, FALSE, FALSE);
  else
    info->serial = g_strdup ("");
  t = gnutls_x509_crt_get_activation_time (info->crt);
  info->not_before = t == (time_t) -1 ? -1 : (gint64) t;
  t = gnutls_x509_crt_get_expiration_time (info->crt);
  info->not_after = t == (time_t) -1 ? -1 : (gint64) t;
  read_sans (info, invalid);
  g_ptr_array_add (invalid, NULL);
  info->invalid_names = (char **) g_ptr_array_steal (invalid, NULL);

  algo = gnutls_x509_crt_get_pk_algorithm (info->crt, &bits);
  info->key_type = g_strdup (algo < 0 ? "unknown" : key_type_name (algo));
  info->key_bits = bits;

  sign = gnutls_x509_crt_get_signature_algorithm (info->crt);
  if (sign >= 0 && gnutls_sign_get_name ((gnutls_sign_algorithm_t) sign) != NULL)
    {
      gnutls_digest_algorithm_t dig = gnutls_sign_get_hash_algorithm ((gnutls_sign_algorithm_t) sign);
      info->signature_algorithm = g_strdup (gnutls_sign_get_name ((gnutls_sign_algorithm_t) sign));
      info->weak_signature = dig == GNUTLS_DIG_MD5 || dig == GNUTLS_DIG_SHA1 || dig == GNUTLS_DIG_MD2;
    }
  else
    {
      char oid[128];
      size_t size = sizeof oid;
      if (gnutls_x509_crt_get_signature_oid (info->crt, oid, &size) >= 0)
        info->signature_algorithm = utf8_of (oid, strnlen (oid, MIN (size, sizeof oid)));
      else
        info->signature_algorithm = g_strdup ("unknown");
    }

  info->sha256 = fingerprint (info->der, G_CHECKSUM_SHA256);
  info->sha1 = fingerprint (info->der, G_CHECKSUM_SHA1);

  if (gnutls_x509_crt_get_basic_constraints (info->crt, &critical, &ca, &pathlen) >= 0)
    {
      info->is_ca = ca != 0;
      info->path_len = ca != 0 && pathlen >= 0 ? pathlen : -1;
    }
  info->key_usage = key_usage_names (info->crt);
  info->extended_key_usage = eku_names (info->crt);
  info->self_issued = gnutls_x509_crt_check_issuer (info->crt, info->crt) != 0;
  info->self_signed = info->self_issued && sd_cert_info_issued_by (info, info);
  info->ca_issuers_url = ca_issuers_url (info->crt);

  if (gnutls_pem_base64_encode2 ("CERTIFICATE", &datum, &pem) >= 0)
    {
      info->pem = g_strndup ((const char *) pem.data, pem.size);
      gnutls_free (pem.data);
    }
  else
    info->pem = g_strdup ("");

  return g_steal_pointer (&info);
}

void
sd_cert_info_free (SdCertInfo *info)
{
  if (info == NULL)
    return;
  if (info->crt != NULL)
    gnutls_x509_crt_deinit (info->crt);
  g_clear_pointer (&info->der, g_bytes_unref);
  g_free (info->subject);
  g_free (info->issuer);
  g_free (info->cn);
  g_free (info->serial);
  g_strfreev (info->san_dns);
  g_strfreev (info->san_ip);
  g_strfreev (info->san_uri);
  g_strfreev (info->invalid_names);
  g_free (info->key_type);
  g_free (info->signature_algorithm);
  g_free (info->sha256);
  g_free (info->sha1);
  g_strfreev (info->key_usage);
  g_strfreev (info->extended_key_usage);
  g_free (info->ca_issuers_url);
  g_free (info->pem);
  g_free (info);
}

void
sd_cert_info_get_names (const SdCertInfo *info, SdCertNames *names)
{
  names->dns = (const char *const *) info->san_dns;
  names->ip = (const char *const *) info->san_ip;
  names->uri = (const char *const *) info->san_uri;
  names->cn = info->cn;
}

char *
sd_format_time_iso (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = unix_time < 0 ? NULL : g_date_time_new_from_unix_utc (unix_time);

  if (dt == NULL)
    return NULL;
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

JsonArray *
sd_json_strv_array (char **v)
{
  JsonArray *a = json_array_new ();
  for (guint i = 0; v != NULL && v[i] != NULL; i++)
    json_array_add_string_element (a, v[i]);
  return a;
}

void
sd_json_set_time (JsonObject *o, const char *member, gint64 t)
{
  g_autofree char *s = sd_format_time_iso (t);
  if (s != NULL)
    json_object_set_string_member (o, member, s);
  else
    json_object_set_null_member (o, member);
}

JsonObject *
sd_cert_info_to_json (const SdCertInfo *info)
{
  JsonObject *o = json_object_new ();
  JsonObject *san = json_object_new ();
  JsonObject *key = json_object_new ();

  json_object_set_string_member (o, "subject", info->subject);
  json_object_set_string_member (o, "issuer", info->issuer);
  if (info->cn != NULL)
    json_object_set_string_member (o, "common_name", info->cn);
  else
    json_object_set_null_member (o, "common_name");
  json_object_set_string_member (o, "serial", info->serial);
  sd_json_set_time (o, "not_before", info->not_before);
  sd_json_set_time (o, "not_after", info->not_after);
  json_object_set_array_member (san, "dns", sd_json_strv_array (info->san_dns));
  json_object_set_array_member (san, "ip", sd_json_strv_array (info->san_ip));
  json_object_set_array_member (san, "uri", sd_json_strv_array (info->san_uri));
  json_object_set_object_member (o, "san", san);
  json_object_set_array_member (o, "invalid_names", sd_json_strv_array (info->invalid_names));
  json_object_set_string_member (key, "type", info->key_type);
  json_object_set_int_member (key, "bits", info->key_bits);
  json_object_set_object_member (o, "key", key);
  json_object_set_string_member (o, "signature_algorithm", info->signature_algorithm);
  json_object_set_string_member (o, "sha256", info->sha256);
  json_object_set_string_member (o, "sha1", info->sha1);
  json_object_set_boolean_member (o, "is_ca", info->is_ca);
  if (info->path_len >= 0)
    json_object_set_int_member (o, "path_len", info->path_len);
  else
    json_object_set_null_member (o, "path_len");
  json_object_set_array_member (o, "key_usage", sd_json_strv_array (info->key_usage));
  json_object_set_array_member (o, "extended_key_usage", sd_json_strv_array (info->extended_key_usage));
  json_object_set_boolean_member (o, "self_signed", info->self_signed);
  if (info->ca_issuers_url != NULL)
    json_object_set_string_member (o, "ca_issuers_url", info->ca_issuers_url);
  json_object_set_string_member (o, "pem", info->pem);
  return o;
}
