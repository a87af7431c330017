/* test-random.c: the cryptographic random helper (sd-random.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-random"

#include <string.h>
#include <glib.h>
#include "sd-random.h"
#include "sd-sip-message.h"

static gboolean
is_lower_hex (const char *s)
{
  for (; *s != '\0'; s++)
    if (!g_ascii_isxdigit (*s) || g_ascii_isupper (*s))
      return FALSE;
  return TRUE;
}

static void
test_hex (void)
{
  static const guint lengths[] = { 0, 1, 8, 16, 100 };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autofree char *a = sd_random_hex (lengths[i]);
      g_autofree char *b = sd_random_hex (lengths[i]);

      g_assert_cmpuint (strlen (a), ==, lengths[i] * 2);
      g_assert_true (is_lower_hex (a));
      /* 2^-64 and less: two equal draws mean a broken generator. */
      if (lengths[i] >= 8)
        g_assert_cmpstr (a, !=, b);
    }
}

static void
test_bytes (void)
{
  guint8 a[32], b[32], zero[32] = { 0 };
  guint8 guard[40];

  sd_random_bytes (a, sizeof a);
  sd_random_bytes (b, sizeof b);
  g_assert_true (memcmp (a, b, sizeof a) != 0);
  g_assert_true (memcmp (a, zero, sizeof a) != 0);

  /* Exactly the bytes asked for, not one more. */
  memset (guard, 0x5a, sizeof guard);
  sd_random_bytes (guard, 8);
  for (guint i = 8; i < sizeof guard; i++)
    g_assert_cmpuint (guard[i], ==, 0x5a);
  sd_random_bytes (guard, 0);
}

static void
test_u32 (void)
{
  gboolean seen[10] = { FALSE };
  guint distinct = 0;

  g_assert_cmpuint (sd_random_u32 (0), ==, 0);
  g_assert_cmpuint (sd_random_u32 (1), ==, 0);
  for (guint i = 0; i < 2000; i++)
    {
      guint32 v = sd_random_u32 (10);
      g_assert_cmpuint (v, <, 10);
      seen[v] = TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (seen); i++)
    distinct += seen[i];
  /* Missing one of ten values in 2000 draws: about 10 × 0.9^2000. */
  g_assert_cmpuint (distinct, ==, 10);
  for (guint i = 0; i < 1000; i++)
    g_assert_cmpuint (sd_random_u32 (65536), <, 65536);
  g_assert_cmpuint (sd_random_u32 (G_MAXUINT32), <, G_MAXUINT32);
}

static void
test_sip_tokens (void)
{
  g_autofree char *t1 = sd_sip_random_token (16);
  g_autofree char *t2 = sd_sip_random_token (16);
  g_autofree char *branch = sd_sip_new_branch ();

  g_assert_cmpuint (strlen (t1), ==, 32);
  g_assert_true (is_lower_hex (t1));
  g_assert_cmpstr (t1, !=, t2);
  g_assert_true (g_str_has_prefix (branch, "z9hG4bK"));
  g_assert_cmpuint (strlen (branch), ==, 7 + 20);
  g_assert_true (is_lower_hex (branch + 7));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/random/hex", test_hex);
  g_test_add_func ("/random/bytes", test_bytes);
  g_test_add_func ("/random/u32", test_u32);
  g_test_add_func ("/random/sip-tokens", test_sip_tokens);
  return g_test_run ();
}
