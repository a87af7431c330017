/* sd-tls-pem.c: certificates in a PEM bundle, indexed cheaply (see
 * sd-tls-pem.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-tls-pem"

#include <string.h>
#include "sd-tls-pem.h"

#define DER_SEQUENCE 0x30
#define DER_INTEGER  0x02
#define DER_VERSION  0xa0  /* [0] EXPLICIT, constructed */

/* One DER element at @p, at most @len bytes: its tag, the size of its tag
 * and length, and of its contents, which fit in @len. */
static gboolean
der_element (const guint8 *p, gsize len, guint8 *tag, gsize *header, gsize *content_len)
{
  gsize value = 0;

  if (len < 2 || (p[0] & 0x1f) == 0x1f)
    return FALSE;
  *tag = p[0];
  if (p[1] < 0x80)
    {
      value = p[1];
      *header = 2;
    }
  else
    {
      gsize n = p[1] & 0x7f;

      /* 0x80 is BER's indefinite length; more than 4 bytes is no certificate. */
      if (n == 0 || n > 4 || len - 2 < n)
        return FALSE;
      for (gsize k = 0; k < n; k++)
        value = (value << 8) | p[2 + k];
      *header = 2 + n;
    }
  if (value > len - *header)
    return FALSE;
  *content_len = value;
  return TRUE;
}

gboolean
sd_tls_der_subject (const guint8  *der,
                    gsize          len,
                    const guint8 **subject,
                    gsize         *subject_len)
{
  /* tbsCertificate's elements up to the subject: version (optional),
   * serialNumber, signature, issuer, validity, subject. */
  static const guint8 expected[] = { DER_INTEGER, DER_SEQUENCE, DER_SEQUENCE, DER_SEQUENCE, DER_SEQUENCE };
  guint8 tag;
  gsize header, size;
  const guint8 *p, *end;
  guint k = 0;

  g_return_val_if_fail (subject != NULL && subject_len != NULL, FALSE);
  if (der == NULL)
    return FALSE;
  /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } */
  if (!der_element (der, len, &tag, &header, &size) || tag != DER_SEQUENCE)
    return FALSE;
  p = der + header;
  if (!der_element (p, size, &tag, &header, &size) || tag != DER_SEQUENCE)
    return FALSE;
  p += header;
  end = p + size;

  if (!der_element (p, (gsize) (end - p), &tag, &header, &size))
    return FALSE;
  if (tag == DER_VERSION)
    {
      p += header + size;
      if (!der_element (p, (gsize) (end - p), &tag, &header, &size))
        return FALSE;
    }
  for (;;)
    {
      if (tag != expected[k])
        return FALSE;
      if (k == G_N_ELEMENTS (expected) - 1)
        break;
      p += header + size;
      k++;
      if (!der_element (p, (gsize) (end - p), &tag, &header, &size))
        return FALSE;
    }
  *subject = p;
  *subject_len = header + size;
  return TRUE;
}

/* @needle in [@p, @end), or NULL. */
static const char *
find (const char *p, const char *end, const char *needle)
{
  gsize n = strlen (needle);

  for (; (gsize) (end - p) >= n; p++)
    {
      p = memchr (p, needle[0], (gsize) (end - p) - n + 1);
      if (p == NULL)
        return NULL;
      if (memcmp (p, needle, n) == 0)
        return p;
    }
  return NULL;
}

guint
sd_tls_pem_foreach_cert (const char    *text,
                         gsize          len,
                         guint          max,
                         SdPemCertFunc  func,
                         gpointer       user_data)
{
  static const char *const kinds[] = { "CERTIFICATE-----", "X509 CERTIFICATE-----" };
  const char *p = text;
  const char *end = text + len;
  guint given = 0;

  g_return_val_if_fail (func != NULL, 0);
  if (text == NULL)
    return 0;
  while (given < max && (p = find (p, end, "-----BEGIN ")) != NULL)
    {
      const char *label = p + strlen ("-----BEGIN ");
      const char *body = NULL;
      const char *stop;

      for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
        if ((gsize) (end - label) >= strlen (kinds[i]) && memcmp (label, kinds[i], strlen (kinds[i])) == 0)
          body = label + strlen (kinds[i]);
      if (body == NULL)
        {
          p = label;
          continue;
        }
      stop = find (body, end, "-----END ");
      if (stop == NULL)
        break;
      {
        gsize n = (gsize) (stop - body);
        guint8 *der = g_malloc (n / 4 * 3 + 3);
        gint state = 0;
        guint save = 0;
        gsize out = g_base64_decode_step (body, n, der, &state, &save);
        g_autoptr(GBytes) bytes = g_bytes_new_take (der, out);

        if (out > 0)
          {
            func (bytes, user_data);
            given++;
          }
      }
      p = stop + strlen ("-----END ");
    }
  return given;
}
