/* sd-connection-page.c: runs the connect and tls steps on entry; shows each
 * connection attempt and the certificate pane.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include "sd-connection-page.h"
#include "sd-certificate-pane.h"
#include "sd-gui-util.h"

struct _SdConnectionPage {
  SdPage             parent_instance;

  GtkListBox        *steps_list;
  GtkWidget         *findings_box;
  GtkListBox        *findings_list;
  GtkTreeView       *attempts_view;
  GtkLabel          *tls_label;
  SdCertificatePane *certificate_pane;

  GtkListStore      *attempts;
};

G_DEFINE_FINAL_TYPE (SdConnectionPage, sd_connection_page, SD_TYPE_PAGE)

static void
sd_connection_page_refresh (SdPage *page)
{
  SdConnectionPage *self = SD_CONNECTION_PAGE (page);
  SdRun *run = sd_page_get_run (SD_PAGE (self));
  JsonObject *connect = run != NULL ? sd_run_get_step_data (run, SD_STEP_CONNECT) : NULL;
  JsonObject *tls = run != NULL ? sd_run_get_step_data (run, SD_STEP_TLS) : NULL;
  JsonArray *attempts = sd_json_array (connect, "attempts");
  g_autoptr(GString) tls_text = g_string_new (NULL);

  gtk_list_store_clear (self->attempts);
  for (guint i = 0; attempts != NULL && i < json_array_get_length (attempts); i++)
    {
      JsonObject *a = json_array_get_object_element (attempts, i);
      const char *result = sd_json_string (a, "result");
      const char *error = sd_json_string (a, "error");
      const char *transport = sd_json_string (a, "transport");
      g_autofree char *transport_up = transport != NULL ? g_ascii_strup (transport, -1) : NULL;
      g_autofree char *port = g_strdup_printf ("%.0f", sd_json_double (a, "port", 0));
      g_autofree char *time = sd_gui_format_ms (sd_json_double (a, "duration_ms", -1));
      g_autofree char *outcome = NULL;

      if (error != NULL && *error != '\0' && g_strcmp0 (result, "ok") != 0)
        outcome = g_strdup_printf ("%s (%s)", sd_connect_result_describe (sd_connect_result_from_string (result)), error);
      else
        outcome = g_strdup (sd_connect_result_describe (sd_connect_result_from_string (result)));
      g_autofree char *host = sd_gui_display_text (sd_json_string (a, "host"));

      gtk_list_store_insert_with_values (self->attempts, NULL, -1,
                                         0, host,
                                         1, sd_json_string (a, "address"),
                                         2, port,
                                         3, transport_up,
                                         4, outcome,
                                         5, g_strcmp0 (result, "ok") == 0 || g_strcmp0 (result, "refused") == 0
                                            || g_strcmp0 (result, "timeout") == 0 || g_strcmp0 (result, "error") == 0
                                            || g_strcmp0 (result, "unreachable") == 0 ? time : "",
                                         -1);
    }

  sd_gui_table_set_empty_text (self->attempts_view,
                                run == NULL || sd_run_get_step_status (run, SD_STEP_CONNECT) == SD_STATUS_PENDING
                                ? _("Connecting…") : _("No connection was tried: there was no server to try."));
  if (sd_json_string (connect, "note") != NULL)
    g_string_append_printf (tls_text, "%s.\n", sd_json_string (connect, "note"));

  if (sd_json_string (tls, "handshake") != NULL)
    {
      const char *server_name = sd_json_string (tls, "server_name");
      const char *protocol = sd_json_string (tls, "protocol");
      const char *cipher = sd_json_string (tls, "cipher");

      if (g_strcmp0 (sd_json_string (tls, "handshake"), "ok") == 0)
        /* Translators: the first %s is a server name, the second a TLS version */
        g_string_append_printf (tls_text, _("Secure connection to %s with %s"),
                                server_name != NULL ? server_name : "?", protocol != NULL ? protocol : "TLS");
      else
        /* Translators: %s is a server name */
        g_string_append_printf (tls_text, _("The secure connection to %s failed"),
                                server_name != NULL ? server_name : "?");
      if (cipher != NULL)
        g_string_append_printf (tls_text, " (%s)", cipher);
      if (sd_json_string (tls, "error") != NULL)
        g_string_append_printf (tls_text, ": %s", sd_json_string (tls, "error"));
      g_string_append_c (tls_text, '.');
    }
  else if (run != NULL && sd_run_get_step_status (run, SD_STEP_TLS) == SD_STATUS_SKIP)
    g_string_append (tls_text, _("No secure connection was made (see above why)."));
  gtk_label_set_text (self->tls_label, tls_text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->tls_label), tls_text->len > 0);

  sd_certificate_pane_set_data (self->certificate_pane, tls);
}

static void
sd_connection_page_finalize (GObject *object)
{
  SdConnectionPage *self = SD_CONNECTION_PAGE (object);

  g_clear_object (&self->attempts);
  G_OBJECT_CLASS (sd_connection_page_parent_class)->finalize (object);
}

static void
sd_connection_page_class_init (SdConnectionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SdPageClass *page_class = SD_PAGE_CLASS (klass);

  object_class->finalize = sd_connection_page_finalize;
  page_class->refresh = sd_connection_page_refresh;

  g_type_ensure (SD_TYPE_CERTIFICATE_PANE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/sipdoctor/SipDoctor/sd-connection-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SdConnectionPage, steps_list);
  gtk_widget_class_bind_template_child (widget_class, SdConnectionPage, findings_box);
  gtk_widget_class_bind_template_child (widget_class, SdConnectionPage, findings_list);
  gtk_widget_class_bind_template_child (widget_class, SdConnectionPage, attempts_view);
  gtk_widget_class_bind_template_child (widget_class, SdConnectionPage, tls_label);
  gtk_widget_class_bind_template_child (widget_class, SdConnectionPage, certificate_pane);
}

static void
sd_connection_page_init (SdConnectionPage *self)
{
  const char *titles[] = { _("Server"), _("Address"), _("Port"), _("Transport"), _("Result"), _("Time"), NULL };

  gtk_widget_init_template (GTK_WIDGET (self));
  sd_page_set_step_views (SD_PAGE (self), SD_STEP_CONNECT, self->steps_list,
                          self->findings_box, self->findings_list);
  sd_page_set_title (SD_PAGE (self), _("Connection"));
  sd_page_set_last_step (SD_PAGE (self), SD_STEP_TLS);
  sd_page_set_complete (SD_PAGE (self), TRUE);

  self->attempts = gtk_list_store_new (6, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                       G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  gtk_tree_view_set_model (self->attempts_view, GTK_TREE_MODEL (self->attempts));
  sd_gui_add_text_columns (self->attempts_view, titles);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->attempts_view)), _("Connections"));
}
