/* sd-autodiscover.c: the lyncdiscover web look-up of the Lync profile.
 *
 * One job walks the attempts a client makes, one after another, and stops
 * at the first that leads to a Domain resource with SIP servers. Every
 * request and answer goes into data.lyncdiscover.requests as the shared
 * HTTP client describes it (status, time, URL, certificate), with what the
 * document said.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-autodiscover"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-autodiscover.h"
#include "sd-autodiscover-doc.h"
#include "sd-finding.h"
#include "sd-deadline.h"

/* The Accept header of the Lync 2013 desktop client. */
#define ACCEPT_XML SD_AUTODISCOVER_XML_TYPE ";v=1"

typedef enum {
  FETCH_ROOT,
  FETCH_REDIRECT,
  FETCH_DOMAIN,
} Purpose;

typedef struct {
  GTask         *task;
  SdHttpClient  *http;
  SdDnsResolver *resolver;
  char          *domain;
  char          *sip_address;
  const SdConfig *config;
  guint          timeout_ms;
  JsonObject    *data;          /* borrowed: the caller keeps it */
  SdAutodiscoverProgress progress;
  gpointer       progress_data;
  gint64         end_time;      /* monotonic µs: the end of finding a service that answers */
  /* The hard bound of the whole sub-check, from its first byte: every
   * look-up and fetch takes it as its cancellable. */
  SdDeadline    *deadline;

  char          *names[2];      /* lyncdiscoverinternal.<d>, lyncdiscover.<d> */
  GPtrArray     *addresses[2];  /* GInetAddress*, NULL when the name does not resolve */
  char          *lookup_error[2];
  guint          pending;

  GPtrArray     *attempts;      /* URLs still to try (char*), first first */
  GHashTable    *chain;         /* loop keys of the URLs of the current chain */
  guint          redirects;     /* of the current chain */
  char          *user_href;     /* the last root's User link */
  char          *oauth_href;
  gboolean       from_internal; /* the current chain started at lyncdiscoverinternal */
  gboolean       reached;       /* some web server answered (HTTP or TLS) */
  char          *last_failure;  /* why the last attempt got no answer, for the finding */
  GHashTable    *cert_reported; /* hosts whose certificate finding is made */
  GHashTable    *seen_servers;

  SdAutodiscoverResult *result;
} Job;

static void next_attempt (Job *job);
static void finish (Job *job);

static void
server_free (SdAutodiscoverServer *s)
{
  g_free (s->fqdn);
  g_clear_pointer (&s->addresses, g_ptr_array_unref);
  g_free (s);
}

void
sd_autodiscover_result_free (SdAutodiscoverResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->servers, g_ptr_array_unref);
  g_clear_pointer (&result->findings, g_ptr_array_unref);
  g_free (result);
}

const char *
sd_autodiscover_outcome_to_string (SdAutodiscoverOutcome outcome)
{
  switch (outcome)
    {
    case SD_AUTODISCOVER_FOUND: return "found";
    case SD_AUTODISCOVER_UNAVAILABLE: return "unavailable";
    case SD_AUTODISCOVER_ERROR: return "error";
    default: return "error";
    }
}

static void
job_free (Job *job)
{
  g_clear_object (&job->http);
  g_clear_object (&job->resolver);
  g_free (job->domain);
  g_free (job->sip_address);
  for (guint i = 0; i < 2; i++)
    {
      g_free (job->names[i]);
      g_clear_pointer (&job->addresses[i], g_ptr_array_unref);
      g_free (job->lookup_error[i]);
    }
  g_clear_pointer (&job->attempts, g_ptr_array_unref);
  g_clear_pointer (&job->chain, g_hash_table_unref);
  g_free (job->user_href);
  g_free (job->oauth_href);
  g_free (job->last_failure);
  g_clear_pointer (&job->cert_reported, g_hash_table_unref);
  g_clear_pointer (&job->seen_servers, g_hash_table_unref);
  sd_autodiscover_result_free (job->result);
  g_clear_object (&job->deadline);
  g_free (job);
}

static guint
remaining_ms (Job *job)
{
  gint64 left = job->end_time - g_get_monotonic_time ();
  return left > 0 ? (guint) MAX (left / 1000, 1) : 0;
}

static void
progress (Job *job, const char *message)
{
  if (job->progress != NULL)
    job->progress (message, job->progress_data);
}

static void
report (Job *job, const char *code, SdSeverity severity, const char *message, const char *advice)
{
  g_ptr_array_add (job->result->findings, sd_finding_new (code, severity, SD_STEP_DNS, message, advice));
}

static JsonArray *
data_array (Job *job, const char *member)
{
  if (!json_object_has_member (job->data, member))
    json_object_set_array_member (job->data, member, json_array_new ());
  return json_object_get_array_member (job->data, member);
}

/* Two URLs of one chain are the same place when all but the query match:
 * a redirect back with another ?sipuri= is still a loop. */
static char *
loop_key (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *s = NULL;

  if (uri == NULL)
    return g_ascii_strdown (url, -1);
  s = g_uri_to_string_partial (uri, G_URI_HIDE_QUERY | G_URI_HIDE_FRAGMENT | G_URI_HIDE_USERINFO);
  if (g_str_has_suffix (s, "/"))
    s[strlen (s) - 1] = '\0';
  return g_ascii_strdown (s, -1);
}

static char *
with_sipuri (Job *job, const char *url)
{
  g_autofree char *escaped = g_uri_escape_string (job->sip_address, "@", FALSE);
  const char *q = strchr (url, '?');

  if (q != NULL && strstr (q, "sipuri=") != NULL)
    return g_strdup (url);
  return g_strdup_printf ("%s%ssipuri=%s", url, q != NULL ? "&" : "?", escaped);
}

static char *
host_of (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  return uri != NULL && g_uri_get_host (uri) != NULL ? g_ascii_strdown (g_uri_get_host (uri), -1) : g_strdup (url);
}

/* ---- findings ----------------------------------------------------------- */

/* Advice is written with "<domain>" where the real domain goes, so one
 * translated sentence serves both names it appears in. */
static char *
with_domain (Job *job, const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, "<domain>", -1);
  return g_strjoinv (job->domain, parts);
}

static const char *
fallback_words (void)
{
  return _("The Lync 2013 and Skype for Business desktop clients then fall back to the DNS SRV "
           "records; the Windows Store app and the mobile clients have no fallback and cannot sign in.");
}

static void
report_certificate (Job *job, const char *url, const SdHttpResponse *r)
{
  g_autofree char *host = host_of (url);
  g_autoptr(GString) what = g_string_new (NULL);
  const SdTlsVerifyResult *v = r->tls_verdict;
  g_autofree char *message = NULL;
  g_autoptr(GString) advice = g_string_new (NULL);

  if (!g_hash_table_add (job->cert_reported, g_strdup (host)))
    return;
  for (guint i = 0; v != NULL && i < v->problems->len; i++)
    {
      const SdTlsProblem *p = v->problems->pdata[i];
      if (p->severity != SD_SEVERITY_ERROR)
        continue;
      if (what->len > 0)
        g_string_append (what, " ");
      g_string_append (what, p->message);
    }
  if (what->len == 0 && r->error != NULL)
    g_string_append (what, r->error->message);
  message = g_strdup_printf (_("The autodiscover web service at %s presents a certificate that clients "
                               "refuse: %s"), url, what->str);
  /* One sentence per check that failed: a certificate can be both
   * expired and for the wrong name, and each needs its own fix. */
  if (v != NULL && !v->name_ok)
    g_string_append (advice, _("The certificate does not name the host the client asked. This is the "
                               "classic mistake with a reverse proxy: its certificate names the external "
                               "web services and the meeting URLs, but not lyncdiscover.<domain>. Add "
                               "lyncdiscover.<domain> (and, on the Front End pool's internal web "
                               "certificate, lyncdiscoverinternal.<domain>) to the certificate's subject "
                               "alternative names, or the clients stop here."));
  if (v != NULL && !v->validity_ok)
    {
      if (advice->len > 0)
        g_string_append_c (advice, ' ');
      g_string_append (advice, _("Renew the certificate of the web service (on the reverse proxy for "
                                 "lyncdiscover.<domain>, on the Front End pool for "
                                 "lyncdiscoverinternal.<domain>) and install the new one."));
    }
  if (v == NULL || !v->trust_ok || advice->len == 0)
    {
      if (advice->len > 0)
        g_string_append_c (advice, ' ');
      g_string_append (advice, _("Use a certificate from a certification authority the clients trust (a "
                                 "public one for lyncdiscover.<domain>, which phones and home computers "
                                 "ask), or install the issuing root CA on every client. Send the "
                                 "intermediate certificates with it."));
    }
  {
    g_autofree char *real = with_domain (job, advice->str);
    report (job, SD_FINDING_DNS_AUTODISCOVER_CERTIFICATE, SD_SEVERITY_ERROR, message, real);
  }
}

static void
report_status (Job *job, const char *url, guint status)
{
  g_autofree char *message = NULL;
  g_autofree char *advice = NULL;
  g_autofree char *host = host_of (url);

  if (status == 403)
    {
      message = g_strdup_printf (_("The autodiscover web service at %s refuses the request (HTTP 403 "
                                   "Forbidden)."), url);
      advice = g_strdup_printf (_("Autodiscover must answer anonymous GET requests. Check the publishing "
                                  "rule for %s on the reverse proxy (it must let /autodiscover/ and / "
                                  "through without sign-in) and that it forwards to the Front End pool's "
                                  "external web services."), host);
    }
  else if (status == 404)
    {
      message = g_strdup_printf (_("There is no autodiscover web service at %s (HTTP 404 Not Found)."), url);
      advice = g_strdup_printf (_("%s reaches a web server that does not host the autodiscover service. "
                                  "Point the DNS record or the reverse proxy's rule for %s at the Front "
                                  "End pool's web services (ports 443 and 80 forwarded to 4443 and 8080)."),
                                host, host);
    }
  else if (status >= 500)
    {
      message = g_strdup_printf (_("The autodiscover web service at %s fails (HTTP %u)."), url, status);
      advice = g_strdup (_("The web service itself is broken or overloaded: look at the Front End pool's web "
                           "services (the Autodiscover application pool in IIS) and their event log, or at "
                           "the reverse proxy when it cannot reach them."));
    }
  else
    {
      message = g_strdup_printf (_("The autodiscover web service at %s answers HTTP %u instead of a "
                                   "document."), url, status);
      advice = g_strdup_printf (_("Autodiscover must answer GET %s with 200 and a document, without "
                                  "sign-in. Check the reverse proxy's rule for %s."), url, host);
    }
  report (job, SD_FINDING_DNS_AUTODISCOVER_ERROR, SD_SEVERITY_WARNING, message, advice);
}

static void
report_error (Job *job, const char *message)
{
  g_autofree char *advice = with_domain (job,
          _("A client that gets this answer cannot find its server through autodiscover. Make the "
            "lyncdiscover names point at the autodiscover service of the Front End pool (through the "
            "reverse proxy for lyncdiscover.<domain>), which answers a root document in JSON or XML."));

  report (job, SD_FINDING_DNS_AUTODISCOVER_ERROR, SD_SEVERITY_WARNING, message, advice);
}

/* ---- the Domain resource's servers -------------------------------------- */

typedef struct {
  Job *job;
  SdAutodiscoverServer *server;
  JsonObject *entry;
} ServerLookup;

static void
server_lookup_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  ServerLookup *sl = user_data;
  Job *job = sl->job;
  g_autoptr(GError) error = NULL;
  GPtrArray *addrs = sd_dns_resolver_lookup_host_finish (SD_DNS_RESOLVER (source), res, &error);
  JsonArray *list = json_array_new ();

  if (addrs != NULL)
    {
      for (guint i = 0; i < addrs->len; i++)
        {
          g_autofree char *a = g_inet_address_to_string (addrs->pdata[i]);
          g_ptr_array_add (sl->server->addresses, g_object_ref (addrs->pdata[i]));
          json_array_add_string_element (list, a);
        }
      g_ptr_array_unref (addrs);
    }
  else
    json_object_set_string_member (sl->entry, "error", sd_deadline_expired (job->deadline)
                                                       ? _("No answer in time.") : error->message);
  json_object_set_array_member (sl->entry, "addresses", list);
  g_free (sl);
  if (--job->pending == 0)
    finish (job);
}

static void
add_server (Job *job, const char *access, const SdAutodiscoverAccess *a)
{
  SdAutodiscoverServer *s;
  g_autofree char *key = NULL;

  if (a->fqdn == NULL)
    return;
  key = g_strdup_printf ("%s:%u", a->fqdn, a->port);
  if (!g_hash_table_add (job->seen_servers, g_steal_pointer (&key)))
    return;
  s = g_new0 (SdAutodiscoverServer, 1);
  s->access = access;
  s->fqdn = g_strdup (a->fqdn);
  s->port = a->port;
  s->addresses = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (job->result->servers, s);
}

static void
use_domain_document (Job *job, const char *url, const SdAutodiscoverDoc *doc)
{
  gboolean internal_first;
  JsonArray *servers = data_array (job, "servers");

  /* The client takes the access point for where it is: inside when the
   * service says so (or it was reached by its internal name), and keeps
   * the other as the next one to try. */
  internal_first = doc->access_location != NULL
                   ? g_ascii_strcasecmp (doc->access_location, "Internal") == 0
                   : job->from_internal;
  if (internal_first)
    {
      add_server (job, "SipClientInternalAccess", &doc->sip_client_internal);
      add_server (job, "SipClientExternalAccess", &doc->sip_client_external);
    }
  else
    {
      add_server (job, "SipClientExternalAccess", &doc->sip_client_external);
      add_server (job, "SipClientInternalAccess", &doc->sip_client_internal);
    }
  if (job->result->servers->len == 0)
    {
      g_autofree char *message = g_strdup_printf (_("The autodiscover Domain resource at %s names no SIP "
                                                     "server (no SipClientInternalAccess or "
                                                     "SipClientExternalAccess with a host name and a "
                                                     "port)."), url);
      report_error (job, message);
      next_attempt (job);
      return;
    }

  if (job->user_href != NULL || job->oauth_href != NULL)
    {
      JsonObject *u = json_object_new ();
      json_object_set_string_member (u, "href", job->user_href != NULL ? job->user_href : job->oauth_href);
      if (job->oauth_href != NULL)
        json_object_set_string_member (u, "oauth", job->oauth_href);
      json_object_set_boolean_member (u, "asked", FALSE);
      json_object_set_string_member (u, "needs",
                                     _("a sign-in: an OAuth token or a web ticket (Windows, or user name "
                                       "and password, at the web ticket service). This check does not "
                                       "sign in to the web services, so it does not ask."));
      json_object_set_object_member (job->data, "user_resource", u);
    }

  job->pending = job->result->servers->len;
  for (guint i = 0; i < job->result->servers->len; i++)
    {
      SdAutodiscoverServer *s = job->result->servers->pdata[i];
      ServerLookup *sl = g_new0 (ServerLookup, 1);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "access", s->access);
      json_object_set_string_member (o, "fqdn", s->fqdn);
      json_object_set_int_member (o, "port", s->port);
      json_array_add_object_element (servers, o);
      sl->job = job;
      sl->server = s;
      sl->entry = o;
      /* A DNS question of its own, with the resolver's own timeout. */
      sd_dns_resolver_lookup_host_async (job->resolver, s->fqdn, job->timeout_ms,
                                         G_CANCELLABLE (job->deadline), server_lookup_done, sl);
    }
}

/* ---- fetches ------------------------------------------------------------ */

typedef struct {
  Job     *job;
  Purpose  purpose;
  char    *url;
  SdHttpRequest request;
} Fetch;

static void
fetch_free (Fetch *f)
{
  g_free (f->url);
  g_free (f);
}

static void fetch (Job *job, const char *url, Purpose purpose);

static JsonObject *
doc_to_json (const SdAutodiscoverDoc *doc)
{
  JsonObject *o = json_object_new ();
  JsonArray *links = json_array_new ();

  json_object_set_string_member (o, "kind", sd_autodiscover_doc_kind_to_string (doc->kind));
  json_object_set_string_member (o, "format", doc->format == SD_AUTODISCOVER_FORMAT_XML ? "xml" : "json");
  if (doc->access_location != NULL)
    json_object_set_string_member (o, "access_location", doc->access_location);
  for (guint i = 0; i < doc->links->len; i++)
    {
      const SdAutodiscoverLink *l = doc->links->pdata[i];
      JsonObject *lo = json_object_new ();
      json_object_set_string_member (lo, "token", l->token);
      json_object_set_string_member (lo, "href", l->href);
      json_array_add_object_element (links, lo);
    }
  json_object_set_array_member (o, "links", links);
  if (doc->links_dropped > 0)
    json_object_set_int_member (o, "links_dropped", doc->links_dropped);
  {
    const struct { const char *name; const SdAutodiscoverAccess *a; } points[] = {
      { "SipClientInternalAccess", &doc->sip_client_internal },
      { "SipClientExternalAccess", &doc->sip_client_external },
      { "SipServerInternalAccess", &doc->sip_server_internal },
      { "SipServerExternalAccess", &doc->sip_server_external },
    };
    for (guint i = 0; i < G_N_ELEMENTS (points); i++)
      if (points[i].a->fqdn != NULL)
        {
          JsonObject *p = json_object_new ();
          json_object_set_string_member (p, "fqdn", points[i].a->fqdn);
          json_object_set_int_member (p, "port", points[i].a->port);
          json_object_set_object_member (o, points[i].name, p);
        }
  }
  return o;
}

static const char *
purpose_name (Purpose p)
{
  switch (p)
    {
    case FETCH_ROOT: return "root";
    case FETCH_REDIRECT: return "redirect";
    case FETCH_DOMAIN: return "domain";
    default: return "root";
    }
}

static void
read_root (Job *job, const char *url, const SdAutodiscoverDoc *doc)
{
  const char *redirect = sd_autodiscover_doc_find_link (doc, "Redirect");
  const char *domain = sd_autodiscover_doc_find_link (doc, "Domain");

  g_free (job->user_href);
  job->user_href = g_strdup (sd_autodiscover_doc_find_link (doc, "User"));
  g_free (job->oauth_href);
  job->oauth_href = g_strdup (sd_autodiscover_doc_find_link (doc, "OAuth"));

  if (redirect != NULL)
    {
      g_autofree char *next = with_sipuri (job, redirect);
      g_autofree char *key = loop_key (next);
      g_autofree char *message = NULL;

      if (g_hash_table_contains (job->chain, key))
        {
          message = g_strdup_printf (_("The autodiscover web service redirects in a loop: %s sends the "
                                       "client back to %s, where it has been before."), url, redirect);
          report (job, SD_FINDING_DNS_AUTODISCOVER_ERROR, SD_SEVERITY_WARNING, message,
                  _("A client gives up on such a loop. Fix the redirect of the service that answers "
                    "with it: in a hybrid deployment, the hosting provider's autodiscover URL of the "
                    "on-premises deployment must not point back at it."));
          next_attempt (job);
          return;
        }
      if (job->redirects >= SD_AUTODISCOVER_MAX_REDIRECTS)
        {
          message = g_strdup_printf (_("The autodiscover web service redirects more than %u times (the "
                                       "last at %s); a client gives up."), SD_AUTODISCOVER_MAX_REDIRECTS, url);
          report_error (job, message);
          next_attempt (job);
          return;
        }
      if (g_str_has_prefix (url, "https:") && g_ascii_strncasecmp (redirect, "http:", 5) == 0)
        {
          message = g_strdup_printf (_("The autodiscover web service at %s redirects from HTTPS to plain "
                                       "HTTP (%s); a client does not follow it."), url, redirect);
          report_error (job, message);
          next_attempt (job);
          return;
        }
      job->redirects++;
      message = g_strdup_printf (_("The autodiscover web service at %s redirects the client to %s."),
                                 url, redirect);
      report (job, SD_FINDING_DNS_AUTODISCOVER_REDIRECT, SD_SEVERITY_INFO, message,
              _("Nothing to fix when this is meant: a hybrid or online deployment, or the HTTP service "
                "sending clients to HTTPS. The client asks the service it is sent to."));
      fetch (job, next, FETCH_REDIRECT);
      return;
    }
  if (domain != NULL)
    {
      fetch (job, domain, FETCH_DOMAIN);
      return;
    }
  {
    g_autofree char *message = NULL;

    if (job->user_href != NULL || job->oauth_href != NULL)
      message = g_strdup_printf (_("The autodiscover root at %s has no Domain link, only the User "
                                   "resource, which needs a sign-in (OAuth or a web ticket) that this "
                                   "check does not make; so it cannot tell the SIP server from it."), url);
    else
      message = g_strdup_printf (_("The autodiscover root at %s has neither a Domain nor a Redirect "
                                   "link."), url);
    report_error (job, message);
    next_attempt (job);
  }
}

static void
fetch_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Fetch *f = user_data;
  Job *job = f->job;
  g_autoptr(GError) error = NULL;
  g_autoptr(SdHttpResponse) r = sd_http_client_fetch_finish (SD_HTTP_CLIENT (source), res, &error);
  JsonObject *entry;
  g_autoptr(SdAutodiscoverDoc) doc = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *url = g_strdup (f->url);
  Purpose purpose = f->purpose;

  if (r == NULL && sd_deadline_expired (job->deadline))
    {
      fetch_free (f);
      json_array_add_string_element (data_array (job, "not_tried"), url);
      finish (job);
      return;
    }
  if (r == NULL)
    {
      GTask *task = job->task;
      fetch_free (f);
      job->task = NULL;
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  entry = sd_http_response_to_json (&f->request, r);
  fetch_free (f);
  json_object_set_string_member (entry, "purpose", purpose_name (purpose));
  if (!json_object_has_member (entry, "url"))
    json_object_set_string_member (entry, "url", url);
  json_array_add_object_element (data_array (job, "requests"), entry);

  if (r->status > 0 || g_error_matches (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_CERTIFICATE))
    job->reached = TRUE;

  if (r->error != NULL)
    {
      g_autofree char *message = NULL;

      if (g_error_matches (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_CERTIFICATE))
        report_certificate (job, url, r);
      else if (g_error_matches (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_TOO_LARGE))
        {
          message = g_strdup_printf (_("The autodiscover web service at %s sends more than %u KiB, far "
                                       "more than an autodiscover document."), url,
                                     SD_AUTODISCOVER_MAX_BODY / 1024);
          report_error (job, message);
        }
      else if (g_error_matches (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_TOO_MANY_REDIRECTS)
               || g_error_matches (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_REDIRECT_DOWNGRADE)
               || g_error_matches (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_PROTOCOL)
               || purpose != FETCH_ROOT)
        {
          message = g_strdup_printf (_("The autodiscover request to %s failed: %s"), url, r->error->message);
          report_error (job, message);
        }
      else
        {
          g_free (job->last_failure);
          job->last_failure = g_strdup_printf ("%s: %s", url, r->error->message);
        }
      next_attempt (job);
      return;
    }
  if (r->status != 200)
    {
      report_status (job, url, r->status);
      next_attempt (job);
      return;
    }
  {
    gsize len = 0;
    const guint8 *body = r->body != NULL ? g_bytes_get_data (r->body, &len) : NULL;
    doc = sd_autodiscover_doc_parse (r->content_type, body != NULL ? body : (const guint8 *) "", len,
                                     &parse_error);
  }
  if (doc == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The autodiscover web service at %s answers, but not "
                                                    "with an autodiscover document: %s"),
                                                  url, parse_error->message);
      json_object_set_string_member (entry, "document_error", parse_error->message);
      report_error (job, message);
      next_attempt (job);
      return;
    }
  json_object_set_object_member (entry, "document", doc_to_json (doc));
  if (doc->kind == SD_AUTODISCOVER_DOC_ROOT)
    read_root (job, url, doc);
  else
    use_domain_document (job, url, doc);
}

static void
fetch (Job *job, const char *url, Purpose purpose)
{
  Fetch *f;
  /* Finding a service that answers shares one timeout, so silent names
   * cost it once; what an answering service then says (a redirect, the
   * Domain link) is asked with a timeout per request, as a client does:
   * at most SD_AUTODISCOVER_MAX_REDIRECTS + 1 of them. */
  guint left = purpose == FETCH_ROOT ? remaining_ms (job) : job->timeout_ms;
  g_autofree char *msg = NULL;

  if (left == 0)
    {
      json_array_add_string_element (data_array (job, "not_tried"), url);
      finish (job);
      return;
    }
  g_hash_table_add (job->chain, loop_key (url));
  f = g_new0 (Fetch, 1);
  f->job = job;
  f->purpose = purpose;
  f->url = g_strdup (url);
  f->request.method = "GET";
  f->request.url = f->url;
  f->request.accept = ACCEPT_XML;
  f->request.max_body = SD_AUTODISCOVER_MAX_BODY;
  f->request.timeout_ms = left;
  /* TRANSLATORS: progress: "Asking the autodiscover service: https://lyncdiscover.example.com/?sipuri=…" */
  msg = g_strdup_printf (_("Asking the autodiscover service: %s"), url);
  progress (job, msg);
  sd_http_client_fetch_async (job->http, &f->request, G_CANCELLABLE (job->deadline), fetch_done, f);
}

static void
next_attempt (Job *job)
{
  g_autofree char *url = NULL;

  if (job->attempts->len == 0)
    {
      finish (job);
      return;
    }
  url = g_ptr_array_steal_index (job->attempts, 0);
  g_hash_table_remove_all (job->chain);
  job->redirects = 0;
  job->from_internal = g_str_has_prefix (strstr (url, "://") + 3, "lyncdiscoverinternal.");
  if (remaining_ms (job) == 0)
    {
      json_array_add_string_element (data_array (job, "not_tried"), url);
      while (job->attempts->len > 0)
        {
          g_autofree char *u = g_ptr_array_steal_index (job->attempts, 0);
          json_array_add_string_element (data_array (job, "not_tried"), u);
        }
      finish (job);
      return;
    }
  fetch (job, url, FETCH_ROOT);
}

/* ---- the end ------------------------------------------------------------ */

static void
finish (Job *job)
{
  SdAutodiscoverResult *result = job->result;
  GTask *task = job->task;

  if (task == NULL)
    return;
  sd_deadline_stop (job->deadline);
  if (g_task_return_error_if_cancelled (task))
    {
      job->task = NULL;
      g_object_unref (task);
      return;
    }
  if (result->servers->len > 0)
    result->outcome = SD_AUTODISCOVER_FOUND;
  else if (job->reached)
    result->outcome = SD_AUTODISCOVER_ERROR;
  else
    {
      g_autofree char *message = NULL;
      g_autofree char *advice = NULL;

      result->outcome = SD_AUTODISCOVER_UNAVAILABLE;
      if (job->addresses[0] == NULL && job->addresses[1] == NULL)
        message = g_strdup_printf (_("Neither %s nor %s exists in DNS, so clients cannot find the "
                                     "autodiscover web service. %s"),
                                   job->names[0], job->names[1], fallback_words ());
      else
        message = g_strdup_printf (_("No autodiscover web service answered (%s). %s"),
                                   job->last_failure != NULL ? job->last_failure : _("the time ran out"),
                                   fallback_words ());
      advice = g_strdup_printf (_("Publish the autodiscover service: an A or CNAME record for %s pointing "
                                  "at the reverse proxy that publishes the Front End pool's external web "
                                  "services (ports 443 and 80), and inside the network %s pointing at "
                                  "the pool's internal web services, for example:\n%s. 3600 IN CNAME "
                                  "webext.%s."),
                                job->names[1], job->names[0], job->names[1], job->domain);
      report (job, SD_FINDING_DNS_AUTODISCOVER_UNAVAILABLE, SD_SEVERITY_WARNING, message, advice);
    }
  json_object_set_string_member (job->data, "outcome", sd_autodiscover_outcome_to_string (result->outcome));
  job->result = NULL;
  job->task = NULL;
  g_task_return_pointer (task, result, (GDestroyNotify) sd_autodiscover_result_free);
  g_object_unref (task);
}

typedef struct {
  Job  *job;
  guint index;
} NameLookup;

static void
name_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  NameLookup *nl = user_data;
  Job *job = nl->job;
  guint i = nl->index;
  g_autoptr(GError) error = NULL;
  GPtrArray *addrs = sd_dns_resolver_lookup_host_finish (SD_DNS_RESOLVER (source), res, &error);

  g_free (nl);
  if (addrs == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && !sd_deadline_expired (job->deadline))
    {
      if (--job->pending == 0)
        {
          GTask *task = job->task;
          job->task = NULL;
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
        }
      return;
    }
  job->addresses[i] = addrs;
  if (addrs == NULL)
    job->lookup_error[i] = sd_deadline_expired (job->deadline) ? g_strdup (_("No answer in time."))
                                                                : g_strdup (error->message);
  if (--job->pending > 0)
    return;
  if (g_task_return_error_if_cancelled (job->task))
    {
      g_clear_object (&job->task);
      return;
    }

  {
    JsonArray *names = data_array (job, "names");
    for (guint k = 0; k < 2; k++)
      {
        JsonObject *o = json_object_new ();
        JsonArray *list = json_array_new ();

        json_object_set_string_member (o, "name", job->names[k]);
        for (guint j = 0; job->addresses[k] != NULL && j < job->addresses[k]->len; j++)
          {
            g_autofree char *a = g_inet_address_to_string (job->addresses[k]->pdata[j]);
            json_array_add_string_element (list, a);
          }
        json_object_set_array_member (o, "addresses", list);
        if (job->lookup_error[k] != NULL)
          json_object_set_string_member (o, "error", job->lookup_error[k]);
        json_array_add_object_element (names, o);
      }
  }
  /* As the clients do: both names over HTTPS, then both over HTTP. */
  for (guint scheme = 0; scheme < 2; scheme++)
    for (guint k = 0; k < 2; k++)
      if (job->addresses[k] != NULL)
        {
          g_autofree char *base = g_strdup_printf ("%s://%s/", scheme == 0 ? "https" : "http", job->names[k]);
          g_ptr_array_add (job->attempts, with_sipuri (job, base));
        }
  next_attempt (job);
}

void
sd_autodiscover_run_async (const SdAutodiscoverInput *input,
                           GCancellable              *cancellable,
                           GAsyncReadyCallback        callback,
                           gpointer                   user_data)
{
  Job *job;

  g_return_if_fail (input != NULL && input->http != NULL && input->resolver != NULL);
  g_return_if_fail (input->domain != NULL && input->sip_address != NULL && input->data != NULL);

  job = g_new0 (Job, 1);
  job->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, sd_autodiscover_run_async);
  /* The task owns the job; job->task is the one reference, dropped when
   * the task returns. */
  g_task_set_task_data (job->task, job, (GDestroyNotify) job_free);
  job->http = g_object_ref (input->http);
  job->resolver = g_object_ref (input->resolver);
  job->domain = g_ascii_strdown (input->domain, -1);
  job->sip_address = g_strdup (input->sip_address);
  job->config = input->config;
  job->timeout_ms = MAX (input->timeout_ms, 1);
  job->data = input->data;
  job->progress = input->progress;
  job->progress_data = input->progress_data;
  job->end_time = g_get_monotonic_time () + (gint64) job->timeout_ms * 1000;
  /* Finding the service (one timeout), then at most the redirects and the
   * Domain request (one each), then the servers' look-ups (one). */
  job->deadline = sd_deadline_new (job->timeout_ms * (SD_AUTODISCOVER_MAX_REDIRECTS + 3), cancellable);
  job->names[0] = g_strdup_printf ("lyncdiscoverinternal.%s", job->domain);
  job->names[1] = g_strdup_printf ("lyncdiscover.%s", job->domain);
  job->attempts = g_ptr_array_new_with_free_func (g_free);
  job->chain = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  job->cert_reported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  job->seen_servers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  job->result = g_new0 (SdAutodiscoverResult, 1);
  job->result->servers = g_ptr_array_new_with_free_func ((GDestroyNotify) server_free);
  job->result->findings = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_finding_unref);

  json_object_set_array_member (job->data, "names", json_array_new ());
  json_object_set_array_member (job->data, "requests", json_array_new ());
  json_object_set_array_member (job->data, "servers", json_array_new ());
  progress (job, _("Looking for the autodiscover web service…"));

  job->pending = 2;
  for (guint i = 0; i < 2; i++)
    {
      NameLookup *nl = g_new0 (NameLookup, 1);
      nl->job = job;
      nl->index = i;
      sd_dns_resolver_lookup_host_async (job->resolver, job->names[i], job->timeout_ms,
                                         G_CANCELLABLE (job->deadline), name_done, nl);
    }
}

SdAutodiscoverResult *
sd_autodiscover_run_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
