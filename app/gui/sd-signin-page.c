/* sd-signin-page.c: runs the sip and auth steps on entry; shows the trace
 * pane (every message, direction and time), the sign-in methods offered,
 * and says plainly what cannot be checked without a password.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include "sd-signin-page.h"
#include "sd-gui-util.h"

struct _SdSigninPage {
  SdPage        parent_instance;

  GtkListBox   *steps_list;
  GtkLabel     *password_label;
  GtkWidget    *findings_box;
  GtkListBox   *findings_list;
  GtkLabel     *schemes_label;
  GtkLabel     *network_label;
  GtkTextView  *trace_view;

  guint         n_trace_shown;
};

G_DEFINE_FINAL_TYPE (SdSigninPage, sd_signin_page, SD_TYPE_PAGE)

static void
fill_trace (SdSigninPage *self, SdRun *run)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->trace_view);
  g_autoptr(JsonNode) node = NULL;
  JsonArray *entries;
  GtkTextIter end;
  guint n;

  if (run == NULL)
    {
      gtk_text_buffer_set_text (buffer, "", -1);
      self->n_trace_shown = 0;
      return;
    }
  if (sd_trace_get_n_entries (sd_run_get_trace (run)) == self->n_trace_shown)
    return;

  node = sd_trace_to_json (sd_run_get_trace (run));
  entries = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  n = entries != NULL ? json_array_get_length (entries) : 0;
  if (n < self->n_trace_shown)
    {
      gtk_text_buffer_set_text (buffer, "", -1);
      self->n_trace_shown = 0;
    }

  for (guint i = self->n_trace_shown; i < n; i++)
    {
      JsonObject *e = json_array_get_object_element (entries, i);
      const char *direction = sd_json_string (e, "direction");
      const char *peer = sd_json_string (e, "peer");
      const char *transport = sd_json_string (e, "transport");
      const char *text = sd_json_string (e, "text");
      g_autofree char *time = sd_gui_format_ms (sd_json_double (e, "time_ms", 0));
      g_autofree char *transport_up = transport != NULL ? g_ascii_strup (transport, -1) : g_strdup ("");
      g_autofree char *header = NULL;

      if (g_strcmp0 (direction, "sent") == 0)
        /* Translators: a trace line: peer, transport, time since the start */
        header = g_strdup_printf (_("→ Sent to %s over %s, at %s"), peer ? peer : "?", transport_up, time);
      else if (g_strcmp0 (direction, "received") == 0)
        header = g_strdup_printf (_("← Received from %s over %s, at %s"), peer ? peer : "?", transport_up, time);
      else
        header = g_strdup_printf (_("• Note, at %s"), time);

      gtk_text_buffer_get_end_iter (buffer, &end);
      if (i > 0)
        gtk_text_buffer_insert (buffer, &end, "\n", -1);
      gtk_text_buffer_insert_with_tags_by_name (buffer, &end, header, -1, "header", NULL);
      gtk_text_buffer_insert (buffer, &end, "\n", -1);
      if (text != NULL)
        {
          g_autofree char *clean = sd_gui_display_text (text);
          g_strdelimit (clean, "\r", ' ');
          g_strchomp (clean);
          gtk_text_buffer_insert (buffer, &end, clean, -1);
          gtk_text_buffer_insert (buffer, &end, "\n", -1);
        }
    }
  self->n_trace_shown = n;
  if (n == 0)
    gtk_text_buffer_set_text (buffer, _("No messages yet."), -1);
}

/* One line per method the auth step tried, with its result in words. */
static void
describe_methods (JsonArray *methods, GString *out)
{
  for (guint i = 0; methods != NULL && i < json_array_get_length (methods); i++)
    {
      JsonObject *m = json_array_get_object_element (methods, i);
      const char *scheme = sd_json_string (m, "scheme");
      const char *result = sd_json_string (m, "result");
      const char *user = sd_json_string (m, "username");
      const char *words;

      if (scheme == NULL || result == NULL)
        continue;
      if (g_str_equal (result, "ok"))
        words = json_object_get_boolean_member_with_default (m, "rspauth_verified", FALSE)
                  ? _("signed in; the server proved it holds the same key")
                  : _("signed in");
      else if (g_str_equal (result, "rejected"))
        words = _("the name or password was not accepted (tried once)");
      else if (g_str_equal (result, "failed"))
        words = _("failed on this computer before the server could judge it");
      else if (g_str_equal (result, "bad-rspauth"))
        words = _("accepted, but the answer is not signed with the session key");
      else if (g_str_equal (result, "not-tried"))
        words = _("not tried");
      else if (g_str_equal (result, "not-continued"))
        words = _("the server did not continue the exchange");
      else
        words = _("no answer");
      g_string_append (out, "\n");
      if (user != NULL && user[0] != '\0')
        /* Translators: a sign-in method tried: "NTLM as LAB\alice: signed in" */
        g_string_append_printf (out, _("• %s as %s: %s"), scheme, user, words);
      else
        g_string_append_printf (out, _("• %s: %s"), scheme, words);
    }
}

static const char *
finding_message (SdRun *run, const char *code)
{
  GPtrArray *findings = sd_run_get_findings (run);

  for (guint i = 0; findings != NULL && i < findings->len; i++)
    {
      SdFinding *f = findings->pdata[i];
      if (g_strcmp0 (f->code, code) == 0)
        return f->message;
    }
  return NULL;
}

/* The sip step's network check (data.network) in plain words: the router
 * first, as it is what a person can change. */
static void
fill_network (SdSigninPage *self, SdRun *run, JsonObject *sip)
{
  JsonObject *network = sd_json_object (sip, "network");
  g_autoptr(GString) text = g_string_new (NULL);
  const char *alg;

  if (network == NULL)
    {
      gtk_label_set_text (self->network_label,
                          run != NULL && sd_run_get_step_status (run, SD_STEP_SIP) != SD_STATUS_PENDING
                          ? _("Not checked: the server did not answer over the transport chosen.")
                          : _("Not checked yet."));
      return;
    }
  alg = finding_message (run, SD_FINDING_SIP_ALG_DETECTED);
  if (json_object_get_boolean_member_with_default (network, "alg", FALSE) && alg != NULL)
    g_string_append_printf (text, "%s\n%s\n\n", _("Your router changes SIP messages."), alg);
  if (json_object_get_boolean_member_with_default (network, "udp_blocked", FALSE))
    g_string_append_printf (text, "%s\n\n", _("SIP over UDP gets no answer, while TCP or TLS works."));
  if (json_object_get_boolean_member_with_default (network, "tcp_blocked", FALSE))
    g_string_append_printf (text, "%s\n\n", _("SIP over TCP and TLS gets no answer, while UDP works."));
  if (json_object_get_int_member_with_default (network, "udp_fragmentation_lost_size", 0) > 0)
    {
      g_string_append_printf (text, _("Large SIP requests over UDP are lost (%u bytes and more): use TCP "
                                       "or TLS."),
                              (guint) json_object_get_int_member (network, "udp_fragmentation_lost_size"));
      g_string_append (text, "\n\n");
    }
  if (json_object_get_boolean_member_with_default (network, "nat", FALSE))
    {
      g_autofree char *seen = sd_text_escape (sd_json_string (network, "public_address"), FALSE);
      g_string_append_printf (text, _("This computer is behind NAT: the server sees it as %s."), seen);
    }
  else if (text->len == 0)
    g_string_append (text, _("No NAT and no router changing SIP were seen between this computer and "
                             "the server."));
  g_strchomp (text->str);
  gtk_label_set_text (self->network_label, text->str);
}

static void
sd_signin_page_refresh (SdPage *page)
{
  SdSigninPage *self = SD_SIGNIN_PAGE (page);
  SdRun *run = sd_page_get_run (SD_PAGE (self));
  const SdConfig *config = run != NULL ? sd_run_get_config (run) : NULL;
  JsonObject *sip = run != NULL ? sd_run_get_step_data (run, SD_STEP_SIP) : NULL;
  JsonObject *auth = run != NULL ? sd_run_get_step_data (run, SD_STEP_AUTH) : NULL;
  JsonArray *offered = sd_json_array (auth, "schemes_offered");
  JsonArray *challenges = sd_json_array (sip, "challenges");
  JsonArray *methods = sd_json_array (auth, "methods");
  g_autoptr(GString) schemes = g_string_new (NULL);

  if (config != NULL && config->password != NULL)
    gtk_label_set_text (self->password_label,
                        _("A password was given, so the tool really tries to sign in with it "
                          "(only over a connection it trusts, and never in clear text)."));
  else
    gtk_label_set_text (self->password_label,
                        _("No password was given. The tool checks that the server answers and which "
                          "sign-in methods it asks for, but cannot tell whether the password is right. "
                          "To check that too, go Back to the Account page and type it."));

  for (guint i = 0; offered != NULL && i < json_array_get_length (offered); i++)
    {
      const char *s = json_array_get_string_element (offered, i);
      if (s == NULL)
        continue;
      if (schemes->len > 0)
        g_string_append (schemes, ", ");
      g_string_append (schemes, s);
    }
  if (schemes->len == 0)
    for (guint i = 0; challenges != NULL && i < json_array_get_length (challenges); i++)
      {
        const char *s = sd_json_string (json_array_get_object_element (challenges, i), "scheme");
        if (s == NULL)
          continue;
        if (schemes->len > 0)
          g_string_append (schemes, ", ");
        g_string_append (schemes, s);
      }
  if (schemes->len == 0)
    g_string_append (schemes, run != NULL && sd_run_get_step_status (run, SD_STEP_SIP) != SD_STATUS_PENDING
                              && sd_run_get_step_status (run, SD_STEP_SIP) != SD_STATUS_SKIP
                     ? _("The server did not ask for any sign-in.")
                     : _("Not known yet: the server has not been asked."));
  else if (methods != NULL && json_array_get_length (methods) > 0)
    {
      g_string_append (schemes, "\n");
      g_string_append (schemes, _("Tried, each once, in the order a Windows client tries them:"));
      describe_methods (methods, schemes);
    }
  else if (strstr (schemes->str, "NTLM") != NULL || strstr (schemes->str, "Kerberos") != NULL
           || strstr (schemes->str, "TLS-DSK") != NULL)
    {
      g_string_append (schemes, "\n");
      g_string_append (schemes,
                       _("NTLM and Kerberos are checked when a password is given. TLS-DSK needs a user "
                         "certificate that only the real program can obtain; what was found above says "
                         "where from."));
    }
  else if (strstr (schemes->str, "Digest") != NULL)
    {
      g_string_append (schemes, "\n");
      g_string_append (schemes, _("Digest: the password is proved without being sent. This tool can "
                                  "check it when a password is given."));
    }
  {
    g_autofree char *shown = sd_gui_display_text (schemes->str);
    gtk_label_set_text (self->schemes_label, shown);
  }

  fill_network (self, run, sip);
  fill_trace (self, run);
}

static void
sd_signin_page_run_changed (SdPage *page)
{
  SdSigninPage *self = SD_SIGNIN_PAGE (page);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->trace_view), "", -1);
  self->n_trace_shown = 0;
}

static void
sd_signin_page_class_init (SdSigninPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SdPageClass *page_class = SD_PAGE_CLASS (klass);

  page_class->run_changed = sd_signin_page_run_changed;
  page_class->refresh = sd_signin_page_refresh;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/sipdoctor/SipDoctor/sd-signin-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SdSigninPage, steps_list);
  gtk_widget_class_bind_template_child (widget_class, SdSigninPage, password_label);
  gtk_widget_class_bind_template_child (widget_class, SdSigninPage, findings_box);
  gtk_widget_class_bind_template_child (widget_class, SdSigninPage, findings_list);
  gtk_widget_class_bind_template_child (widget_class, SdSigninPage, schemes_label);
  gtk_widget_class_bind_template_child (widget_class, SdSigninPage, network_label);
  gtk_widget_class_bind_template_child (widget_class, SdSigninPage, trace_view);
}

static void
sd_signin_page_init (SdSigninPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sd_page_set_step_views (SD_PAGE (self), SD_STEP_SIP, self->steps_list,
                          self->findings_box, self->findings_list);
  sd_page_set_title (SD_PAGE (self), _("Sign-in"));
  sd_page_set_last_step (SD_PAGE (self), SD_STEP_AUTH);
  sd_page_set_complete (SD_PAGE (self), TRUE);
  gtk_text_buffer_create_tag (gtk_text_view_get_buffer (self->trace_view), "header",
                              "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->trace_view), _("No messages yet."), -1);
}
