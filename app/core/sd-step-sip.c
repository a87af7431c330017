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
#include "sd-sip-session.h"

/* LCS/OCS redirect once to the home pool; more than this is a loop. */
#define MAX_REDIRECTS 3

typedef struct {
  SdRun        *run;
  SdSipSession *session;
  GPtrArray    *visited;   /* "host:port/transport" of every target */
  guint         hops;
} SipStep;

static void
sip_step_free (SipStep *st)
{
  g_ptr_array_unref (st->visited);
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
  SdStatus connect_status = sd_run_get_step_status (run, SD_STEP_CONNECT);
  gboolean connect_ran = connect_status != SD_STATUS_PENDING && connect_status != SD_STATUS_SKIP;

  if (ctx->selected != NULL && ctx->selected->address != NULL)
    return ctx->selected;
  for (guint i = 0; i < ctx->candidates->len; i++)
    {
      SdCandidate *c = ctx->candidates->pdata[i];
      if (c->address == NULL)
        continue;
      if (connect_ran && c->transport != SD_TRANSPORT_UDP)
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
  JsonObject *tls = sd_run_get_step_data (run, SD_STEP_TLS);

  if (target->transport != SD_TRANSPORT_TLS)
    return FALSE;
  return g_strcmp0 (json_object_get_string_member_with_default (tls, "handshake", NULL), "failed") == 0;
}

static void register_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
send_register (GTask *task)
{
  SipStep *st = g_task_get_task_data (task);

  sd_sip_session_request_async (st->session, "REGISTER", NULL, NULL, NULL, NULL,
                                g_task_get_cancellable (task), register_cb, task);
}

static void
finish (GTask *task)
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
      sd_run_report (st->run, SD_STEP_SIP, "sip.redirect-unresolvable", SD_SEVERITY_ERROR, message,
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
  JsonObject *jr;

  if (uri == NULL || !parse_contact_target (uri, s->target->transport, &host, &port, &transport))
    {
      g_autofree char *message =
        g_strdup_printf (_("The server answered %u %s but gave no usable Contact to go to."),
                         response->status, response->reason);
      sd_run_report (st->run, SD_STEP_SIP, "sip.malformed-response", SD_SEVERITY_ERROR, message,
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
        sd_run_report (st->run, SD_STEP_SIP, "sip.redirect-loop", SD_SEVERITY_ERROR, message,
                       _("The servers disagree on which one is your home server. Ask your "
                         "administrator to check where your user is homed (the user's pool or "
                         "home server) and that every server knows it."));
        finish (task);
        return;
      }
  g_ptr_array_add (st->visited, g_steal_pointer (&key));
  st->hops++;

  {
    g_autofree char *label = g_ascii_strup (sd_transport_to_string (transport), -1);
    g_autofree char *message = g_strdup_printf (
      _("The server sent the sign-in to your home server %s:%u (%s), with %u %s."),
      host, port, label, response->status, response->reason);
    g_autofree char *advice = g_strdup_printf (
      _("Nothing to fix: clients follow this redirect. If a client cannot reach %s, check that its "
        "name resolves and its port is open from here."), host);
    sd_run_report (st->run, SD_STEP_SIP, "sip.redirect", SD_SEVERITY_INFO, message, advice);
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
          sd_run_report (st->run, SD_STEP_SIP, "sip.malformed-response", SD_SEVERITY_ERROR, message,
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

  if (tls_handshake_failed (run, target))
    {
      sd_run_set_step_status (run, SD_STEP_SIP, SD_STATUS_SKIP,
                              _("Not run: the TLS handshake with the server failed (see the secure "
                                "connection check), so no SIP message can be sent over it."));
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  if (ctx->sip_state != NULL && ctx->sip_state_free != NULL)
    ctx->sip_state_free (ctx->sip_state);
  ctx->sip_state = sd_sip_session_new (run);
  ctx->sip_state_free = (GDestroyNotify) sd_sip_session_free;

  st = g_new0 (SipStep, 1);
  st->run = run;
  st->session = ctx->sip_state;
  st->session->step = SD_STEP_SIP;
  st->visited = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (st->visited, target_key (target));
  g_task_set_task_data (task, st, (GDestroyNotify) sip_step_free);

  json_object_set_object_member (data, "target", sd_candidate_to_json (target));
  json_object_set_array_member (data, "exchanges", json_array_new ());
  json_object_set_array_member (data, "redirects", json_array_new ());
  json_object_set_array_member (data, "challenges", json_array_new ());

  sd_sip_session_connect (st->session, target);
  sd_sip_session_request_async (st->session, "OPTIONS", NULL, NULL, NULL, NULL, cancellable,
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
