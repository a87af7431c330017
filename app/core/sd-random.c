/* sd-random.c: unpredictable bytes for protocol identifiers (sd-random.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-random"

#include <string.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include "sd-random.h"

void
sd_random_bytes (void *buffer, gsize length)
{
  int ret;

  if (length == 0)
    return;
  /* GNUTLS_RND_NONCE: unpredictable, which is all an identifier needs;
   * it is also what GnuTLS uses for its own protocol nonces. */
  ret = gnutls_rnd (GNUTLS_RND_NONCE, buffer, length);
  if (ret < 0)
    g_error ("The system's random generator failed: %s", gnutls_strerror (ret));
}

char *
sd_random_hex (guint bytes)
{
  static const char digits[] = "0123456789abcdef";
  g_autofree guint8 *raw = g_malloc (MAX (bytes, 1));
  char *out = g_malloc ((gsize) bytes * 2 + 1);

  sd_random_bytes (raw, bytes);
  for (guint i = 0; i < bytes; i++)
    {
      out[2 * i] = digits[raw[i] >> 4];
      out[2 * i + 1] = digits[raw[i] & 0x0f];
    }
  out[(gsize) bytes * 2] = '\0';
  explicit_bzero (raw, bytes);
  return out;
}

guint32
sd_random_u32 (guint32 bound)
{
  guint32 limit, value;

  if (bound == 0)
    return 0;
  /* Rejects the top partial range, so every result is equally likely. */
  limit = G_MAXUINT32 - (G_MAXUINT32 % bound);
  do
    sd_random_bytes (&value, sizeof value);
  while (value >= limit);
  return value % bound;
}
