/* sd-step-sip.c: the `sip` step: OPTIONS, then REGISTER without
 * credentials, following redirects to the home server, to learn what the
 * server asks for.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-sip"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-steps.h"
#include "sd-cert-info.h"
#include "sd-sip-probe.h"
#include "sd-sip-session.h"
#include "sd-tls-names.h"

/* LCS/OCS redirect once to the home pool; more than this is a loop. */
#define MAX_REDIRECTS 3

typedef struct {
  SdRun        *run;
  SdSipSession *session;
  GPtrArray    *visited;   /* "host:port/transport" of every target */
  guint         hops;
  GPtrArray    *vouched;   /* names the first server's verified certificate holds; NULL until a redirect */
  gboolean      first_verified;
  gboolean      first_tls;
  char         *first_host;
} SipStep;

static void
sip_step_free (SipStep *st)
{
  g_ptr_array_unref (st->visited);
  g_clear_pointer (&st->vouched, g_ptr_array_unref);
  g_free (st->first_host);
  g_free (st);
}

static char *
target_key (const SdCandidate *c)
{
  return g_strdup_printf ("%s:%u/%s", c->host, c->port, sd_transport_to_string (c->transport));
}

/* The candidate the connect step chose. When the connect step ran and no
 * TCP or TLS server accepted a connection, only UDP candidates are left
 * (the connect step cannot probe UDP): trying a dead TCP server again would
 * cost the person a second timeout for a fact already reported. Before the
 * connect step has run, the first candidate of the transport asked for. */
static SdCandidate *
pick_target (SdRun *run)
{
  SdContext *ctx = sd_run_get_context (run);
  const SdConfig *config = sd_run_get_config (run);

  if (ctx->selected != NULL && ctx->selected->address != NULL)
    return ctx->selected;
  for (guint i = 0; i < ctx->candidates->len; i++)
    {
      SdCandidate *c = ctx->candidates->pdata[i];
      if (c->address == NULL)
        continue;
      if (ctx->connect_probed && c->transport != SD_TRANSPORT_UDP)
        continue;
      if (config->transport == SD_TRANSPORT_AUTO || c->transport == config->transport)
        return c;
    }
  return NULL;
}

/* TRUE when the TLS step tried this very server and its handshake failed:
 * SIP over it cannot work, and trying again costs another timeout. */
static gboolean
tls_handshake_failed (SdRun *run, SdCandidate *target)
{
  SdContext *ctx = sd_run_get_context (run);

  return target->transport == SD_TRANSPORT_TLS && ctx->tls_outcome == SD_TLS_OUTCOME_HANDSHAKE_FAILED;
}

static void register_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
send_register (GTask *task)
{
  SipStep *st = g_task_get_task_data (task);

  sd_sip_session_request_async (st->session, "REGISTER", NULL, NULL,
                                g_task_get_cancellable (task), register_cb, task);
}

static void
finish_now (GTask *task)
{
  SipStep *st = g_task_get_task_data (task);
  JsonObject *data = sd_run_get_step_data (st->run, SD_STEP_SIP);
  SdSipSession *s = st->session;

  if (s->server_header != NULL)
    json_object_set_string_member (data, "server_header", s->server_header);
  else
    json_object_set_null_member (data, "server_header");
  if (s->date_header != NULL)
    json_object_set_string_member (data, "date_header", s->date_header);
  else
    json_object_set_null_member (data, "date_header");
  json_object_set_boolean_member (data, "registered_without_credentials", s->registered);
  sd_run_step_progress (st->run, SD_STEP_SIP, NULL);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
network_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!sd_sip_network_check_finish (result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  finish_now (task);
}

/* The network check (sd-sip-probe.h) compares transports when none was
 * chosen; with one chosen that never answered, it would only wait the
 * timeout again for the same silence. */
static void
finish (GTask *task)
{
  SipStep *st = g_task_get_task_data (task);
  SdSipSession *s = st->session;
  JsonObject *data = sd_run_get_step_data (st->run, SD_STEP_SIP);
  gboolean answered = s->reached || json_object_has_member (data, "options_status");

  if (s->target != NULL && !g_cancellable_is_cancelled (g_task_get_cancellable (task))
      && (answered || sd_run_get_config (st->run)->transport == SD_TRANSPORT_AUTO))
    {
      sd_sip_network_check_async (st->run, s, g_task_get_cancellable (task), network_cb, task);
      return;
    }
  finish_now (task);
}

/* Splits a Contact URI into a candidate: host, port, transport. */
static gboolean
parse_contact_target (const char   *uri,
                      SdTransport   current,
                      char        **host,
                      guint16      *port,
                      SdTransport  *transport)
{
  const char *p = uri, *hp, *params;
  g_autofree char *hostport = NULL;
  g_autofree char *tparam = NULL;
  gboolean sips = FALSE;
  GError *error = NULL;

  if (g_ascii_strncasecmp (p, "sips:", 5) == 0)
    p += 5, sips = TRUE;
  else if (g_ascii_strncasecmp (p, "sip:", 4) == 0)
    p += 4;
  else
    return FALSE;
  hp = strchr (p, '@');
  params = strpbrk (p, ";?");
  if (hp != NULL && (params == NULL || hp < params))
    p = hp + 1;
  params = strpbrk (p, ";?");
  hostport = params != NULL ? g_strndup (p, (gsize) (params - p)) : g_strdup (p);
  if (!sd_parse_host_port (hostport, host, port, &error))
    {
      g_error_free (error);
      return FALSE;
    }
  *transport = sips ? SD_TRANSPORT_TLS : current;
  {
    g_autofree char *with_semicolon = g_strconcat (";", params != NULL ? params + 1 : "", NULL);
    tparam = sd_sip_header_param (with_semicolon, "transport");
  }
  if (tparam != NULL && !sips)
    {
      if (g_ascii_strcasecmp (tparam, "udp") == 0)
        *transport = SD_TRANSPORT_UDP;
      else if (g_ascii_strcasecmp (tparam, "tcp") == 0)
        *transport = SD_TRANSPORT_TCP;
      else if (g_ascii_strcasecmp (tparam, "tls") == 0)
        *transport = SD_TRANSPORT_TLS;
    }
  if (*port == 0)
    *port = sd_transport_default_port (*transport);
  return TRUE;
}

typedef struct {
  GTask       *task;
  char        *host;
  guint16      port;
  SdTransport  transport;
} Redirect;

static void
redirect_resolved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Redirect *r = user_data;
  GTask *task = r->task;
  SipStep *st = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GInetAddress) address = sd_sip_resolve_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
    }
  else if (address == NULL)
    {
      g_autofree char *message =
        g_strdup_printf (_("The server sent you to %s, but that name could not be resolved: %s"),
                         r->host, error->message);
      sd_run_report (st->run, SD_STEP_SIP, SD_FINDING_SIP_REDIRECT_UNRESOLVABLE, SD_SEVERITY_ERROR, message,
                     _("Ask your administrator to publish the home server's name in DNS, or sign "
                       "in to the home server directly with the Server setting."));
      g_error_free (error);
      finish (task);
    }
  else
    {
      g_autoptr(SdCandidate) next = sd_candidate_new (r->host, r->port, r->transport, address,
                                                      "redirect");
      JsonObject *data = sd_run_get_step_data (st->run, SD_STEP_SIP);

      json_object_set_object_member (data, "target", sd_candidate_to_json (next));
      sd_sip_session_connect (st->session, next);
      send_register (task);
    }
  g_free (r->host);
  g_free (r);
}

/* --- redirects that would hand the sign-in to someone else ------------
 *
 * RFC 5922 §4 and §7: a client that reached its domain's server over TLS
 * takes that server's identity from its certificate, and RFC 3261 §26.2.2
 * / RFC 5630 forbid turning a secure (sips:/TLS) request into a clear one.
 * A 301/302 is only words from that server; following it blindly lets
 * anyone who can answer in its place, or a misconfigured server, send the
 * credentials elsewhere. The rule here, for a sign-in that started over
 * TLS (or whose address is sips:):
 *
 *  - the transport: the redirect must stay on TLS (sips:, transport=tls,
 *    or a sip: URI without transport, which is followed over TLS);
 *  - the host: it must be the SIP domain itself or a name inside it
 *    (the domain's owner controls both), or a name the first server's
 *    certificate holds, as a dNSName or the host of a sip:/sips: URI name
 *    (an IP address for an IP target), and only when that certificate
 *    passed verification on its own (the person's consent vouches for
 *    nothing). Wildcards do not count (RFC 5922 allows none in a SIP
 *    identity), nor does the CN, which names the server itself.
 *
 * Otherwise the redirect is sip.redirect-downgrade (docs/report-data.md):
 * not followed at all, unless the person allowed credentials despite
 * certificate problems, which is the same consent. A target that passes
 * still has its own certificate checked for its own name when connecting
 * (SdSipConnection), and the auth step sends nothing over a TLS
 * connection that fails it. */

typedef enum {
  REDIRECT_LEAVES_TLS = 1 << 0,
  REDIRECT_HOST_NOT_VOUCHED = 1 << 1,
} RedirectProblem;

static gboolean
same_server (const SdCandidate *a, const SdCandidate *b)
{
  return a != NULL && b != NULL
         && (a == b || (a->port == b->port && a->transport == b->transport
                        && g_strcmp0 (a->host, b->host) == 0));
}

/* Whether the server of the connection passed certificate verification on
 * its own merits (ctx->tls_trusted and an adopted stream's verdict also
 * hold the person's consent; ctx->tls_outcome is the bare verdict). */
static gboolean
current_server_verified (SipStep *st)
{
  SdSipSession *s = st->session;
  SdContext *ctx = sd_run_get_context (st->run);

  if (s->target->transport != SD_TRANSPORT_TLS || !sd_sip_connection_get_tls_trusted (s->connection)
      || s->tls_step_distrusts)
    return FALSE;
  if (same_server (ctx->selected, s->target) && ctx->tls_outcome != SD_TLS_OUTCOME_NONE)
    return ctx->tls_outcome == SD_TLS_OUTCOME_TRUSTED;
  return TRUE;
}

/* The names the current server's certificate vouches for (see above),
 * normalized; empty when it is not verified. */
static GPtrArray *
collect_vouched_names (SipStep *st)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GTlsCertificate *cert = sd_sip_connection_get_peer_certificate (st->session->connection);
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(SdCertInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  if (cert == NULL || !current_server_verified (st))
    return names;
  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL || (info = sd_cert_info_new_from_der (der->data, der->len, &error)) == NULL)
    return names;
  for (guint i = 0; info->san_dns != NULL && info->san_dns[i] != NULL; i++)
    if (strchr (info->san_dns[i], '*') == NULL)
      g_ptr_array_add (names, sd_tls_normalize_host (info->san_dns[i]));
  for (guint i = 0; info->san_uri != NULL && info->san_uri[i] != NULL; i++)
    {
      char *host = sd_tls_sip_uri_host (info->san_uri[i]);
      if (host != NULL)
        g_ptr_array_add (names, host);
    }
  for (guint i = 0; info->san_ip != NULL && info->san_ip[i] != NULL; i++)
    g_ptr_array_add (names, sd_tls_normalize_host (info->san_ip[i]));
  return names;
}

static gboolean
host_vouched (const char *host, GPtrArray *names, const char *domain)
{
  g_autofree char *h = sd_tls_normalize_host (host);
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (h);

  if (ip == NULL && domain != NULL)
    {
      g_autofree char *d = sd_tls_normalize_host (domain);
      gsize hl = strlen (h), dl = strlen (d);

      if (g_str_equal (h, d))
        return TRUE;
      if (!g_hostname_is_ip_address (d) && hl > dl && h[hl - dl - 1] == '.' && g_str_has_suffix (h, d))
        return TRUE;
    }
  for (guint i = 0; i < names->len; i++)
    {
      if (ip != NULL)
        {
          g_autoptr(GInetAddress) other = g_inet_address_new_from_string (names->pdata[i]);
          if (other != NULL && g_inet_address_equal (ip, other))
            return TRUE;
        }
      else if (g_str_equal (h, names->pdata[i]))
        return TRUE;
    }
  return FALSE;
}

static RedirectProblem
check_redirect (SipStep *st, const char *host, SdTransport transport)
{
  SdContext *ctx = sd_run_get_context (st->run);
  RedirectProblem problems = 0;

  if (!st->session->secure_origin)
    return 0;
  if (st->vouched == NULL)
    {
      st->first_verified = current_server_verified (st);
      st->first_tls = st->session->target->transport == SD_TRANSPORT_TLS;
      st->first_host = g_strdup (st->session->target->host);
      st->vouched = collect_vouched_names (st);
    }
  if (transport != SD_TRANSPORT_TLS)
    problems |= REDIRECT_LEAVES_TLS;
  if (!host_vouched (host, st->vouched, ctx->domain))
    problems |= REDIRECT_HOST_NOT_VOUCHED;
  return problems;
}

static void
report_downgrade (SipStep            *st,
                  const SdSipMessage *response,
                  const char         *uri,
                  const char         *host,
                  guint16             port,
                  SdTransport         transport,
                  RedirectProblem     problems,
                  gboolean            followed)
{
  SdSipSession *s = st->session;
  SdContext *ctx = sd_run_get_context (st->run);
  const SdConfig *config = sd_run_get_config (st->run);
  g_autofree char *label = g_ascii_strup (sd_transport_to_string (transport), -1);
  g_autofree char *from_label = g_ascii_strup (sd_transport_to_string (s->target->transport), -1);
  g_autofree char *from = g_strdup_printf ("%s:%u (%s)", s->target->host, s->target->port, from_label);
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *why = NULL;
  g_autofree char *message = NULL;
  g_autofree char *advice = NULL;

  if (problems & REDIRECT_LEAVES_TLS)
    g_ptr_array_add (reasons, g_strdup_printf (_("the sign-in started over TLS and would go on "
                                                 "unencrypted over %s"), label));
  if ((problems & REDIRECT_HOST_NOT_VOUCHED) && st->first_verified)
    g_ptr_array_add (reasons, g_strdup_printf (_("%s is outside the domain %s and not named in the "
                                                 "certificate of %s"),
                                               host, ctx->domain, st->first_host));
  else if ((problems & REDIRECT_HOST_NOT_VOUCHED) && !st->first_tls)
    g_ptr_array_add (reasons, g_strdup_printf (_("%s is outside the domain %s"), host, ctx->domain));
  else if (problems & REDIRECT_HOST_NOT_VOUCHED)
    g_ptr_array_add (reasons, g_strdup_printf (_("%s is outside the domain %s, and the certificate of "
                                                 "%s failed verification, so it vouches for no other "
                                                 "server"),
                                               host, ctx->domain, st->first_host));
  g_ptr_array_add (reasons, NULL);
  why = g_strjoinv ("; ", (char **) reasons->pdata);
  if (followed)
    message = g_strdup_printf (
      _("The server %s redirected the sign-in with %u %s to %s (%s, port %u, %s): %s. It was "
        "followed only because signing in despite certificate problems was allowed."),
      from, response->status, response->reason, uri, host, port, label, why);
  else
    message = g_strdup_printf (
      _("The server %s redirected the sign-in with %u %s to %s (%s, port %u, %s): %s. The redirect "
        "was not followed: nothing was sent there."),
      from, response->status, response->reason, uri, host, port, label, why);
  advice = g_strdup_printf (
    /* TRANSLATORS: the third %s is the control naming the server, e.g. "--server" or "the Server
     * field"; the fourth the switch, e.g. "--allow-untrusted" or "“Sign in despite certificate
     * problems” on the Server page". */
    _("Ask the administrator of %s to redirect only to sips: or transport=tls addresses of servers "
      "inside %s or named in its certificate (RFC 5922). Until then, sign in to the home server "
      "directly (%s) over TLS. Only on a network you trust, %s follows such a redirect."),
    s->target->host, ctx->domain, sd_config_control_name (config, SD_CONTROL_SERVER),
    sd_config_control_name (config, SD_CONTROL_ALLOW_UNTRUSTED));
  sd_run_report (st->run, SD_STEP_SIP, SD_FINDING_SIP_REDIRECT_DOWNGRADE,
                 followed ? SD_SEVERITY_WARNING : SD_SEVERITY_ERROR, message, advice);
}

static void
follow_redirect (GTask *task, const SdSipMessage *response)
{
  SipStep *st = g_task_get_task_data (task);
  SdSipSession *s = st->session;
  JsonObject *data = sd_run_get_step_data (st->run, SD_STEP_SIP);
  const char *contact = sd_sip_message_get_header (response, "Contact");
  g_auto(GStrv) contacts = contact != NULL ? sd_sip_split_list (contact) : NULL;
  g_autofree char *uri = contacts != NULL && contacts[0] != NULL ? sd_sip_header_uri (contacts[0]) : NULL;
  g_autofree char *from = g_strdup_printf ("%s:%s:%u;transport=%s", s->target->transport == SD_TRANSPORT_TLS ? "sips" : "sip",
                                          s->target->host, s->target->port,
                                          sd_transport_to_string (s->target->transport));
  g_autofree char *host = NULL;
  g_autofree char *key = NULL;
  guint16 port = 0;
  SdTransport transport;
  RedirectProblem problems;
  JsonObject *jr;

  if (uri == NULL || !parse_contact_target (uri, s->target->transport, &host, &port, &transport))
    {
      g_autofree char *message =
        g_strdup_printf (_("The server answered %u %s but gave no usable Contact to go to."),
                         response->status, response->reason);
      sd_run_report (st->run, SD_STEP_SIP, SD_FINDING_SIP_MALFORMED_RESPONSE, SD_SEVERITY_ERROR, message,
                     _("The server's redirect is broken; tell its administrator. Until it is "
                       "fixed, sign in to your home server directly with the Server setting."));
      finish (task);
      return;
    }

  jr = json_object_new ();
  json_object_set_string_member (jr, "from", from);
  json_object_set_string_member (jr, "to", uri);
  json_object_set_int_member (jr, "status", response->status);
  if (!json_object_has_member (data, "redirects"))
    json_object_set_array_member (data, "redirects", json_array_new ());
  json_array_add_object_element (json_object_get_array_member (data, "redirects"), jr);

  key = g_strdup_printf ("%s:%u/%s", host, port, sd_transport_to_string (transport));
  for (guint i = 0; i < st->visited->len; i++)
    if (g_ascii_strcasecmp (st->visited->pdata[i], key) == 0 || st->hops >= MAX_REDIRECTS)
      {
        g_autofree char *message = g_strdup_printf (
          _("The server redirects the sign-in in a loop: %s sends it to %s, where it has been already "
            "(redirect %u)."), from, uri, st->hops + 1);
        sd_run_report (st->run, SD_STEP_SIP, SD_FINDING_SIP_REDIRECT_LOOP, SD_SEVERITY_ERROR, message,
                       _("The servers disagree on which one is your home server. Ask your "
                         "administrator to check where your user is homed (the user's pool or "
                         "home server) and that every server knows it."));
        finish (task);
        return;
      }
  g_ptr_array_add (st->visited, g_steal_pointer (&key));

  json_object_set_string_member (jr, "host", host);
  json_object_set_int_member (jr, "port", port);
  json_object_set_string_member (jr, "transport", sd_transport_to_string (transport));
  problems = check_redirect (st, host, transport);
  {
    JsonArray *list = json_array_new ();

    if (problems & REDIRECT_LEAVES_TLS)
      json_array_add_string_element (list, "transport");
    if (problems & REDIRECT_HOST_NOT_VOUCHED)
      json_array_add_string_element (list, "host");
    json_object_set_array_member (jr, "downgrade", list);
  }
  if (problems != 0)
    {
      gboolean allowed = sd_run_get_config (st->run)->allow_untrusted;

      json_object_set_boolean_member (jr, "followed", allowed);
      report_downgrade (st, response, uri, host, port, transport, problems, allowed);
      if (!allowed)
        {
          s->redirect_refused = TRUE;
          finish (task);
          return;
        }
    }
  else
    json_object_set_boolean_member (jr, "followed", TRUE);
  st->hops++;

  if (problems == 0)
    {
      g_autofree char *label = g_ascii_strup (sd_transport_to_string (transport), -1);
      g_autofree char *message = g_strdup_printf (
        _("The server sent the sign-in to your home server %s:%u (%s), with %u %s."),
        host, port, label, response->status, response->reason);
      g_autofree char *advice = g_strdup_printf (
        _("Nothing to fix: clients follow this redirect. If a client cannot reach %s, check that its "
          "name resolves and its port is open from here."), host);
      sd_run_report (st->run, SD_STEP_SIP, SD_FINDING_SIP_REDIRECT, SD_SEVERITY_INFO, message, advice);
    }

  {
    Redirect *r = g_new0 (Redirect, 1);
    r->task = task;
    r->host = g_strdup (host);
    r->port = port;
    r->transport = transport;
    sd_sip_resolve_async (st->run, host, g_task_get_cancellable (task), redirect_resolved_cb, r);
  }
}

static void
register_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  SipStep *st = g_task_get_task_data (task);
  GError *error = NULL;
  SdSipMessage *response = sd_sip_session_request_finish (st->session, result, &error);

  if (sd_sip_task_return_if_cancelled (task, error))
    return;
  if (response == NULL)
    {
      sd_sip_report_error (st->run, SD_STEP_SIP, "REGISTER", st->session, error);
      g_error_free (error);
      finish (task);
      return;
    }

  g_clear_pointer (&st->session->last_response, sd_sip_message_free);
  st->session->last_response = response;

  if (response->status >= 200 && response->status < 300)
    {
      st->session->reached = TRUE;
      st->session->registered = TRUE;
      finish (task);
    }
  else if (response->status == 301 || response->status == 302)
    follow_redirect (task, response);
  else if (response->status == 401 || response->status == 407)
    {
      JsonObject *data = sd_run_get_step_data (st->run, SD_STEP_SIP);
      guint bad = 0;

      st->session->reached = TRUE;
      sd_sip_session_read_challenges (st->session, response, data, &bad);
      if (st->session->offered->len == 0)
        {
          g_autofree char *message = g_strdup_printf (
            _("The server answered %u %s but its authentication challenge could not be read."),
            response->status, response->reason);
          sd_run_report (st->run, SD_STEP_SIP, SD_FINDING_SIP_MALFORMED_RESPONSE, SD_SEVERITY_ERROR, message,
                         _("The server's challenge breaks the SIP grammar; tell its administrator "
                           "(the trace shows the exact header)."));
          st->session->reached = FALSE;
        }
      finish (task);
    }
  else
    {
      sd_sip_report_status (st->run, SD_STEP_SIP, response, st->session->aor);
      finish (task);
    }
}

static void
options_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  SipStep *st = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(SdSipMessage) response = sd_sip_session_request_finish (st->session, result, &error);

  if (sd_sip_task_return_if_cancelled (task, error))
    return;
  if (response == NULL)
    {
      /* A server that does not answer OPTIONS will not answer REGISTER
       * either; waiting a second timeout tells nothing new. */
      sd_sip_report_error (st->run, SD_STEP_SIP, "OPTIONS", st->session, error);
      g_error_free (error);
      finish (task);
      return;
    }
  json_object_set_int_member (sd_run_get_step_data (st->run, SD_STEP_SIP), "options_status",
                              response->status);
  send_register (task);
}

void
sd_step_sip_run_async (SdRun               *run,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task = g_task_new (run, cancellable, callback, user_data);
  SdContext *ctx = sd_run_get_context (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_SIP);
  SipStep *st;
  SdCandidate *target;

  g_task_set_source_tag (task, sd_step_sip_run_async);
  ctx->sip_sips_not_tls = FALSE;
  memset (&ctx->sip_network, 0, sizeof ctx->sip_network);

  if (ctx->uri == NULL)
    {
      sd_run_set_step_status (run, SD_STEP_SIP, SD_STATUS_SKIP,
                              _("Not run: the SIP address is not usable."));
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  target = pick_target (run);
  if (target == NULL)
    {
      sd_run_set_step_status (run, SD_STEP_SIP, SD_STATUS_SKIP,
                              _("Not run: no server to send SIP to: none was found, or none accepted a "
                                "connection (see the DNS and connection checks)."));
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  /* A client never sends a request for a sips: address over anything but
   * TLS; neither does this step, so no REGISTER (and later no credential)
   * leaves in clear for it. */
  if (g_ascii_strcasecmp (ctx->uri->scheme, "sips") == 0 && target->transport != SD_TRANSPORT_TLS)
    {
      const SdConfig *config = sd_run_get_config (run);
      g_autofree char *desc = sd_candidate_describe (target);

      if (config->transport == SD_TRANSPORT_AUTO || config->transport == SD_TRANSPORT_TLS)
        {
          /* The uri step said nothing: the transport was not chosen, but the
           * only server to use is not reached over TLS. */
          g_autofree char *message = g_strdup_printf (
            _("The address starts with sips:, which requires TLS, but the server to use is %s."), desc);
          sd_run_report (run, SD_STEP_SIP, SD_FINDING_SIP_SIPS_NOT_TLS, SD_SEVERITY_ERROR, message,
                         _("Publish a TLS server for the domain (a _sips._tcp or _sip._tls SRV record), "
                           "or use a sip: address."));
          ctx->sip_sips_not_tls = TRUE;
        }
      else
        sd_run_set_step_status (run, SD_STEP_SIP, SD_STATUS_SKIP,
                                _("Not run: a sips: address signs in only over TLS, so nothing was sent "
                                  "over another transport."));
      json_object_set_object_member (data, "target", sd_candidate_to_json (target));
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  if (tls_handshake_failed (run, target))
    {
      sd_run_set_step_status (run, SD_STEP_SIP, SD_STATUS_SKIP,
                              _("Not run: the TLS handshake with the server failed (see the secure "
                                "connection check), so no SIP message can be sent over it."));
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  g_clear_pointer (&ctx->sip_session, sd_sip_session_free);
  ctx->sip_session = sd_sip_session_new (run);

  st = g_new0 (SipStep, 1);
  st->run = run;
  st->session = ctx->sip_session;
  st->session->step = SD_STEP_SIP;
  st->session->secure_origin = target->transport == SD_TRANSPORT_TLS
                               || g_ascii_strcasecmp (ctx->uri->scheme, "sips") == 0;
  st->visited = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (st->visited, target_key (target));
  g_task_set_task_data (task, st, (GDestroyNotify) sip_step_free);

  json_object_set_object_member (data, "target", sd_candidate_to_json (target));
  json_object_set_array_member (data, "exchanges", json_array_new ());
  json_object_set_array_member (data, "redirects", json_array_new ());
  json_object_set_array_member (data, "challenges", json_array_new ());

  sd_sip_session_connect (st->session, target);
  sd_sip_session_request_async (st->session, "OPTIONS", NULL, NULL, cancellable,
                                options_cb, task);
}

gboolean
sd_step_sip_run_finish (SdRun         *run,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, run), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
