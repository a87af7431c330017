/* sd-gui-util.c: small helpers the wizard's pages share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include "sd-gui-util.h"
#include "sd-finding-row.h"

const char *
sd_gui_status_icon_name (SdStatus status)
{
  switch (status)
    {
    case SD_STATUS_PASS: return "emblem-ok-symbolic";
    case SD_STATUS_WARN: return "dialog-warning-symbolic";
    case SD_STATUS_FAIL: return "dialog-error-symbolic";
    case SD_STATUS_SKIP: return "action-unavailable-symbolic";
    case SD_STATUS_PENDING: default: return "content-loading-symbolic";
    }
}

const char *
sd_gui_severity_icon_name (SdSeverity severity)
{
  switch (severity)
    {
    case SD_SEVERITY_ERROR: return "dialog-error-symbolic";
    case SD_SEVERITY_WARNING: return "dialog-warning-symbolic";
    case SD_SEVERITY_INFO: default: return "dialog-information-symbolic";
    }
}

const char *
sd_gui_status_label (SdStatus status)
{
  switch (status)
    {
    case SD_STATUS_PASS: return _("Passed");
    case SD_STATUS_WARN: return _("Passed with warnings");
    case SD_STATUS_FAIL: return _("Problems found");
    case SD_STATUS_SKIP: return _("Not checked");
    case SD_STATUS_PENDING: default: return _("Not run yet");
    }
}

static void
name_from_label (GtkWidget *widget, gpointer user_data)
{
  if (GTK_IS_LABEL (widget))
    {
      GtkWidget *target = gtk_label_get_mnemonic_widget (GTK_LABEL (widget));
      const char *text = gtk_label_get_text (GTK_LABEL (widget));

      if (target != NULL && text != NULL && *text != '\0')
        atk_object_set_name (gtk_widget_get_accessible (target), text);
    }
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), name_from_label, NULL);
}

void
sd_gui_name_from_labels (GtkWidget *container)
{
  name_from_label (container, NULL);
}

void
sd_gui_clear_container (GtkContainer *container)
{
  g_autoptr(GList) children = gtk_container_get_children (container);

  for (GList *l = children; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
}

static GtkWidget *
step_row_new (SdRun *run, SdStepId step)
{
  SdStatus status = sd_run_get_step_status (run, step);
  const char *reason = sd_run_get_step_reason (run, step);
  GtkWidget *row, *box, *icon, *title, *state;
  g_autofree char *state_text = NULL;

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  g_object_set (box, "margin-start", 12, "margin-end", 12, "margin-top", 8, "margin-bottom", 8, NULL);
  icon = gtk_image_new_from_icon_name (sd_gui_status_icon_name (status), GTK_ICON_SIZE_BUTTON);
  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_style_context_add_class (gtk_widget_get_style_context (icon),
                               status == SD_STATUS_FAIL ? "sd-error"
                               : status == SD_STATUS_WARN ? "sd-warning"
                               : status == SD_STATUS_PASS ? "sd-ok" : "dim-label");
  title = gtk_label_new (sd_step_title (step));
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_set_valign (title, GTK_ALIGN_START);
  gtk_style_context_add_class (gtk_widget_get_style_context (title), "sd-step-title");

  if (status == SD_STATUS_PENDING && sd_run_is_running (run))
    state_text = g_strdup (_("Waiting…"));
  else if (reason != NULL && *reason != '\0')
    state_text = g_strdup_printf ("%s — %s", sd_gui_status_label (status), reason);
  else
    state_text = g_strdup (sd_gui_status_label (status));
  state = gtk_label_new (state_text);
  gtk_label_set_xalign (GTK_LABEL (state), 0);
  gtk_label_set_line_wrap (GTK_LABEL (state), TRUE);
  gtk_label_set_line_wrap_mode (GTK_LABEL (state), PANGO_WRAP_WORD_CHAR);
  gtk_widget_set_hexpand (state, TRUE);
  gtk_widget_set_valign (state, GTK_ALIGN_START);
  gtk_style_context_add_class (gtk_widget_get_style_context (state), "dim-label");

  gtk_container_add (GTK_CONTAINER (box), icon);
  gtk_container_add (GTK_CONTAINER (box), title);
  gtk_container_add (GTK_CONTAINER (box), state);
  gtk_container_add (GTK_CONTAINER (row), box);
  gtk_widget_show_all (row);
  return row;
}

void
sd_gui_fill_steps (GtkListBox *box,
                   SdRun      *run,
                   SdStepId    first,
                   SdStepId    last)
{
  sd_gui_clear_container (GTK_CONTAINER (box));
  if (run == NULL)
    return;
  for (SdStepId s = first; s <= last && s < SD_N_STEPS; s++)
    gtk_container_add (GTK_CONTAINER (box), step_row_new (run, s));
}

guint
sd_gui_fill_findings (GtkListBox *box,
                      SdRun      *run,
                      SdStepId    first,
                      SdStepId    last)
{
  g_autoptr(GPtrArray) sorted = NULL;
  GPtrArray *all;
  guint n = 0;

  sd_gui_clear_container (GTK_CONTAINER (box));
  if (run == NULL)
    return 0;

  all = sd_run_get_findings (run);
  sorted = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_finding_unref);
  for (guint i = 0; i < all->len; i++)
    {
      SdFinding *f = all->pdata[i];
      if (f->step >= first && f->step <= last)
        g_ptr_array_add (sorted, sd_finding_ref (f));
    }
  g_ptr_array_sort (sorted, sd_finding_compare);
  for (guint i = 0; i < sorted->len; i++, n++)
    gtk_container_add (GTK_CONTAINER (box), GTK_WIDGET (sd_finding_row_new (sorted->pdata[i])));
  return n;
}

const char *
sd_json_string (JsonObject *obj, const char *member)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, member))
    return NULL;
  node = json_object_get_member (obj, member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gdouble
sd_json_double (JsonObject *obj, const char *member, gdouble fallback)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, member))
    return fallback;
  node = json_object_get_member (obj, member);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64: return (gdouble) json_node_get_int (node);
    case G_TYPE_DOUBLE: return json_node_get_double (node);
    case G_TYPE_BOOLEAN: return json_node_get_boolean (node) ? 1 : 0;
    default: return fallback;
    }
}

JsonArray *
sd_json_array (JsonObject *obj, const char *member)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, member))
    return NULL;
  node = json_object_get_member (obj, member);
  return JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

JsonObject *
sd_json_object (JsonObject *obj, const char *member)
{
  JsonNode *node;

  if (obj == NULL || !json_object_has_member (obj, member))
    return NULL;
  node = json_object_get_member (obj, member);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

char *
sd_gui_format_ms (gdouble ms)
{
  if (ms < 0)
    return g_strdup ("");
  if (ms < 1000)
    /* Translators: a duration in milliseconds */
    return g_strdup_printf (_("%.1f ms"), ms);
  /* Translators: a duration in seconds */
  return g_strdup_printf (_("%.1f s"), ms / 1000.0);
}

char *
sd_gui_format_date (GDateTime *dt)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (dt);

  if (local == NULL)
    return g_date_time_format_iso8601 (dt);
  /* Translators: a date and time in the local time zone, such as a
   * certificate's expiry, in g_date_time_format() syntax: %-d day, %B month
   * name, %Y year, %H:%M time. Change it to your language's usual written
   * form, e.g. "%-d. %B %Y, %H:%M" in German.
   * xgettext:no-c-format */
  return g_date_time_format (local, _("%-d %B %Y, %H:%M"));
}

static gboolean
replace_date_cb (const GMatchInfo *info, GString *out, gpointer user_data)
{
  g_autofree char *iso = g_match_info_fetch (info, 0);
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (iso, NULL);
  g_autofree char *text = dt != NULL ? sd_gui_format_date (dt) : NULL;

  g_string_append (out, text != NULL ? text : iso);
  *(gboolean *) user_data = TRUE;
  return FALSE;
}

char *
sd_gui_display_text (const char *text)
{
  return sd_text_escape (text, TRUE);
}

void
sd_gui_label_set_message (GtkLabel *label, const char *message)
{
  g_autofree char *localized = sd_gui_localize_dates (message);
  g_autofree char *shown = sd_gui_display_text (localized != NULL ? localized : message);

  gtk_label_set_text (label, shown);
  if (localized != NULL)
    {
      g_autofree char *exact = sd_gui_display_text (message);
      gtk_widget_set_tooltip_text (GTK_WIDGET (label), exact);
    }
}

char *
sd_gui_localize_dates (const char *text)
{
  static GRegex *iso_re;
  gboolean replaced = FALSE;
  g_autofree char *out = NULL;

  if (text == NULL)
    return NULL;
  if (g_once_init_enter (&iso_re))
    g_once_init_leave (&iso_re, g_regex_new ("\\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                             "(\\.[0-9]+)?Z\\b", G_REGEX_OPTIMIZE, 0, NULL));
  out = g_regex_replace_eval (iso_re, text, -1, 0, 0, replace_date_cb, &replaced, NULL);
  return replaced ? g_steal_pointer (&out) : NULL;
}

static gboolean
watch_idle_cb (gpointer user_data)
{
  SdRunWatch *watch = user_data;

  watch->idle_id = 0;
  watch->refresh (watch->data);
  return G_SOURCE_REMOVE;
}

void
sd_run_watch_queue (SdRunWatch *watch)
{
  if (watch->idle_id == 0)
    watch->idle_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, watch_idle_cb, watch, NULL);
}

static void
watch_signal_cb (SdRunWatch *watch)
{
  sd_run_watch_queue (watch);
}

void
sd_run_watch_set (SdRunWatch    *watch,
                  SdRun         *run,
                  SdRefreshFunc  refresh,
                  gpointer       data)
{
  if (watch->run != NULL)
    {
      g_signal_handlers_disconnect_by_data (sd_run_get_trace (watch->run), watch);
      g_signal_handlers_disconnect_by_data (watch->run, watch);
    }
  g_set_object (&watch->run, run);
  watch->refresh = refresh;
  watch->data = data;
  if (run != NULL)
    {
      static const char *names[] = { "step-started", "step-updated", "step-finished", "finding-added" };
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        g_signal_connect_swapped (run, names[i], G_CALLBACK (watch_signal_cb), watch);
      g_signal_connect_swapped (sd_run_get_trace (run), "message-added", G_CALLBACK (watch_signal_cb), watch);
    }
  sd_run_watch_queue (watch);
}

void
sd_run_watch_clear (SdRunWatch *watch)
{
  g_clear_handle_id (&watch->idle_id, g_source_remove);
  if (watch->run != NULL)
    {
      g_signal_handlers_disconnect_by_data (sd_run_get_trace (watch->run), watch);
      g_signal_handlers_disconnect_by_data (watch->run, watch);
    }
  g_clear_object (&watch->run);
}

SdGuiChooseFileFunc sd_gui_test_choose_file = NULL;

void
sd_gui_set_field_hint (GtkLabel   *label,
                       GtkEntry   *entry,
                       const char *text,
                       gboolean    is_error)
{
  GtkStyleContext *lctx = gtk_widget_get_style_context (GTK_WIDGET (label));
  GtkStyleContext *ectx = gtk_widget_get_style_context (GTK_WIDGET (entry));

  gtk_label_set_text (label, text);
  if (is_error)
    {
      gtk_style_context_add_class (lctx, "sd-error-text");
      gtk_style_context_remove_class (lctx, "dim-label");
      gtk_style_context_add_class (ectx, "error");
    }
  else
    {
      gtk_style_context_remove_class (lctx, "sd-error-text");
      gtk_style_context_add_class (lctx, "dim-label");
      gtk_style_context_remove_class (ectx, "error");
    }
}

void
sd_gui_add_text_columns (GtkTreeView        *view,
                         const char * const *titles)
{
  for (int i = 0; titles[i] != NULL; i++)
    {
      GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
      GtkTreeViewColumn *column;

      g_object_set (cell, "yalign", 0.0, NULL);
      column = gtk_tree_view_column_new_with_attributes (titles[i], cell, "text", i, NULL);
      gtk_tree_view_column_set_resizable (column, TRUE);
      gtk_tree_view_append_column (view, column);
    }
}

void
sd_gui_table_set_empty_text (GtkTreeView *view,
                             const char  *text)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (GTK_WIDGET (view), GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *box = scroller != NULL ? gtk_widget_get_parent (scroller) : NULL;
  GtkTreeModel *model = gtk_tree_view_get_model (view);
  gboolean empty = model == NULL || gtk_tree_model_iter_n_children (model, NULL) == 0;
  GtkWidget *placeholder;

  if (!GTK_IS_BOX (box))
    return;
  placeholder = g_object_get_data (G_OBJECT (view), "sd-placeholder");
  if (placeholder == NULL)
    {
      int position = 0;

      placeholder = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (placeholder), 0);
      gtk_label_set_line_wrap (GTK_LABEL (placeholder), TRUE);
      gtk_style_context_add_class (gtk_widget_get_style_context (placeholder), "dim-label");
      gtk_container_add (GTK_CONTAINER (box), placeholder);
      gtk_container_child_get (GTK_CONTAINER (box), scroller, "position", &position, NULL);
      gtk_box_reorder_child (GTK_BOX (box), placeholder, position + 1);
      g_object_set_data (G_OBJECT (view), "sd-placeholder", placeholder);
    }
  gtk_label_set_text (GTK_LABEL (placeholder), text);
  gtk_widget_set_visible (placeholder, empty);
  gtk_widget_set_visible (scroller, !empty);
}
