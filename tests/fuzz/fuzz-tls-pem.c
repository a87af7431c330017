/* fuzz-tls-pem.c: the trust-store indexer on any bytes: as a PEM bundle,
 * each block's DER walked to its subject, and the bytes themselves as DER.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-tls-pem.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
walk (const guint8 *der, gsize len)
{
  const guint8 *subject = NULL;
  gsize subject_len = 0;

  if (sd_tls_der_subject (der, len, &subject, &subject_len))
    {
      /* Inside the input, a whole SEQUENCE element. */
      g_assert_true (subject >= der && subject_len >= 2 && subject_len <= len
                     && (gsize) (subject - der) <= len - subject_len);
      g_assert_cmpuint (subject[0], ==, 0x30);
    }
}

static void
each (GBytes *der, gpointer user_data)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (der, &len);

  g_assert_cmpuint (len, >, 0);
  /* base64 makes at most 3 bytes of 4 characters. */
  g_assert_cmpuint (len, <=, GPOINTER_TO_SIZE (user_data) / 4 * 3 + 3);
  walk (d, len);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  guint n;

  walk (data, size);
  n = sd_tls_pem_foreach_cert ((const char *) data, size, 64, each, GSIZE_TO_POINTER (size));
  g_assert_cmpuint (n, <=, 64);
  return 0;
}
