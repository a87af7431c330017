/* sd-summary-page.c: the verdict, the findings with their advice, the line
 * to read out, and the report (save, copy), after running every step.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include "sd-summary-page.h"
#include "sd-gui-util.h"

struct _SdSummaryPage {
  SdPage        parent_instance;

  GtkImage     *verdict_icon;
  GtkLabel     *verdict_label;
  GtkLabel     *verdict_detail;
  GtkLabel     *summary_label;
  GtkLabel     *status_label;
  GtkWidget    *findings_box;
  GtkListBox   *findings_list;
  GtkListBox   *steps_list;
  GtkWidget    *save_button;
  GtkWidget    *copy_summary_button;
  GtkWidget    *copy_report_button;
  GtkWidget    *run_again_button;

  GtkFileChooserNative *chooser;
  GCancellable *save_cancellable;
};

G_DEFINE_FINAL_TYPE (SdSummaryPage, sd_summary_page, SD_TYPE_PAGE)

enum { RUN_AGAIN, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_icon_class (GtkImage *image, const char *cls)
{
  GtkStyleContext *ctx = gtk_widget_get_style_context (GTK_WIDGET (image));

  gtk_style_context_remove_class (ctx, "sd-error");
  gtk_style_context_remove_class (ctx, "sd-warning");
  gtk_style_context_remove_class (ctx, "sd-ok");
  gtk_style_context_remove_class (ctx, "dim-label");
  gtk_style_context_add_class (ctx, cls);
}

static void
sd_summary_page_refresh (SdPage *page)
{
  SdSummaryPage *self = SD_SUMMARY_PAGE (page);
  SdRun *run = sd_page_get_run (SD_PAGE (self));
  gboolean running = run != NULL && (sd_run_is_running (run) || sd_page_get_applying (SD_PAGE (self)));
  guint errors = 0, warnings = 0, skipped = 0, cancelled = 0;
  g_autofree char *summary = NULL;
  g_autofree char *detail = NULL;

  gtk_widget_set_sensitive (self->save_button, run != NULL && !running);
  gtk_widget_set_sensitive (self->copy_summary_button, run != NULL && !running);
  gtk_widget_set_sensitive (self->copy_report_button, run != NULL && !running);
  gtk_widget_set_sensitive (self->run_again_button, run != NULL && !running);

  if (run == NULL)
    {
      gtk_label_set_text (self->verdict_label, "");
      gtk_label_set_text (self->verdict_detail, "");
      gtk_label_set_text (self->summary_label, "");
      return;
    }

  if (running)
    {
      gtk_image_set_from_icon_name (self->verdict_icon, "content-loading-symbolic", GTK_ICON_SIZE_DIALOG);
      set_icon_class (self->verdict_icon, "dim-label");
      gtk_label_set_text (self->verdict_label, _("Checking…"));
      gtk_label_set_text (self->verdict_detail, _("Every check runs in turn. Press Cancel or Escape to stop."));
      gtk_label_set_text (self->summary_label, "");
      return;
    }

  for (guint i = 0; i < sd_run_get_findings (run)->len; i++)
    {
      SdFinding *f = sd_run_get_findings (run)->pdata[i];
      errors += f->severity == SD_SEVERITY_ERROR;
      warnings += f->severity == SD_SEVERITY_WARNING;
    }
  for (SdStepId s = 0; s < SD_N_STEPS; s++)
    {
      skipped += sd_run_get_step_status (run, s) == SD_STATUS_SKIP;
      cancelled += sd_run_get_step_cancelled (run, s);
    }

  if (cancelled > 0 && errors == 0)
    {
      gtk_image_set_from_icon_name (self->verdict_icon, "process-stop-symbolic", GTK_ICON_SIZE_DIALOG);
      set_icon_class (self->verdict_icon, "dim-label");
      gtk_label_set_text (self->verdict_label, _("Stopped"));
      detail = g_strdup (_("The checks were stopped before the end. Run Again finishes them."));
    }
  else if (errors > 0)
    {
      gtk_image_set_from_icon_name (self->verdict_icon, "dialog-error-symbolic", GTK_ICON_SIZE_DIALOG);
      set_icon_class (self->verdict_icon, "sd-error");
      gtk_label_set_text (self->verdict_label, _("Problems found"));
      detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u problem stops the sign-in. Its advice below says what to change.",
                                             "%u problems stop the sign-in. Fix them in the order below.",
                                             errors), errors);
    }
  else if (sd_run_has_finding (run, SD_FINDING_AUTH_OK))
    {
      gtk_image_set_from_icon_name (self->verdict_icon, "emblem-ok-symbolic", GTK_ICON_SIZE_DIALOG);
      set_icon_class (self->verdict_icon, "sd-ok");
      gtk_label_set_text (self->verdict_label, _("Signed in"));
      detail = g_strdup (warnings > 0
                         ? _("The account signed in, but look at the warnings below: some programs may still fail.")
                         : _("The account signed in. If a program still fails, compare its settings with these."));
    }
  else if (warnings > 0)
    {
      gtk_image_set_from_icon_name (self->verdict_icon, "dialog-warning-symbolic", GTK_ICON_SIZE_DIALOG);
      set_icon_class (self->verdict_icon, "sd-warning");
      gtk_label_set_text (self->verdict_label, _("Warnings"));
      detail = g_strdup (_("Nothing found stops the sign-in for certain, but the warnings below can."));
    }
  else
    {
      gtk_image_set_from_icon_name (self->verdict_icon, skipped > 0 ? "dialog-information-symbolic"
                                                                    : "emblem-ok-symbolic",
                                    GTK_ICON_SIZE_DIALOG);
      set_icon_class (self->verdict_icon, skipped > 0 ? "dim-label" : "sd-ok");
      gtk_label_set_text (self->verdict_label, skipped > 0 ? _("No problems found so far")
                                                           : _("No problems found"));
      detail = skipped > 0
        ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                        "But %u check could not run: see why under Checks.",
                                        "But %u checks could not run: see why under Checks.",
                                        skipped), skipped)
        : g_strdup (_("Every check passed."));
    }
  gtk_label_set_text (self->verdict_detail, detail);

  summary = sd_run_dup_summary (run);
  gtk_label_set_text (self->summary_label, summary);
}

static void
set_status (SdSummaryPage *self, const char *text)
{
  gtk_label_set_text (self->status_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL && *text != '\0');
}

static void
copy_summary_clicked_cb (SdSummaryPage *self)
{
  SdRun *run = sd_page_get_run (SD_PAGE (self));
  g_autofree char *summary = NULL;

  if (run == NULL)
    return;
  summary = sd_run_dup_summary (run);
  gtk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self), GDK_SELECTION_CLIPBOARD), summary, -1);
  set_status (self, _("The summary is on the clipboard."));
}

static void
copy_report_clicked_cb (SdSummaryPage *self)
{
  SdRun *run = sd_page_get_run (SD_PAGE (self));
  g_autofree char *text = NULL;

  if (run == NULL)
    return;
  text = sd_report_to_text (run);
  gtk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self), GDK_SELECTION_CLIPBOARD), text, -1);
  set_status (self, _("The full report is on the clipboard, as text."));
}

static void
run_again_clicked_cb (SdSummaryPage *self)
{
  set_status (self, "");
  g_signal_emit (self, signals[RUN_AGAIN], 0);
}

static void
save_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GCancellable) cancellable = user_data;
  g_autoptr(GError) error = NULL;
  SdSummaryPage *self;
  GFile *file;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  /* Also when it finished just before a cancel (a newer save, or dispose). */
  if ((!sd_report_save_finish (result, &error) && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      || g_cancellable_is_cancelled (cancellable))
    return;
  self = SD_SUMMARY_PAGE (g_object_get_data (G_OBJECT (cancellable), "sd-owner"));
  file = g_object_get_data (G_OBJECT (cancellable), "sd-file");
  g_clear_object (&self->save_cancellable);

  path = g_file_get_parse_name (file);
  if (error != NULL)
    /* Translators: the first %s is a file name, the second the reason */
    text = g_strdup_printf (_("The report could not be saved to %s: %s"), path, error->message);
  else
    /* Translators: %s is a file name */
    text = g_strdup_printf (_("Report saved to %s."), path);
  set_status (self, text);
}

static void
save_to (SdSummaryPage *self, GFile *file, SdReportFormat format)
{
  SdRun *run = sd_page_get_run (SD_PAGE (self));

  if (run == NULL)
    return;
  g_cancellable_cancel (self->save_cancellable);
  g_clear_object (&self->save_cancellable);
  self->save_cancellable = g_cancellable_new ();
  g_object_set_data (G_OBJECT (self->save_cancellable), "sd-owner", self);
  g_object_set_data_full (G_OBJECT (self->save_cancellable), "sd-file", g_object_ref (file), g_object_unref);
  set_status (self, _("Saving the report…"));
  sd_report_save_async (run, file, format, self->save_cancellable, save_done_cb,
                        g_object_ref (self->save_cancellable));
}

static const struct {
  SdReportFormat format;
  const char *name;
  const char *pattern;
  const char *extension;
} formats[] = {
  { SD_REPORT_HTML, N_("Web page (HTML)"), "*.html", ".html" },
  { SD_REPORT_JSON, N_("Data for scripts (JSON)"), "*.json", ".json" },
  { SD_REPORT_TEXT, N_("Plain text"), "*.txt", ".txt" },
};

static void
chooser_response_cb (SdSummaryPage   *self,
                     int              response,
                     GtkNativeDialog *dialog)
{
  g_autoptr(GFile) file = NULL;
  GtkFileFilter *filter;
  guint index = 0;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (dialog));
      if (filter != NULL)
        index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (filter), "sd-format-index"));
    }
  g_clear_object (&self->chooser);
  if (file == NULL)
    return;

  /* The chosen filter decides the format; the name gets its extension. */
  {
    g_autofree char *basename = g_file_get_basename (file);
    SdReportFormat by_name;

    if (!sd_report_format_for_path (basename, &by_name) || by_name != formats[index].format)
      {
        g_autofree char *name = g_strconcat (basename, formats[index].extension, NULL);
        g_autoptr(GFile) parent = g_file_get_parent (file);
        g_autoptr(GFile) renamed = g_file_get_child (parent, name);
        g_set_object (&file, renamed);
      }
  }
  save_to (self, file, formats[index].format);
}

static void
save_clicked_cb (SdSummaryPage *self)
{
  SdRun *run = sd_page_get_run (SD_PAGE (self));
  g_autoptr(GFile) test_file = NULL;
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  const SdConfig *config;
  g_autofree char *name = NULL;

  if (run == NULL || self->chooser != NULL)
    return;

  if (sd_gui_test_choose_file != NULL)
    test_file = sd_gui_test_choose_file ("report");
  if (test_file != NULL)
    {
      g_autofree char *basename = g_file_get_basename (test_file);
      SdReportFormat format = SD_REPORT_HTML;

      sd_report_format_for_path (basename, &format);
      save_to (self, test_file, format);
      return;
    }

  self->chooser = gtk_file_chooser_native_new (_("Save Report"),
                                               GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (self->chooser), TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _(formats[i].name));
      gtk_file_filter_add_pattern (filter, formats[i].pattern);
      g_object_set_data (G_OBJECT (filter), "sd-format-index", GUINT_TO_POINTER (i));
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
    }
  config = sd_run_get_config (run);
  {
    g_autofree char *safe = g_strdup (config->address != NULL ? config->address : "");
    g_strcanon (g_strstrip (safe), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@.-_", '_');
    name = g_strdup_printf ("sip-doctor-%s.html", safe);
  }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
applying_changed_cb (SdSummaryPage *self)
{
  sd_page_queue_refresh (SD_PAGE (self));
}

static void
sd_summary_page_run_changed (SdPage *page)
{
  SdSummaryPage *self = SD_SUMMARY_PAGE (page);

  set_status (self, "");
}

static void
sd_summary_page_dispose (GObject *object)
{
  SdSummaryPage *self = SD_SUMMARY_PAGE (object);

  g_cancellable_cancel (self->save_cancellable);
  g_clear_object (&self->save_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  G_OBJECT_CLASS (sd_summary_page_parent_class)->dispose (object);
}

static void
sd_summary_page_class_init (SdSummaryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SdPageClass *page_class = SD_PAGE_CLASS (klass);

  object_class->dispose = sd_summary_page_dispose;
  page_class->run_changed = sd_summary_page_run_changed;
  page_class->refresh = sd_summary_page_refresh;

  signals[RUN_AGAIN] = g_signal_new ("run-again", G_TYPE_FROM_CLASS (klass),
                                     G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/sipdoctor/SipDoctor/sd-summary-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, verdict_icon);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, verdict_detail);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, findings_box);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, findings_list);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, steps_list);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, save_button);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, copy_summary_button);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, copy_report_button);
  gtk_widget_class_bind_template_child (widget_class, SdSummaryPage, run_again_button);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_summary_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_report_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, run_again_clicked_cb);
}

static void
sd_summary_page_init (SdSummaryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sd_page_set_step_views (SD_PAGE (self), SD_STEP_URI, self->steps_list,
                          self->findings_box, self->findings_list);
  sd_page_set_title (SD_PAGE (self), _("Summary"));
  gtk_widget_hide (GTK_WIDGET (self->status_label));
  sd_page_set_last_step (SD_PAGE (self), SD_STEP_AUTH);
  g_signal_connect_swapped (self, "notify::applying", G_CALLBACK (applying_changed_cb), self);
  /* Selectable for copying with the mouse, but not a stop for Tab. */
  gtk_widget_set_can_focus (GTK_WIDGET (self->summary_label), FALSE);
}
