/* sd-account-page.c: the SIP address, sign-in name, password and client.
 *
 * Validates as the person types, with the engine's own parsers, and shows
 * the parser's message under the field.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include "sd-account-page.h"
#include "sd-gui-util.h"

struct _SdAccountPage {
  SdPage        parent_instance;

  GtkEntry     *address_entry;
  GtkLabel     *address_hint;
  GtkEntry     *sign_in_entry;
  GtkLabel     *sign_in_hint;
  GtkEntry     *password_entry;
  GtkComboBoxText *client_combo;
  GtkLabel     *client_hint;
};

G_DEFINE_FINAL_TYPE (SdAccountPage, sd_account_page, SD_TYPE_PAGE)

static void
validate (SdAccountPage *self)
{
  const char *address = gtk_entry_get_text (self->address_entry);
  const char *sign_in_text = gtk_entry_get_text (self->sign_in_entry);
  g_autoptr(SdSipUri) uri = NULL;
  g_autoptr(SdSignIn) sign_in = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *aor = NULL;

  if (*(address + strspn (address, " \t")) == '\0')
    {
      sd_gui_set_field_hint (self->address_hint, self->address_entry,
                _("The address you sign in with, for example alice@example.com."), FALSE);
      sd_gui_set_field_hint (self->sign_in_hint, self->sign_in_entry,
                _("Only if it differs from the SIP address: EXAMPLE\\alice (Windows style) "
                  "or alice@example.com."), FALSE);
      sd_page_set_complete (SD_PAGE (self), FALSE);
      return;
    }

  uri = sd_sip_uri_parse (address, &error);
  if (uri == NULL)
    {
      sd_gui_set_field_hint (self->address_hint, self->address_entry, error->message, TRUE);
      sd_page_set_complete (SD_PAGE (self), FALSE);
      return;
    }
  aor = sd_sip_uri_to_aor (uri);
  /* Translators: %s is a domain such as example.com */
  hint = g_strdup_printf (_("The checks will look for the servers of %s."), uri->host);
  sd_gui_set_field_hint (self->address_hint, self->address_entry, hint, FALSE);
  g_clear_pointer (&hint, g_free);

  sign_in = sd_sign_in_parse (sign_in_text, uri, &error);
  if (sign_in == NULL)
    {
      sd_gui_set_field_hint (self->sign_in_hint, self->sign_in_entry, error->message, TRUE);
      sd_page_set_complete (SD_PAGE (self), FALSE);
      return;
    }
  switch (sign_in->style)
    {
    case SD_SIGN_IN_NTLM:
      /* Translators: the first %s is a Windows domain, the second a user name */
      hint = g_strdup_printf (_("Windows style: domain %s, user %s. Tried with NTLM (and Digest); "
                                "Kerberos needs the form user@realm."),
                              sign_in->domain, sign_in->user);
      break;
    case SD_SIGN_IN_KERBEROS:
      /* Translators: the first %s is a user name, the second a realm */
      hint = g_strdup_printf (_("Kerberos style: user %s, realm %s. Tried with Kerberos, then NTLM "
                                "(the whole name, as Windows sends it), then Digest."),
                              sign_in->user, sign_in->realm);
      break;
    case SD_SIGN_IN_PLAIN:
      /* Translators: %s is a user name */
      hint = g_strdup_printf (_("User name %s."), sign_in->user);
      break;
    case SD_SIGN_IN_ADDRESS:
    default:
      /* Translators: %s is a SIP address such as alice@example.com */
      hint = g_strdup_printf (_("%s will be used. Fill this in only if the program has a "
                                "separate sign-in name."), aor);
      break;
    }
  sd_gui_set_field_hint (self->sign_in_hint, self->sign_in_entry, hint, FALSE);
  sd_page_set_complete (SD_PAGE (self), TRUE);
}

static void
entry_changed_cb (SdAccountPage *self)
{
  validate (self);
}

static void
sd_account_page_fill_config (SdPage *page, SdConfig *config)
{
  SdAccountPage *self = SD_ACCOUNT_PAGE (page);
  const char *sign_in = gtk_entry_get_text (self->sign_in_entry);
  const char *password = gtk_entry_get_text (self->password_entry);
  SdClientProfile client = SD_CLIENT_GENERIC;

  g_free (config->address);
  config->address = g_strdup (gtk_entry_get_text (self->address_entry));
  g_free (config->sign_in);
  config->sign_in = *sign_in != '\0' ? g_strdup (sign_in) : NULL;
  sd_config_set_password (config, *password != '\0' ? password : NULL);
  if (sd_client_profile_from_string (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->client_combo)),
                                     &client))
    config->client = client;
}

static void
sd_account_page_remember (SdPage *page, GSettings *settings)
{
  SdAccountPage *self = SD_ACCOUNT_PAGE (page);
  const char *client = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->client_combo));

  /* The password is deliberately not remembered. */
  g_settings_set_string (settings, "last-address", gtk_entry_get_text (self->address_entry));
  g_settings_set_string (settings, "last-sign-in", gtk_entry_get_text (self->sign_in_entry));
  if (client != NULL)
    g_settings_set_string (settings, "last-client", client);
}

static void
sd_account_page_shown (SdPage *page)
{
  SdAccountPage *self = SD_ACCOUNT_PAGE (page);

  if (!gtk_widget_has_focus (GTK_WIDGET (self->address_entry)))
    gtk_widget_grab_focus (GTK_WIDGET (self->address_entry));
}

static void
sd_account_page_class_init (SdAccountPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SdPageClass *page_class = SD_PAGE_CLASS (klass);

  page_class->fill_config = sd_account_page_fill_config;
  page_class->remember = sd_account_page_remember;
  page_class->shown = sd_account_page_shown;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/sipdoctor/SipDoctor/sd-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SdAccountPage, address_entry);
  gtk_widget_class_bind_template_child (widget_class, SdAccountPage, address_hint);
  gtk_widget_class_bind_template_child (widget_class, SdAccountPage, sign_in_entry);
  gtk_widget_class_bind_template_child (widget_class, SdAccountPage, sign_in_hint);
  gtk_widget_class_bind_template_child (widget_class, SdAccountPage, password_entry);
  gtk_widget_class_bind_template_child (widget_class, SdAccountPage, client_combo);
  gtk_widget_class_bind_template_child (widget_class, SdAccountPage, client_hint);
  gtk_widget_class_bind_template_callback (widget_class, entry_changed_cb);
}

static void
sd_account_page_init (SdAccountPage *self)
{
  g_autoptr(GSettings) settings = g_settings_new (BASE_APPLICATION_ID);
  g_autofree char *address = NULL;
  g_autofree char *sign_in = NULL;
  g_autofree char *client = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  sd_page_set_title (SD_PAGE (self), _("Account"));

  for (SdClientProfile p = SD_CLIENT_GENERIC; p <= SD_CLIENT_LYNC; p++)
    gtk_combo_box_text_append (self->client_combo, sd_client_profile_to_string (p),
                               sd_client_profile_title (p));

  address = g_settings_get_string (settings, "last-address");
  sign_in = g_settings_get_string (settings, "last-sign-in");
  client = g_settings_get_string (settings, "last-client");
  gtk_entry_set_text (self->address_entry, address);
  gtk_entry_set_text (self->sign_in_entry, sign_in);
  if (!gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->client_combo), client))
    gtk_combo_box_set_active (GTK_COMBO_BOX (self->client_combo), 0);

  sd_gui_name_from_labels (GTK_WIDGET (self));
  validate (self);
}

void
sd_account_page_set_address (SdAccountPage *self, const char *address)
{
  g_return_if_fail (SD_IS_ACCOUNT_PAGE (self));
  gtk_entry_set_text (self->address_entry, address != NULL ? address : "");
}
