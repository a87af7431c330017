/* sd-gui-util.h: small helpers the wizard's pages share (not a class).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "sipdoctor.h"

G_BEGIN_DECLS

const char *sd_gui_status_icon_name (SdStatus status);
const char *sd_gui_severity_icon_name (SdSeverity severity);
/* "Passed", "Problems found", "Not checked", … for people. */
const char *sd_gui_status_label (SdStatus status);

/* Gives every widget that a GtkLabel names (GtkLabel:mnemonic-widget) the
 * label's text as its accessible name, so screen readers and AT-SPI find
 * "SIP address" by the same words a sighted person reads. */
void        sd_gui_name_from_labels (GtkWidget *container);

/* Rebuilds @box with one row per step from @first to @last: icon, title,
 * status and, for a skipped step, the reason in words. */
void        sd_gui_fill_steps (GtkListBox *box,
                               SdRun      *run,
                               SdStepId    first,
                               SdStepId    last);
/* Rebuilds @box with the findings of the steps from @first to @last, most
 * important first; returns how many. */
guint       sd_gui_fill_findings (GtkListBox *box,
                                  SdRun      *run,
                                  SdStepId    first,
                                  SdStepId    last);
void        sd_gui_clear_container (GtkContainer *container);

/* Safe readers of a step's data object: NULL / @fallback when absent or of
 * another type. */
const char *sd_json_string (JsonObject *obj, const char *member);
gdouble     sd_json_double (JsonObject *obj, const char *member, gdouble fallback);
JsonArray  *sd_json_array (JsonObject *obj, const char *member);
JsonObject *sd_json_object (JsonObject *obj, const char *member);
/* "1.3 ms", "2.1 s" */
char       *sd_gui_format_ms (gdouble ms);
/* A date and time in the local time zone, in the person's language. */
char       *sd_gui_format_date (GDateTime *dt);
/* @text with every ISO 8601 UTC instant ("2026-10-27T18:30:41Z", as the
 * engine writes them in messages) in that form; NULL when it has none. */
char       *sd_gui_localize_dates (const char *text);
/* @text as a label shows it: what came from the network may hold control
 * characters, or bidirectional controls (U+202E…) that would show a server
 * name in another order than it has; they are shown escaped ("\u202e"),
 * as the CLI and the text report show them (sd_text_escape()). Line
 * breaks and tabs stay. "" for NULL. */
char       *sd_gui_display_text (const char *text);
/* A message of the engine's in @label: its instants in local time (the
 * exact one on hover), shown with sd_gui_display_text(). */
void        sd_gui_label_set_message (GtkLabel *label, const char *message);

/* Re-renders a view from a run: calls @refresh (once per main loop
 * iteration at most) whenever the run reports progress or a finding. */
typedef void (*SdRefreshFunc) (gpointer data);
typedef struct {
  SdRun         *run;
  guint          idle_id;
  SdRefreshFunc  refresh;
  gpointer       data;
} SdRunWatch;

void        sd_run_watch_set   (SdRunWatch    *watch,
                                SdRun         *run,
                                SdRefreshFunc  refresh,
                                gpointer       data);
void        sd_run_watch_queue (SdRunWatch *watch);
void        sd_run_watch_clear (SdRunWatch *watch);

/* The one test seam of the wizard. NULL in sip-doctor; only the GUI
 * tests' own build (tests/gui/sd-test-main.c, never installed) sets it, as
 * AT-SPI cannot drive every platform's file chooser. Save Report… and
 * Export Certificate… ask it first: it returns the file to write for
 * @purpose ("report", "certificate"), or NULL to show the file chooser. */
typedef GFile *(*SdGuiChooseFileFunc) (const char *purpose);
extern SdGuiChooseFileFunc sd_gui_test_choose_file;

/* Shows @text under an entry, as an error (red, entry marked) or a hint. */
void        sd_gui_set_field_hint (GtkLabel   *label,
                                   GtkEntry   *entry,
                                   const char *text,
                                   gboolean    is_error);

/* Adds text columns to @view, one per title, showing the model's string
 * columns 0..n-1 in order. */
void        sd_gui_add_text_columns (GtkTreeView        *view,
                                     const char * const *titles);

/* Hides an empty table and shows @text in its place (in the same box). */
void        sd_gui_table_set_empty_text (GtkTreeView *view,
                                         const char  *text);

G_END_DECLS
