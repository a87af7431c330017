/* test-display-text.c: what the wizard shows of text that came from the
 * network: control characters and bidirectional controls escaped, as the
 * CLI and the text report show them, never raw; the rest (any script,
 * line breaks) as it is.
 *
 * Run under Xvfb (run-under-xvfb.sh).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-display-text"

#include <string.h>
#include "sd-finding-row.h"
#include "sd-gui-util.h"

/* A server name that reads backwards after U+202E, a terminal escape, and
 * text that must stay: an Arabic word, a line break. */
#define HOSTILE "Server sip.\xe2\x80\xaemoc.elpmaxe said \x1b[2J \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85\nbye"
#define SHOWN   "Server sip.\\u202emoc.elpmaxe said \\x1b[2J \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85\nbye"

static void
collect_labels (GtkWidget *widget, gpointer data)
{
  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (data, (gpointer) gtk_label_get_text (GTK_LABEL (widget)));
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), collect_labels, data);
}

static void
assert_never_raw (const char *text)
{
  g_assert_null (strstr (text, "\xe2\x80\xae"));
  g_assert_null (strchr (text, '\x1b'));
}

static void
test_display_text (void)
{
  g_autofree char *shown = sd_gui_display_text (HOSTILE);
  g_autofree char *empty = sd_gui_display_text (NULL);

  g_assert_cmpstr (shown, ==, SHOWN);
  g_assert_cmpstr (empty, ==, "");
}

static void
test_finding_row (void)
{
  g_autoptr(SdFinding) finding = sd_finding_new ("sip.rejected", SD_SEVERITY_ERROR, SD_STEP_SIP, HOSTILE,
                                                 "Ask the administrator of sip.\xe2\x80\xaemoc.elpmaxe.");
  GtkWidget *row = GTK_WIDGET (g_object_ref_sink (sd_finding_row_new (finding)));
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  gboolean message_seen = FALSE, advice_seen = FALSE;

  collect_labels (row, labels);
  g_assert_cmpuint (labels->len, >, 0);
  for (guint i = 0; i < labels->len; i++)
    {
      const char *text = labels->pdata[i];

      assert_never_raw (text);
      message_seen |= g_str_equal (text, SHOWN);
      advice_seen |= g_str_equal (text, "Ask the administrator of sip.\\u202emoc.elpmaxe.");
    }
  g_assert_true (message_seen);
  g_assert_true (advice_seen);
  gtk_widget_destroy (row);
  g_object_unref (row);
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/display-text/escape", test_display_text);
  g_test_add_func ("/display-text/finding-row", test_finding_row);
  return g_test_run ();
}
