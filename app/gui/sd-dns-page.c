/* sd-dns-page.c: runs the uri and dns steps on entry and shows the DNS
 * pane: every query with its answer or error, and the candidate list.
 *
 * Renders only from the step's data object (docs/report-data.md), re-read
 * whenever the run reports progress.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include "sd-dns-page.h"
#include "sd-gui-util.h"

struct _SdDnsPage {
  SdPage        parent_instance;

  GtkListBox   *steps_list;
  GtkWidget    *findings_box;
  GtkListBox   *findings_list;
  GtkTreeView  *queries_view;
  GtkTreeView  *candidates_view;
  GtkLabel     *resolver_label;

  GtkListStore *queries;
  GtkListStore *candidates;
};

G_DEFINE_FINAL_TYPE (SdDnsPage, sd_dns_page, SD_TYPE_PAGE)

static const char *
rcode_words (const char *rcode)
{
  if (g_strcmp0 (rcode, "NXDOMAIN") == 0)
    return _("No such name");
  if (g_strcmp0 (rcode, "SERVFAIL") == 0)
    return _("The DNS server failed");
  if (g_strcmp0 (rcode, "REFUSED") == 0)
    return _("The DNS server refused to answer");
  if (g_strcmp0 (rcode, "TIMEOUT") == 0)
    return _("No answer in time");
  return _("Error");
}

static char *
describe_answer (JsonObject *a)
{
  const char *type = sd_json_string (a, "type");

  if (g_strcmp0 (type, "SRV") == 0)
    {
      const char *target = sd_json_string (a, "target");
      if (g_strcmp0 (target, ".") == 0)
        return g_strdup (_("Service not offered here (target “.”)"));
      /* Translators: an SRV record: host:port, priority, weight */
      return g_strdup_printf (_("%s:%.0f (priority %.0f, weight %.0f)"), target ? target : "?",
                              sd_json_double (a, "port", 0), sd_json_double (a, "priority", 0),
                              sd_json_double (a, "weight", 0));
    }
  if (g_strcmp0 (type, "A") == 0 || g_strcmp0 (type, "AAAA") == 0)
    return g_strdup (sd_json_string (a, "address") ? sd_json_string (a, "address") : "?");
  if (g_strcmp0 (type, "CNAME") == 0)
    /* Translators: a CNAME record: another name for the same host */
    return g_strdup_printf (_("alias of %s"), sd_json_string (a, "target") ? sd_json_string (a, "target") : "?");
  if (g_strcmp0 (type, "NAPTR") == 0)
    return g_strdup_printf ("%s → %s", sd_json_string (a, "service") ? sd_json_string (a, "service") : "",
                            sd_json_string (a, "replacement") ? sd_json_string (a, "replacement") : "");
  return g_strdup (type != NULL ? type : "?");
}

static void refresh_placeholders (SdDnsPage *self, SdRun *run, JsonObject *dns);

/* The certificate of a web request in one line: who it is for, and the
 * first check it fails. */
static void
describe_web_certificate (GString *out, JsonObject *tls)
{
  JsonArray *chain = sd_json_array (tls, "chain");
  JsonArray *checks = sd_json_array (tls, "checks");
  JsonObject *leaf = chain != NULL && json_array_get_length (chain) > 0
                     ? json_array_get_object_element (chain, 0) : NULL;
  const char *subject = sd_json_string (leaf, "subject");

  if (out->len > 0)
    g_string_append_c (out, '\n');
  if (json_object_get_boolean_member_with_default (tls, "trusted", FALSE))
    /* Translators: %s is a certificate's subject, "CN=lyncdiscover.example.com" */
    g_string_append_printf (out, _("Certificate %s: trusted"), subject != NULL ? subject : "?");
  else
    {
      const char *why = NULL;

      for (guint i = 0; checks != NULL && i < json_array_get_length (checks) && why == NULL; i++)
        {
          JsonObject *c = json_array_get_object_element (checks, i);
          if (g_strcmp0 (sd_json_string (c, "result"), "fail") == 0)
            why = sd_json_string (c, "message");
        }
      /* Translators: a certificate's subject, then why a client refuses it */
      g_string_append_printf (out, _("Certificate %s: refused. %s"), subject != NULL ? subject : "?",
                              why != NULL ? why : "");
    }
}

/* Lync's autodiscover web requests come before its DNS look-ups, as the
 * client makes them: the names, then each request with its answer. */
static void
add_autodiscover_rows (SdDnsPage *self, JsonObject *dns)
{
  JsonObject *web = sd_json_object (dns, "lyncdiscover");
  JsonArray *names = sd_json_array (web, "names");
  JsonArray *requests = sd_json_array (web, "requests");

  for (guint i = 0; names != NULL && i < json_array_get_length (names); i++)
    {
      JsonObject *n = json_array_get_object_element (names, i);
      JsonArray *addrs = sd_json_array (n, "addresses");
      g_autoptr(GString) answer = g_string_new (NULL);

      for (guint k = 0; addrs != NULL && k < json_array_get_length (addrs); k++)
        {
          if (answer->len > 0)
            g_string_append_c (answer, '\n');
          g_string_append (answer, json_array_get_string_element (addrs, k));
        }
      if (answer->len == 0)
        g_string_append (answer, _("No address: no autodiscover service here"));
      g_autofree char *name = sd_gui_display_text (sd_json_string (n, "name"));
      g_autofree char *shown = sd_gui_display_text (answer->str);

      gtk_list_store_insert_with_values (self->queries, NULL, -1, 0, name,
                                         /* Translators: the kind of a look-up, beside DNS types */
                                         1, _("A/AAAA"), 2, shown, 3, "", -1);
    }
  for (guint i = 0; requests != NULL && i < json_array_get_length (requests); i++)
    {
      JsonObject *q = json_array_get_object_element (requests, i);
      JsonObject *doc = sd_json_object (q, "document");
      const char *url = sd_json_string (q, "url");
      const char *error = sd_json_string (q, "error");
      g_autofree char *time = sd_gui_format_ms (sd_json_double (q, "elapsed_ms", -1));
      g_autoptr(GString) answer = g_string_new (NULL);
      double status = sd_json_double (q, "status", 0);

      if (status > 0)
        /* Translators: an HTTP answer's status code, "HTTP 200" */
        g_string_append_printf (answer, _("HTTP %.0f"), status);
      if (error != NULL)
        g_string_append_printf (answer, "%s%s", answer->len > 0 ? ": " : "", error);
      if (sd_json_string (q, "document_error") != NULL)
        g_string_append_printf (answer, ": %s", sd_json_string (q, "document_error"));
      if (doc != NULL)
        {
          JsonArray *links = sd_json_array (doc, "links");
          static const char * const points[] = { "SipClientExternalAccess", "SipClientInternalAccess" };

          for (guint k = 0; links != NULL && k < json_array_get_length (links); k++)
            {
              JsonObject *l = json_array_get_object_element (links, k);
              const char *token = sd_json_string (l, "token");
              if (g_ascii_strcasecmp (token != NULL ? token : "", "Redirect") == 0
                  || g_ascii_strcasecmp (token != NULL ? token : "", "Domain") == 0)
                g_string_append_printf (answer, "\n%s → %s", token, sd_json_string (l, "href"));
            }
          for (guint k = 0; k < G_N_ELEMENTS (points); k++)
            if (sd_json_object (doc, points[k]) != NULL)
              {
                JsonObject *p = sd_json_object (doc, points[k]);
                g_string_append_printf (answer, "\n%s: %s:%.0f", points[k], sd_json_string (p, "fqdn"),
                                        sd_json_double (p, "port", 0));
              }
        }
      if (sd_json_object (q, "tls") != NULL)
        describe_web_certificate (answer, sd_json_object (q, "tls"));
      g_autofree char *shown_url = sd_gui_display_text (url);
      g_autofree char *shown = sd_gui_display_text (answer->len > 0 ? answer->str : _("Waiting…"));

      gtk_list_store_insert_with_values (self->queries, NULL, -1,
                                         0, shown_url,
                                         1, g_str_has_prefix (url != NULL ? url : "", "https:") ? "HTTPS" : "HTTP",
                                         2, shown,
                                         3, time,
                                         -1);
    }
}

static void
sd_dns_page_refresh (SdPage *page)
{
  SdDnsPage *self = SD_DNS_PAGE (page);
  SdRun *run = sd_page_get_run (SD_PAGE (self));
  JsonObject *dns = run != NULL ? sd_run_get_step_data (run, SD_STEP_DNS) : NULL;
  JsonArray *queries = sd_json_array (dns, "queries");
  JsonArray *candidates = sd_json_array (dns, "candidates");

  gtk_list_store_clear (self->queries);
  add_autodiscover_rows (self, dns);
  for (guint i = 0; queries != NULL && i < json_array_get_length (queries); i++)
    {
      JsonObject *q = json_array_get_object_element (queries, i);
      JsonArray *answers = sd_json_array (q, "answers");
      const char *rcode = sd_json_string (q, "rcode");
      g_autoptr(GString) answer = g_string_new (NULL);
      g_autofree char *time = sd_gui_format_ms (sd_json_double (q, "duration_ms", -1));

      if (q == NULL)
        continue;
      for (guint k = 0; answers != NULL && k < json_array_get_length (answers); k++)
        {
          g_autofree char *line = describe_answer (json_array_get_object_element (answers, k));
          if (answer->len > 0)
            g_string_append_c (answer, '\n');
          g_string_append (answer, line);
        }
      if (rcode != NULL && g_strcmp0 (rcode, "NOERROR") != 0)
        {
          const char *error = sd_json_string (q, "error");
          g_string_append (answer, rcode_words (rcode));
          if (error != NULL && *error != '\0')
            g_string_append_printf (answer, " (%s)", error);
        }
      else if (answer->len == 0)
        g_string_append (answer, rcode == NULL ? _("Waiting…") : _("No records of this type"));

      g_autofree char *name = sd_gui_display_text (sd_json_string (q, "name"));
      g_autofree char *shown = sd_gui_display_text (answer->str);

      gtk_list_store_insert_with_values (self->queries, NULL, -1,
                                         0, name,
                                         1, sd_json_string (q, "type"),
                                         2, shown,
                                         3, time,
                                         -1);
    }

  gtk_list_store_clear (self->candidates);
  for (guint i = 0; candidates != NULL && i < json_array_get_length (candidates); i++)
    {
      JsonObject *c = json_array_get_object_element (candidates, i);
      g_autofree char *order = g_strdup_printf ("%u", i + 1);
      g_autofree char *port = g_strdup_printf ("%.0f", sd_json_double (c, "port", 0));
      const char *address = sd_json_string (c, "address");
      const char *transport = sd_json_string (c, "transport");
      g_autofree char *transport_up = transport != NULL ? g_ascii_strup (transport, -1) : NULL;

      g_autofree char *host = sd_gui_display_text (sd_json_string (c, "host"));

      gtk_list_store_insert_with_values (self->candidates, NULL, -1,
                                         0, order,
                                         1, host,
                                         2, port,
                                         3, transport_up,
                                         4, address != NULL ? address : _("does not resolve"),
                                         5, g_strcmp0 (sd_json_string (c, "source"), "--server") == 0
                                            ? _("The Server field") : sd_json_string (c, "source"),
                                         -1);
    }
  refresh_placeholders (self, run, dns);
}

static void
refresh_placeholders (SdDnsPage *self, SdRun *run, JsonObject *dns)
{
  SdStatus status = run != NULL ? sd_run_get_step_status (run, SD_STEP_DNS) : SD_STATUS_PENDING;
  const char *resolver = sd_json_string (dns, "resolver");
  const char *mode = sd_json_string (dns, "mode");
  g_autofree char *asked = NULL;
  gboolean done = status != SD_STATUS_PENDING;

  if (g_strcmp0 (mode, "ip-literal") == 0)
    asked = g_strdup (_("The server is an IP address: a program makes no DNS look-ups at all."));
  else if (g_strcmp0 (mode, "explicit-server") == 0)
    asked = g_strdup (_("A server was named, so only its address is looked up; "
                        "automatic configuration is skipped."));
  if (resolver != NULL)
    {
      g_autofree char *who = g_strcmp0 (resolver, "system") == 0
        ? g_strdup (_("Asked: this computer's own DNS servers."))
        /* Translators: %s is a DNS server address such as 127.0.0.1:5353 */
        : g_strdup_printf (_("Asked: the DNS server at %s."), resolver);
      g_autofree char *both = asked != NULL ? g_strdup_printf ("%s %s", asked, who) : g_strdup (who);
      g_free (asked);
      asked = g_steal_pointer (&both);
    }
  gtk_label_set_text (self->resolver_label, asked != NULL ? asked : "");
  gtk_widget_set_visible (GTK_WIDGET (self->resolver_label), asked != NULL);

  sd_gui_table_set_empty_text (self->queries_view,
                               !done ? _("Looking up…")
                               : status == SD_STATUS_SKIP ? _("No look-ups were made.")
                               : _("No look-ups were needed."));
  sd_gui_table_set_empty_text (self->candidates_view,
                               !done ? _("Not known yet.")
                               : status == SD_STATUS_SKIP
                               ? _("Not known: the look-ups did not run. Next runs them again, Back lets you change the details first.")
                               : _("None: a program would find no server to connect to."));
}

static void
sd_dns_page_finalize (GObject *object)
{
  SdDnsPage *self = SD_DNS_PAGE (object);

  g_clear_object (&self->queries);
  g_clear_object (&self->candidates);
  G_OBJECT_CLASS (sd_dns_page_parent_class)->finalize (object);
}

static void
sd_dns_page_class_init (SdDnsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SdPageClass *page_class = SD_PAGE_CLASS (klass);

  object_class->finalize = sd_dns_page_finalize;
  page_class->refresh = sd_dns_page_refresh;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/sipdoctor/SipDoctor/sd-dns-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SdDnsPage, steps_list);
  gtk_widget_class_bind_template_child (widget_class, SdDnsPage, findings_box);
  gtk_widget_class_bind_template_child (widget_class, SdDnsPage, findings_list);
  gtk_widget_class_bind_template_child (widget_class, SdDnsPage, queries_view);
  gtk_widget_class_bind_template_child (widget_class, SdDnsPage, candidates_view);
  gtk_widget_class_bind_template_child (widget_class, SdDnsPage, resolver_label);
}

static void
sd_dns_page_init (SdDnsPage *self)
{
  const char *query_titles[] = { _("Name looked up"), _("Type"), _("Answer"), _("Time"), NULL };
  const char *candidate_titles[] = { "#", _("Server"), _("Port"), _("Transport"), _("Address"),
                                     _("Found through"), NULL };

  gtk_widget_init_template (GTK_WIDGET (self));
  sd_page_set_step_views (SD_PAGE (self), SD_STEP_URI, self->steps_list,
                          self->findings_box, self->findings_list);
  sd_page_set_title (SD_PAGE (self), _("DNS"));
  sd_page_set_last_step (SD_PAGE (self), SD_STEP_DNS);
  sd_page_set_complete (SD_PAGE (self), TRUE);

  self->queries = gtk_list_store_new (4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  gtk_tree_view_set_model (self->queries_view, GTK_TREE_MODEL (self->queries));
  sd_gui_add_text_columns (self->queries_view, query_titles);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->queries_view)), _("Look-ups"));

  self->candidates = gtk_list_store_new (6, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                         G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  gtk_tree_view_set_model (self->candidates_view, GTK_TREE_MODEL (self->candidates));
  sd_gui_add_text_columns (self->candidates_view, candidate_titles);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->candidates_view)),
                       _("Servers a program would try"));
}
