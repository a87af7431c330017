/* sd-certificate-pane.c: the server's certificate chain, in the manner of
 * gcr's certificate viewer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include "sd-certificate-pane.h"
#include "sd-gui-util.h"

struct _SdCertificatePane {
  GtkBox        parent_instance;

  GtkLabel     *empty_label;
  GtkWidget    *checks_frame;
  GtkListBox   *checks_list;
  GtkWidget    *viewer_box;
  GtkTreeView  *chain_view;
  GtkGrid      *details_grid;
  GtkWidget    *export_button;
  GtkLabel     *export_status;

  GtkTreeStore *chain_store;
  JsonArray    *chain;
  JsonObject   *revocation;   /* the tls step's data.revocation, or NULL */
  JsonObject   *aia;          /* data.aia, or NULL */
  char         *chain_key;
  int           selected;
  int           grid_row;     /* next free row of details_grid */
  GtkFileChooserNative *chooser;
  GCancellable *export_cancellable;
};

G_DEFINE_FINAL_TYPE (SdCertificatePane, sd_certificate_pane, GTK_TYPE_BOX)

static JsonObject *
cert_at (SdCertificatePane *self, int index)
{
  if (self->chain == NULL || index < 0 || (guint) index >= json_array_get_length (self->chain))
    return NULL;
  return json_array_get_object_element (self->chain, index);
}

/* The CN of a distinguished name, else the whole name. */
static char *
common_name (const char *dn)
{
  g_auto(GStrv) parts = NULL;

  if (dn == NULL)
    return g_strdup (_("(no name)"));
  parts = g_strsplit (dn, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *p = parts[i];
      while (*p == ' ')
        p++;
      if (g_ascii_strncasecmp (p, "CN=", 3) == 0)
        return g_strdup (p + 3);
    }
  return g_strdup (dn);
}

static void
add_section (SdCertificatePane *self, const char *title)
{
  GtkWidget *label = gtk_label_new (title);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_style_context_add_class (gtk_widget_get_style_context (label), "sd-section-title");
  gtk_widget_set_margin_top (label, 12);
  gtk_grid_attach (self->details_grid, label, 0, self->grid_row++, 2, 1);
  gtk_widget_show (label);
}

static GtkWidget *
add_field (SdCertificatePane *self, const char *name, const char *value, gboolean problem)
{
  GtkWidget *key, *val;

  if (value == NULL || *value == '\0')
    return NULL;
  key = gtk_label_new (name);
  gtk_label_set_xalign (GTK_LABEL (key), 1);
  gtk_label_set_yalign (GTK_LABEL (key), 0);
  gtk_style_context_add_class (gtk_widget_get_style_context (key), "dim-label");
  {
    g_autofree char *shown = sd_gui_display_text (value);
    val = gtk_label_new (shown);
  }
  gtk_label_set_xalign (GTK_LABEL (val), 0);
  gtk_label_set_line_wrap (GTK_LABEL (val), TRUE);
  gtk_label_set_line_wrap_mode (GTK_LABEL (val), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (val), 48);
  gtk_label_set_selectable (GTK_LABEL (val), TRUE);
  gtk_widget_set_can_focus (val, FALSE);
  gtk_widget_set_hexpand (val, TRUE);
  if (problem)
    gtk_style_context_add_class (gtk_widget_get_style_context (val), "sd-error-text");
  gtk_grid_attach (self->details_grid, key, 0, self->grid_row, 1, 1);
  gtk_grid_attach (self->details_grid, val, 1, self->grid_row++, 1, 1);
  gtk_widget_show (key);
  gtk_widget_show (val);
  return val;
}

/* A date field: readable in the person's locale and time zone, with the
 * exact instant (as in the report) in the tooltip, so nothing is lost. */
static void
add_date_field (SdCertificatePane *self, const char *name, const char *text, const char *iso,
                gboolean problem)
{
  GtkWidget *val = add_field (self, name, text, problem);

  if (val != NULL && iso != NULL && g_strcmp0 (text, iso) != 0)
    gtk_widget_set_tooltip_text (val, iso);
}

static char *
join_strings (JsonArray *array, const char *sep)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      if (out->len > 0)
        g_string_append (out, sep);
      g_string_append (out, json_node_get_string (node));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* "2027-01-01T00:00:00Z" → local, readable; flags it when outside now. */
static char *
format_date (const char *iso, gboolean *past, gboolean *future)
{
  g_autoptr(GDateTime) dt = iso != NULL ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (dt == NULL)
    return g_strdup (iso);
  if (past != NULL)
    *past = g_date_time_compare (dt, now) < 0;
  if (future != NULL)
    *future = g_date_time_compare (dt, now) > 0;
  return sd_gui_format_date (dt);
}

/* The revocation entry of the certificate at @index of the chain. */
static JsonObject *
revocation_of (SdCertificatePane *self, int index)
{
  JsonArray *certs = sd_json_array (self->revocation, "certificates");

  for (guint i = 0; certs != NULL && i < json_array_get_length (certs); i++)
    {
      JsonObject *o = json_array_get_object_element (certs, i);
      JsonNode *at = o != NULL ? json_object_get_member (o, "index") : NULL;

      if (at != NULL && JSON_NODE_HOLDS_VALUE (at) && json_node_get_int (at) == index)
        return o;
    }
  return NULL;
}

static const char *
source_result_text (const char *result)
{
  if (g_strcmp0 (result, "good") == 0)
    return _("not revoked");
  if (g_strcmp0 (result, "revoked") == 0)
    return _("revoked");
  if (g_strcmp0 (result, "unknown") == 0)
    return _("does not know this certificate");
  if (g_strcmp0 (result, "invalid") == 0)
    return _("answer not usable");
  return _("no answer");
}

/* Where the certificate said to look, what each place answered, and until
 * when the answer holds. */
static void
show_revocation (SdCertificatePane *self, int index)
{
  JsonObject *r = revocation_of (self, index);
  const char *status;
  const char *text;
  gboolean problem = FALSE;
  JsonArray *sources;
  g_autofree char *ldap = NULL;

  if (self->revocation == NULL)
    return;
  add_section (self, _("Revocation"));
  if (r == NULL)
    {
      add_field (self, _("Status"), sd_json_string (self->revocation, "note") != NULL
                 ? sd_json_string (self->revocation, "note")
                 : _("Not checked for this certificate (a root is trusted as it is)."), FALSE);
      return;
    }
  status = sd_json_string (r, "status");
  problem = g_strcmp0 (status, "revoked") == 0 || g_strcmp0 (status, "unknown") == 0
            || g_strcmp0 (status, "ldap-only") == 0;
  if (g_strcmp0 (status, "good") == 0)
    text = _("Not revoked");
  else if (g_strcmp0 (status, "revoked") == 0)
    text = _("Revoked: clients refuse this server");
  else if (g_strcmp0 (status, "unknown") == 0)
    text = _("Could not be checked from here");
  else if (g_strcmp0 (status, "ldap-only") == 0)
    text = _("Published over LDAP only: not reachable outside the domain");
  else if (g_strcmp0 (status, "no-info") == 0)
    text = _("The certificate names no place to check");
  else
    text = sd_json_string (self->revocation, "note") != NULL ? sd_json_string (self->revocation, "note")
                                                               : _("Not checked");
  add_field (self, _("Status"), text, problem);
  if (sd_json_string (r, "expires") != NULL)
    {
      g_autofree char *until = format_date (sd_json_string (r, "expires"), NULL, NULL);
      add_date_field (self, _("Answer valid until"), until, sd_json_string (r, "expires"), FALSE);
    }

  sources = sd_json_array (r, "sources");
  for (guint i = 0; sources != NULL && i < json_array_get_length (sources); i++)
    {
      JsonObject *s = json_array_get_object_element (sources, i);
      const char *result = sd_json_string (s, "result");
      const char *kind = g_strcmp0 (sd_json_string (s, "kind"), "crl") == 0 ? _("CRL") : "OCSP";
      g_autoptr(GString) line = g_string_new (sd_json_string (s, "url"));
      gboolean bad = g_strcmp0 (result, "good") != 0;

      /* Translators: after a URL, what the server there answered */
      g_string_append_printf (line, _(" — %s"), source_result_text (result));
      if (sd_json_string (s, "next_update") != NULL && !bad)
        {
          g_autofree char *until = format_date (sd_json_string (s, "next_update"), NULL, NULL);
          /* Translators: how long a revocation answer holds */
          g_string_append_printf (line, _(", until %s"), until);
        }
      if (sd_json_string (s, "error") != NULL)
        g_string_append_printf (line, "\n%s", sd_json_string (s, "error"));
      add_field (self, kind, line->str, bad);
    }
  ldap = join_strings (sd_json_array (r, "ldap_urls"), "\n");
  add_field (self, "LDAP", ldap, FALSE);
  if ((sources == NULL || json_array_get_length (sources) == 0) && *ldap == '\0')
    add_field (self, _("Looked at"), _("No CRL distribution point or OCSP responder"), FALSE);
}

static void
show_details (SdCertificatePane *self, int index)
{
  JsonObject *c = cert_at (self, index);
  JsonObject *san, *key;
  g_autofree char *subject_cn = NULL;
  g_autofree char *issuer_cn = NULL;
  g_autofree char *not_after = NULL;
  g_autofree char *not_before = NULL;
  g_autofree char *dns = NULL, *ip = NULL, *uri = NULL, *ku = NULL, *eku = NULL;
  g_autofree char *key_text = NULL;
  gboolean expired = FALSE, not_yet = FALSE;

  self->selected = index;
  sd_gui_clear_container (GTK_CONTAINER (self->details_grid));
  self->grid_row = 0;
  gtk_widget_set_sensitive (self->export_button, c != NULL && sd_json_string (c, "pem") != NULL);
  if (c == NULL)
    return;

  subject_cn = common_name (sd_json_string (c, "subject"));
  issuer_cn = common_name (sd_json_string (c, "issuer"));
  not_after = format_date (sd_json_string (c, "not_after"), &expired, NULL);
  not_before = format_date (sd_json_string (c, "not_before"), NULL, &not_yet);

  add_section (self, _("Identity"));
  add_field (self, _("Issued to"), subject_cn, FALSE);
  add_field (self, _("Verified by"), issuer_cn, FALSE);
  add_date_field (self, _("Expires"), not_after, sd_json_string (c, "not_after"), expired);
  if (expired)
    add_field (self, "", _("This certificate has expired."), TRUE);
  if (not_yet)
    add_field (self, "", _("This certificate is not valid yet."), TRUE);
  if (sd_json_double (c, "via_aia", 0) != 0)
    {
      g_autofree char *via = g_strdup_printf (
        _("Not sent by the server: fetched from %s, as Windows clients do. Phones, Macs and Linux clients "
          "do not fetch it."), self->aia != NULL && sd_json_string (self->aia, "url") != NULL
                               ? sd_json_string (self->aia, "url") : "?");
      add_field (self, "", via, TRUE);
    }

  /* Right after the identity: whether clients that check accept it. */
  show_revocation (self, index);

  add_section (self, _("Subject"));
  add_field (self, _("Name"), sd_json_string (c, "subject"), FALSE);
  add_section (self, _("Issuer"));
  add_field (self, _("Name"), sd_json_string (c, "issuer"), FALSE);
  if (sd_json_double (c, "self_signed", 0) != 0)
    add_field (self, "", _("Self-signed: no authority vouches for it."), TRUE);

  add_section (self, _("Serial number"));
  add_field (self, _("Serial"), sd_json_string (c, "serial"), FALSE);

  add_section (self, _("Validity"));
  add_date_field (self, _("Not before"), not_before, sd_json_string (c, "not_before"), not_yet);
  add_date_field (self, _("Not after"), not_after, sd_json_string (c, "not_after"), expired);

  add_section (self, _("Fingerprints"));
  add_field (self, "SHA-256", sd_json_string (c, "sha256"), FALSE);
  add_field (self, "SHA-1", sd_json_string (c, "sha1"), FALSE);

  add_section (self, _("Public key"));
  key = sd_json_object (c, "key");
  if (key != NULL)
    /* Translators: a key type and its size, such as "RSA, 2048 bits" */
    key_text = g_strdup_printf (_("%s, %.0f bits"), sd_json_string (key, "type") ? sd_json_string (key, "type") : "?",
                                sd_json_double (key, "bits", 0));
  add_field (self, _("Key"), key_text, FALSE);
  add_field (self, _("Signature"), sd_json_string (c, "signature_algorithm"), FALSE);

  add_section (self, _("Extensions"));
  san = sd_json_object (c, "san");
  dns = join_strings (sd_json_array (san, "dns"), "\n");
  ip = join_strings (sd_json_array (san, "ip"), "\n");
  uri = join_strings (sd_json_array (san, "uri"), "\n");
  add_field (self, _("DNS names"), dns, FALSE);
  add_field (self, _("IP addresses"), ip, FALSE);
  add_field (self, _("SIP names"), uri, FALSE);
  if (*dns == '\0' && *ip == '\0' && *uri == '\0')
    add_field (self, _("Names"), _("None: only the subject name above"), FALSE);
  add_field (self, _("Certificate authority"),
             sd_json_double (c, "is_ca", 0) != 0 ? _("Yes") : _("No"), FALSE);
  ku = join_strings (sd_json_array (c, "key_usage"), ", ");
  eku = join_strings (sd_json_array (c, "extended_key_usage"), ", ");
  add_field (self, _("Key usage"), ku, FALSE);
  add_field (self, _("Extended key usage"), eku, FALSE);
}

static void
selection_changed_cb (SdCertificatePane *self, GtkTreeSelection *selection)
{
  GtkTreeModel *model;
  GtkTreeIter iter;
  int index = -1;

  if (gtk_tree_selection_get_selected (selection, &model, &iter))
    gtk_tree_model_get (model, &iter, 1, &index, -1);
  show_details (self, index);
}

static void
fill_checks (SdCertificatePane *self, JsonObject *tls)
{
  JsonArray *checks = sd_json_array (tls, "checks");
  guint n = checks != NULL ? json_array_get_length (checks) : 0;

  sd_gui_clear_container (GTK_CONTAINER (self->checks_list));
  gtk_widget_set_visible (self->checks_frame, n > 0);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *check = json_array_get_object_element (checks, i);
      const char *result = sd_json_string (check, "result");
      const char *message = sd_json_string (check, "message");
      SdStatus status = g_strcmp0 (result, "pass") == 0 ? SD_STATUS_PASS
                      : g_strcmp0 (result, "warn") == 0 ? SD_STATUS_WARN
                      : g_strcmp0 (result, "fail") == 0 ? SD_STATUS_FAIL : SD_STATUS_SKIP;
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget *icon = gtk_image_new_from_icon_name (sd_gui_status_icon_name (status), GTK_ICON_SIZE_BUTTON);
      GtkWidget *label = gtk_label_new (NULL);

      sd_gui_label_set_message (GTK_LABEL (label), message != NULL ? message : sd_json_string (check, "id"));
      g_object_set (box, "margin-start", 12, "margin-end", 12, "margin-top", 6, "margin-bottom", 6, NULL);
      gtk_widget_set_valign (icon, GTK_ALIGN_START);
      gtk_style_context_add_class (gtk_widget_get_style_context (icon),
                                   status == SD_STATUS_FAIL ? "sd-error"
                                   : status == SD_STATUS_WARN ? "sd-warning"
                                   : status == SD_STATUS_PASS ? "sd-ok" : "dim-label");
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (label), 70);
      if (status == SD_STATUS_FAIL)
        gtk_style_context_add_class (gtk_widget_get_style_context (label), "sd-finding-message");
      gtk_container_add (GTK_CONTAINER (box), icon);
      gtk_container_add (GTK_CONTAINER (box), label);
      {
        GtkWidget *row = gtk_list_box_row_new ();
        gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
        gtk_container_add (GTK_CONTAINER (row), box);
        gtk_widget_show_all (row);
        gtk_container_add (GTK_CONTAINER (self->checks_list), row);
      }
    }
}

void
sd_certificate_pane_set_data (SdCertificatePane *self, JsonObject *tls)
{
  JsonArray *chain = sd_json_array (tls, "chain");
  guint n = chain != NULL ? json_array_get_length (chain) : 0;
  g_autoptr(GString) key = g_string_new (NULL);
  GtkTreeIter parent, iter;
  gboolean have_parent = FALSE;

  g_return_if_fail (SD_IS_CERTIFICATE_PANE (self));

  fill_checks (self, tls);
  {
    JsonObject *rev = sd_json_object (tls, "revocation");
    JsonObject *aia = sd_json_object (tls, "aia");
    gboolean changed = rev != self->revocation;

    g_clear_pointer (&self->revocation, json_object_unref);
    g_clear_pointer (&self->aia, json_object_unref);
    if (rev != NULL)
      self->revocation = json_object_ref (rev);
    if (aia != NULL)
      self->aia = json_object_ref (aia);
    /* The revocation answers come after the chain: show them on the
     * certificate already selected. */
    if (changed && self->chain != NULL && g_strcmp0 (self->chain_key, "") != 0)
      show_details (self, self->selected);
  }
  gtk_widget_set_visible (self->viewer_box, n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label), n == 0);
  if (n == 0)
    gtk_label_set_text (self->empty_label,
                        tls == NULL || sd_json_string (tls, "handshake") == NULL
                        ? _("No certificate yet: it is shown here once a secure (TLS) connection is made.")
                        : _("The server sent no certificate."));

  for (guint i = 0; i < n; i++)
    {
      const char *fp = sd_json_string (json_array_get_object_element (chain, i), "sha256");
      g_string_append (key, fp != NULL ? fp : "?");
    }
  if (g_strcmp0 (key->str, self->chain_key) == 0)
    return;   /* same chain: keep the selection */

  g_free (self->chain_key);
  self->chain_key = g_strdup (key->str);
  g_clear_pointer (&self->chain, json_array_unref);
  if (chain != NULL)
    self->chain = json_array_ref (chain);

  gtk_tree_store_clear (self->chain_store);
  /* The root at the top, each certificate under the one that signed it. */
  for (int i = (int) n - 1; i >= 0; i--)
    {
      g_autofree char *cn = common_name (sd_json_string (cert_at (self, i), "subject"));
      /* Translators: a certificate the server did not send, in the chain's tree */
      g_autofree char *name = sd_json_double (cert_at (self, i), "via_aia", 0) != 0
                              ? g_strdup_printf (_("Fetched (AIA): %s"), cn) : g_strdup (cn);

      g_autofree char *shown = sd_gui_display_text (name);

      gtk_tree_store_insert_with_values (self->chain_store, &iter, have_parent ? &parent : NULL, -1,
                                         0, shown, 1, i, -1);
      parent = iter;
      have_parent = TRUE;
    }
  gtk_tree_view_expand_all (self->chain_view);
  if (have_parent)
    gtk_tree_selection_select_iter (gtk_tree_view_get_selection (self->chain_view), &parent);
  else
    show_details (self, -1);
}

static void
export_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GCancellable) cancellable = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_file_get_parse_name (G_FILE (source));
  g_autofree char *text = NULL;
  SdCertificatePane *self;

  /* Also when it finished just before a cancel (a newer export, or dispose). */
  if ((!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error)
       && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      || g_cancellable_is_cancelled (cancellable))
    return;
  self = SD_CERTIFICATE_PANE (g_object_get_data (G_OBJECT (cancellable), "sd-owner"));
  g_clear_object (&self->export_cancellable);
  if (error != NULL)
    text = g_strdup_printf (_("Not exported: %s"), error->message);
  else
    /* Translators: %s is a file name */
    text = g_strdup_printf (_("Exported to %s."), path);
  gtk_label_set_text (self->export_status, text);
}

static void
export_to (SdCertificatePane *self, GFile *file)
{
  const char *pem = sd_json_string (cert_at (self, self->selected), "pem");
  g_autoptr(GBytes) bytes = NULL;

  if (pem == NULL)
    return;
  g_cancellable_cancel (self->export_cancellable);
  g_clear_object (&self->export_cancellable);
  self->export_cancellable = g_cancellable_new ();
  g_object_set_data (G_OBJECT (self->export_cancellable), "sd-owner", self);
  bytes = g_bytes_new (pem, strlen (pem));
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                       self->export_cancellable, export_done_cb,
                                       g_object_ref (self->export_cancellable));
}

static void
chooser_response_cb (SdCertificatePane *self, int response, GtkNativeDialog *dialog)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_clear_object (&self->chooser);
  if (file != NULL)
    export_to (self, file);
}

static void
export_clicked_cb (SdCertificatePane *self)
{
  g_autoptr(GFile) test_file = NULL;
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  g_autofree char *cn = NULL;
  g_autofree char *name = NULL;
  GtkFileFilter *filter;

  if (cert_at (self, self->selected) == NULL || self->chooser != NULL)
    return;
  if (sd_gui_test_choose_file != NULL)
    test_file = sd_gui_test_choose_file ("certificate");
  if (test_file != NULL)
    {
      export_to (self, test_file);
      return;
    }

  self->chooser = gtk_file_chooser_native_new (_("Export Certificate"),
                                               GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (self->chooser), TRUE);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Certificate (PEM)"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  cn = common_name (sd_json_string (cert_at (self, self->selected), "subject"));
  g_strcanon (cn, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", '_');
  name = g_strdup_printf ("%s.pem", cn);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
sd_certificate_pane_dispose (GObject *object)
{
  SdCertificatePane *self = SD_CERTIFICATE_PANE (object);

  g_cancellable_cancel (self->export_cancellable);
  g_clear_object (&self->export_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  G_OBJECT_CLASS (sd_certificate_pane_parent_class)->dispose (object);
}

static void
sd_certificate_pane_finalize (GObject *object)
{
  SdCertificatePane *self = SD_CERTIFICATE_PANE (object);

  g_clear_object (&self->chain_store);
  g_clear_pointer (&self->chain, json_array_unref);
  g_clear_pointer (&self->revocation, json_object_unref);
  g_clear_pointer (&self->aia, json_object_unref);
  g_free (self->chain_key);
  G_OBJECT_CLASS (sd_certificate_pane_parent_class)->finalize (object);
}

static void
sd_certificate_pane_class_init (SdCertificatePaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sd_certificate_pane_dispose;
  object_class->finalize = sd_certificate_pane_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/sipdoctor/SipDoctor/sd-certificate-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, SdCertificatePane, empty_label);
  gtk_widget_class_bind_template_child (widget_class, SdCertificatePane, checks_frame);
  gtk_widget_class_bind_template_child (widget_class, SdCertificatePane, checks_list);
  gtk_widget_class_bind_template_child (widget_class, SdCertificatePane, viewer_box);
  gtk_widget_class_bind_template_child (widget_class, SdCertificatePane, chain_view);
  gtk_widget_class_bind_template_child (widget_class, SdCertificatePane, details_grid);
  gtk_widget_class_bind_template_child (widget_class, SdCertificatePane, export_button);
  gtk_widget_class_bind_template_child (widget_class, SdCertificatePane, export_status);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked_cb);
}

static void
sd_certificate_pane_init (SdCertificatePane *self)
{
  GtkCellRenderer *cell;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->selected = -1;
  self->chain_store = gtk_tree_store_new (2, G_TYPE_STRING, G_TYPE_INT);
  gtk_tree_view_set_model (self->chain_view, GTK_TREE_MODEL (self->chain_store));
  cell = gtk_cell_renderer_text_new ();
  gtk_tree_view_append_column (self->chain_view,
                               gtk_tree_view_column_new_with_attributes (_("Certificate"), cell, "text", 0, NULL));
  g_signal_connect_object (gtk_tree_view_get_selection (self->chain_view), "changed",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  sd_certificate_pane_set_data (self, NULL);
}
