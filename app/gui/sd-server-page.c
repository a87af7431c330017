/* sd-server-page.c: the server, the transport and the advanced settings.
 *
 * Emits ::check-everything when the person asks for every check at once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include "sd-server-page.h"
#include "sd-gui-util.h"

struct _SdServerPage {
  SdPage            parent_instance;

  GtkEntry         *server_entry;
  GtkLabel         *server_hint;
  GtkComboBoxText  *transport_combo;
  GtkExpander      *advanced_expander;
  GtkEntry         *ca_file_entry;
  GtkLabel         *ca_file_hint;
  GtkEntry         *dns_server_entry;
  GtkLabel         *dns_server_hint;
  GtkSwitch        *strict_switch;
  GtkSpinButton    *timeout_spin;
  GtkSwitch        *untrusted_switch;
  GtkButton        *check_everything_button;

  GtkFileChooserNative *chooser;
  GCancellable     *ca_cancellable;
  gboolean          ca_ok;
};

G_DEFINE_FINAL_TYPE (SdServerPage, sd_server_page, SD_TYPE_PAGE)

enum { CHECK_EVERYTHING, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *
trimmed_text (GtkEntry *entry, char **out)
{
  *out = g_strstrip (g_strdup (gtk_entry_get_text (entry)));
  return *out;
}

static void
validate (SdServerPage *self)
{
  g_autofree char *server = NULL;
  g_autofree char *dns = NULL;
  g_autofree char *host = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;
  guint16 port = 0;

  if (*trimmed_text (self->server_entry, &server) == '\0')
    sd_gui_set_field_hint (self->server_hint, self->server_entry,
              _("Leave empty to find the server automatically, as most programs do. "
                "Or type the server the program has filled in, with a port if it has one: "
                "sip.example.com:5061."), FALSE);
  else if (!sd_parse_host_port (server, &host, &port, &error))
    {
      sd_gui_set_field_hint (self->server_hint, self->server_entry, error->message, TRUE);
      ok = FALSE;
    }
  else
    {
      g_autofree char *hint = NULL;
      if (g_hostname_is_ip_address (host))
        /* Translators: %s is an IP address */
        hint = g_strdup_printf (_("Connects to %s without any DNS look-up. Over TLS this almost "
                                  "always gives a certificate name error: that is expected."), host);
      else
        /* Translators: %s is a host name */
        hint = g_strdup_printf (_("Connects to %s and skips automatic configuration."), host);
      sd_gui_set_field_hint (self->server_hint, self->server_entry, hint, FALSE);
    }
  g_clear_pointer (&host, g_free);
  g_clear_error (&error);

  if (*trimmed_text (self->dns_server_entry, &dns) == '\0')
    sd_gui_set_field_hint (self->dns_server_hint, self->dns_server_entry,
              _("Leave empty to ask this computer's own DNS servers. Type an IP address "
                "(with a port if needed) to compare what another DNS server answers."), FALSE);
  else if (!sd_parse_dns_server (dns, NULL, NULL, &error))
    {
      sd_gui_set_field_hint (self->dns_server_hint, self->dns_server_entry, error->message, TRUE);
      ok = FALSE;
    }
  else
    sd_gui_set_field_hint (self->dns_server_hint, self->dns_server_entry,
              _("Every look-up asks this server instead of this computer's own."), FALSE);

  sd_page_set_complete (SD_PAGE (self), ok && self->ca_ok);
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_everything_button), ok && self->ca_ok);
}

static void
ca_info_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GCancellable) cancellable = user_data;
  SdServerPage *self;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = g_file_query_info_finish (G_FILE (source), result, &error);
  /* Also when it finished just before a cancel (a newer path, or dispose). */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || g_cancellable_is_cancelled (cancellable))
    return;
  self = SD_SERVER_PAGE (g_object_get_data (G_OBJECT (cancellable), "sd-owner"));

  if (info == NULL)
    {
      sd_gui_set_field_hint (self->ca_file_hint, self->ca_file_entry,
                _("This file does not exist. Choose the PEM file of the certificate authority."),
                TRUE);
      self->ca_ok = FALSE;
    }
  else if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR
           || !g_file_info_get_attribute_boolean (info, G_FILE_ATTRIBUTE_ACCESS_CAN_READ))
    {
      sd_gui_set_field_hint (self->ca_file_hint, self->ca_file_entry,
                _("This file cannot be read. Choose a readable PEM file."), TRUE);
      self->ca_ok = FALSE;
    }
  else
    {
      sd_gui_set_field_hint (self->ca_file_hint, self->ca_file_entry,
                _("Certificates signed by the authorities in this file are trusted too, "
                  "as if they were installed on the client."), FALSE);
      self->ca_ok = TRUE;
    }
  validate (self);
}

static void
ca_file_changed (SdServerPage *self)
{
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;

  g_cancellable_cancel (self->ca_cancellable);
  g_clear_object (&self->ca_cancellable);

  if (*trimmed_text (self->ca_file_entry, &path) == '\0')
    {
      sd_gui_set_field_hint (self->ca_file_hint, self->ca_file_entry,
                _("Leave empty to trust only the certificate authorities this computer trusts. "
                  "Choose a PEM file to trust your organization's own authority too."), FALSE);
      self->ca_ok = TRUE;
      validate (self);
      return;
    }

  if (!g_path_is_absolute (path))
    {
      sd_gui_set_field_hint (self->ca_file_hint, self->ca_file_entry,
                _("Type the full path of the file, starting with /, or choose it."), TRUE);
      self->ca_ok = FALSE;
      validate (self);
      return;
    }

  /* Checked without blocking; until the answer comes the page is not complete. */
  self->ca_ok = FALSE;
  validate (self);
  self->ca_cancellable = g_cancellable_new ();
  g_object_set_data (G_OBJECT (self->ca_cancellable), "sd-owner", self);
  file = g_file_new_for_path (path);
  g_file_query_info_async (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_ACCESS_CAN_READ,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, self->ca_cancellable,
                           ca_info_cb, g_object_ref (self->ca_cancellable));
}

static void
entry_changed_cb (SdServerPage *self)
{
  validate (self);
}

static void
ca_file_changed_cb (SdServerPage *self)
{
  ca_file_changed (self);
}

static void
chooser_response_cb (SdServerPage *self,
                     int           response,
                     GtkNativeDialog *dialog)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        gtk_entry_set_text (self->ca_file_entry, path);
    }
  g_clear_object (&self->chooser);
}

static void
choose_ca_file_clicked_cb (SdServerPage *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkFileFilter *filter;

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Choose a CA Certificate File"),
                                               GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Certificates (PEM)"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_filter_add_pattern (filter, "*.cer");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("All files"));
  gtk_file_filter_add_pattern (filter, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
check_everything_clicked_cb (SdServerPage *self)
{
  if (sd_page_get_complete (SD_PAGE (self)))
    g_signal_emit (self, signals[CHECK_EVERYTHING], 0);
}

static void
sd_server_page_fill_config (SdPage *page, SdConfig *config)
{
  SdServerPage *self = SD_SERVER_PAGE (page);
  g_autofree char *server = NULL;
  g_autofree char *dns = NULL;
  g_autofree char *ca = NULL;
  SdTransport transport = SD_TRANSPORT_AUTO;

  g_free (config->server);
  config->server = *trimmed_text (self->server_entry, &server) != '\0' ? g_strdup (server) : NULL;
  g_free (config->dns_server);
  config->dns_server = *trimmed_text (self->dns_server_entry, &dns) != '\0' ? g_strdup (dns) : NULL;
  g_free (config->ca_file);
  config->ca_file = *trimmed_text (self->ca_file_entry, &ca) != '\0' ? g_strdup (ca) : NULL;
  if (sd_transport_from_string (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->transport_combo)),
                                &transport))
    config->transport = transport;
  config->strict_dns_naming = gtk_switch_get_active (self->strict_switch);
  config->timeout_s = (guint) gtk_spin_button_get_value_as_int (self->timeout_spin);
  /* Deliberately not in the settings: a risk taken once, for one check. */
  config->allow_untrusted = gtk_switch_get_active (self->untrusted_switch);
}

static void
sd_server_page_remember (SdPage *page, GSettings *settings)
{
  SdServerPage *self = SD_SERVER_PAGE (page);
  g_autofree char *server = NULL;
  g_autofree char *dns = NULL;
  g_autofree char *ca = NULL;
  const char *transport = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->transport_combo));

  g_settings_set_string (settings, "last-server", trimmed_text (self->server_entry, &server));
  g_settings_set_string (settings, "last-dns-server", trimmed_text (self->dns_server_entry, &dns));
  g_settings_set_string (settings, "last-ca-file", trimmed_text (self->ca_file_entry, &ca));
  if (transport != NULL)
    g_settings_set_string (settings, "last-transport", transport);
  g_settings_set_boolean (settings, "strict-dns-naming", gtk_switch_get_active (self->strict_switch));
  g_settings_set_uint (settings, "timeout", (guint) gtk_spin_button_get_value_as_int (self->timeout_spin));
}

static void
sd_server_page_shown (SdPage *page)
{
  SdServerPage *self = SD_SERVER_PAGE (page);

  gtk_widget_grab_focus (GTK_WIDGET (self->server_entry));
}

static void
sd_server_page_dispose (GObject *object)
{
  SdServerPage *self = SD_SERVER_PAGE (object);

  g_cancellable_cancel (self->ca_cancellable);
  g_clear_object (&self->ca_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  G_OBJECT_CLASS (sd_server_page_parent_class)->dispose (object);
}

static void
sd_server_page_class_init (SdServerPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SdPageClass *page_class = SD_PAGE_CLASS (klass);

  object_class->dispose = sd_server_page_dispose;
  page_class->fill_config = sd_server_page_fill_config;
  page_class->remember = sd_server_page_remember;
  page_class->shown = sd_server_page_shown;

  signals[CHECK_EVERYTHING] = g_signal_new ("check-everything", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/sipdoctor/SipDoctor/sd-server-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, server_entry);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, server_hint);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, transport_combo);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, advanced_expander);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, ca_file_entry);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, ca_file_hint);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, dns_server_entry);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, dns_server_hint);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, strict_switch);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, untrusted_switch);
  gtk_widget_class_bind_template_child (widget_class, SdServerPage, check_everything_button);
  gtk_widget_class_bind_template_callback (widget_class, entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_file_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, choose_ca_file_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, check_everything_clicked_cb);
}

static void
sd_server_page_init (SdServerPage *self)
{
  g_autoptr(GSettings) settings = g_settings_new (BASE_APPLICATION_ID);
  g_autofree char *server = NULL;
  g_autofree char *dns = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *transport = NULL;
  static const struct { const char *id; const char *label; } transports[] = {
    { "auto", N_("Automatic (what the server offers)") },
    { "tls", N_("TLS (encrypted, usually port 5061)") },
    { "tcp", N_("TCP (not encrypted, usually port 5060)") },
    { "udp", N_("UDP (not encrypted, usually port 5060)") },
  };

  gtk_widget_init_template (GTK_WIDGET (self));
  sd_page_set_title (SD_PAGE (self), _("Server"));
  self->ca_ok = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (transports); i++)
    gtk_combo_box_text_append (self->transport_combo, transports[i].id, _(transports[i].label));

  server = g_settings_get_string (settings, "last-server");
  dns = g_settings_get_string (settings, "last-dns-server");
  ca = g_settings_get_string (settings, "last-ca-file");
  transport = g_settings_get_string (settings, "last-transport");
  gtk_entry_set_text (self->server_entry, server);
  gtk_entry_set_text (self->dns_server_entry, dns);
  gtk_entry_set_text (self->ca_file_entry, ca);
  if (!gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->transport_combo), transport))
    gtk_combo_box_set_active (GTK_COMBO_BOX (self->transport_combo), 0);
  gtk_switch_set_active (self->strict_switch, g_settings_get_boolean (settings, "strict-dns-naming"));
  gtk_spin_button_set_value (self->timeout_spin, g_settings_get_uint (settings, "timeout"));
  /* Open the advanced settings when one of them is in use, so nothing is hidden. */
  gtk_expander_set_expanded (self->advanced_expander,
                             *dns != '\0' || *ca != '\0'
                             || g_settings_get_boolean (settings, "strict-dns-naming")
                             || g_settings_get_uint (settings, "timeout") != SD_DEFAULT_TIMEOUT_S);

  sd_gui_name_from_labels (GTK_WIDGET (self));
  ca_file_changed (self);
}
