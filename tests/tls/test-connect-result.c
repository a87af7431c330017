/* test-connect-result.c: the connect step's result words (the report's
 * data.attempts[].result) and their wording for people.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-connect-result"

#include "sipdoctor.h"

static const struct {
  SdConnectResult result;
  const char     *word;
} words[] = {
  { SD_CONNECT_RESULT_PENDING, "pending" },
  { SD_CONNECT_RESULT_OK, "ok" },
  { SD_CONNECT_RESULT_REFUSED, "refused" },
  { SD_CONNECT_RESULT_TIMEOUT, "timeout" },
  { SD_CONNECT_RESULT_UNREACHABLE, "unreachable" },
  { SD_CONNECT_RESULT_ERROR, "error" },
  { SD_CONNECT_RESULT_LOCAL, "local" },
  { SD_CONNECT_RESULT_SKIPPED, "skipped" },
  { SD_CONNECT_RESULT_UNRESOLVED, "unresolved" },
  { SD_CONNECT_RESULT_NOT_TRIED, "not-tried" },
  { SD_CONNECT_RESULT_NOT_NEEDED, "not-needed" },
};

static void
test_words (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      g_assert_cmpstr (sd_connect_result_to_string (words[i].result), ==, words[i].word);
      g_assert_cmpint (sd_connect_result_from_string (words[i].word), ==, words[i].result);
    }
  g_assert_cmpint (sd_connect_result_from_string (NULL), ==, SD_CONNECT_RESULT_PENDING);
  g_assert_cmpint (sd_connect_result_from_string ("a-word-of-a-later-version"), ==, SD_CONNECT_RESULT_ERROR);
}

static void
test_describe (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  /* One wording per result, none empty, none shared: the wizard shows them side by side. */
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      const char *text = sd_connect_result_describe (words[i].result);

      g_assert_nonnull (text);
      g_assert_cmpuint (strlen (text), >, 0);
      g_assert_false (g_hash_table_contains (seen, text));
      g_hash_table_add (seen, (gpointer) text);
    }
  g_assert_cmpstr (sd_connect_result_describe (SD_CONNECT_RESULT_REFUSED), ==, "connection refused");
}

int
main (int argc, char **argv)
{
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/connect-result/words", test_words);
  g_test_add_func ("/connect-result/describe", test_describe);
  return g_test_run ();
}
