/* sd-sip-session.c: the registration dialog the `sip` and `auth` steps share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sip-session"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-sip-session.h"
#include "sd-sipae-signin.h"
#include "sd-dns-resolver.h"
#include "sd-random.h"

#define REGISTER_EXPIRES 60

static void
offered_free (SdSipOffered *o)
{
  g_free (o->header);
  sd_sip_challenge_free (o->challenge);
  g_free (o);
}

SdSipSession *
sd_sip_session_new (SdRun *run)
{
  SdSipSession *s = g_new0 (SdSipSession, 1);
  SdContext *ctx = sd_run_get_context (run);

  s->run = run;
  s->aor = sd_sip_uri_to_aor (ctx->uri);
  s->request_uri = g_strdup_printf ("%s:%s", ctx->uri->scheme, ctx->uri->host);
  s->call_id = sd_sip_random_token (16);
  s->options_call_id = sd_sip_random_token (16);
  s->from_tag = sd_sip_random_token (8);
  s->cseq = 1 + sd_random_u32 (9999);
  s->offered = g_ptr_array_new_with_free_func ((GDestroyNotify) offered_free);
  return s;
}

void
sd_sip_session_free (SdSipSession *s)
{
  if (s == NULL)
    return;
  if (s->connection != NULL)
    {
      sd_sip_connection_set_message_func (s->connection, NULL, NULL);
      sd_sip_connection_set_note_func (s->connection, NULL, NULL);
      sd_sip_connection_close (s->connection);
      g_object_unref (s->connection);
    }
  g_clear_pointer (&s->target, sd_candidate_unref);
  g_clear_pointer (&s->last_response, sd_sip_message_free);
  g_clear_pointer (&s->date_received, g_date_time_unref);
  g_ptr_array_unref (s->offered);
  g_free (s->request_uri);
  g_free (s->aor);
  g_free (s->call_id);
  g_free (s->options_call_id);
  g_free (s->from_tag);
  g_free (s->server_header);
  g_free (s->date_header);
  g_free (s);
}

static void
message_cb (SdSipConnection *connection,
            gboolean         sent,
            const char      *text,
            gsize            length,
            gpointer         user_data)
{
  SdSipSession *s = user_data;
  g_autofree char *first_line = NULL;
  g_autofree char *progress = NULL;
  const char *eol;

  sd_trace_add (sd_run_get_trace (s->run), s->step, sent ? SD_TRACE_SENT : SD_TRACE_RECEIVED,
                sd_transport_to_string (sd_sip_connection_get_transport (connection)),
                sd_sip_connection_get_peer (connection), text, length);

  eol = memchr (text, '\n', MIN (length, 200));
  first_line = g_utf8_make_valid (text, eol != NULL ? eol - text : (gssize) MIN (length, 80));
  g_strchomp (first_line);
  progress = sent ? g_strdup_printf (_("Sent %s"), first_line)
                  : g_strdup_printf (_("Received %s"), first_line);
  sd_run_step_progress (s->run, s->step, progress);
}

static void
note_cb (SdSipConnection *connection, const char *note, gpointer user_data)
{
  SdSipSession *s = user_data;

  sd_trace_add (sd_run_get_trace (s->run), s->step, SD_TRACE_NOTE,
                sd_transport_to_string (sd_sip_connection_get_transport (connection)),
                sd_sip_connection_get_peer (connection), note, strlen (note));
}

void
sd_sip_session_connect (SdSipSession *s, SdCandidate *target)
{
  SdContext *ctx = sd_run_get_context (s->run);
  const SdConfig *config = sd_run_get_config (s->run);
  g_autoptr(GSocketAddress) peer = g_inet_socket_address_new (target->address, target->port);

  if (s->connection != NULL)
    {
      sd_sip_connection_set_message_func (s->connection, NULL, NULL);
      sd_sip_connection_set_note_func (s->connection, NULL, NULL);
      sd_sip_connection_close (s->connection);
      g_clear_object (&s->connection);
    }
  if (s->target != target)
    {
      g_clear_pointer (&s->target, sd_candidate_unref);
      s->target = sd_candidate_ref (target);
    }
  s->connection = sd_sip_connection_new (target->transport, G_INET_SOCKET_ADDRESS (peer), target->host,
                                         config->timeout_s);
  sd_sip_connection_set_message_func (s->connection, message_cb, s);
  sd_sip_connection_set_note_func (s->connection, note_cb, s);
  sd_sip_connection_set_ca_file (s->connection, config->ca_file);
  s->tls_step_distrusts = FALSE;
  if (target->transport == SD_TRANSPORT_TLS && ctx->selected != NULL
      && (ctx->selected == target
          || (ctx->selected->port == target->port && ctx->selected->transport == target->transport
              && g_strcmp0 (ctx->selected->host, target->host) == 0)))
    {
      SdStatus tls_status = sd_run_get_step_status (s->run, SD_STEP_TLS);

      /* Whatever a reconnection finds later, the TLS check's verdict on
       * this server stands: it checks more than a handshake does. */
      if (tls_status != SD_STATUS_PENDING && tls_status != SD_STATUS_SKIP && !ctx->tls_trusted)
        s->tls_step_distrusts = TRUE;
      if (ctx->tls_stream != NULL)
        sd_sip_connection_adopt_stream (s->connection, ctx->tls_stream, ctx->tls_trusted);
    }
}

SdSipMessage *
sd_sip_session_build (SdSipSession *s,
                      const char   *method,
                      const char   *auth_header,
                      const char   *credentials,
                      const char   *auth_header2,
                      const char   *credentials2)
{
  SdContext *ctx = sd_run_get_context (s->run);
  SdSipMessage *m = sd_sip_message_new_request (method, s->request_uri);
  const char *local = sd_sip_connection_get_local (s->connection);
  g_autofree char *branch = sd_sip_new_branch ();
  g_autofree char *via = g_strdup_printf ("SIP/2.0/%s %s;rport;branch=%s",
                                          sd_sip_connection_get_via_transport (s->connection),
                                          local, branch);
  g_autofree char *from = g_strdup_printf ("<sip:%s>;tag=%s", s->aor, s->from_tag);
  g_autofree char *to = g_strdup_printf ("<sip:%s>", s->aor);
  g_autofree char *cseq = NULL;
  g_autofree char *contact = NULL;
  g_autofree char *user = g_uri_escape_string (ctx->uri->user, "!$&'()*+,;=", FALSE);

  s->cseq++;
  cseq = g_strdup_printf ("%u %s", s->cseq, method);
  contact = g_strdup_printf ("<sip:%s@%s;transport=%s>", user, local,
                             sd_transport_to_string (sd_sip_connection_get_transport (s->connection)));

  sd_sip_message_add_header (m, "Via", via);
  sd_sip_message_add_header (m, "Max-Forwards", "70");
  sd_sip_message_add_header (m, "From", from);
  sd_sip_message_add_header (m, "To", to);
  /* OPTIONS is a transaction of its own, outside the registration
   * (a UAS such as SIPp ends that "call" once it answered). */
  sd_sip_message_add_header (m, "Call-ID", g_str_equal (method, "REGISTER") ? s->call_id : s->options_call_id);
  sd_sip_message_add_header (m, "CSeq", cseq);
  sd_sip_message_add_header (m, "Contact", contact);
  if (g_str_equal (method, "REGISTER"))
    {
      g_autofree char *expires = g_strdup_printf ("%d", s->unregister ? 0 : REGISTER_EXPIRES);
      sd_sip_message_add_header (m, "Expires", expires);
    }
  else
    sd_sip_message_add_header (m, "Accept", "application/sdp");
  if (auth_header != NULL && credentials != NULL)
    sd_sip_message_add_header (m, auth_header, credentials);
  else if (auth_header != NULL && s->authorize != NULL)
    {
      /* MS-SIPAE signs the request's own fields, so the credentials are
       * made from the request as built. */
      char *signed_credentials = s->authorize (m, s->authorize_data);
      sd_sip_message_add_header (m, auth_header, signed_credentials);
      sd_secret_free (signed_credentials);
    }
  if (auth_header2 != NULL && credentials2 != NULL)
    sd_sip_message_add_header (m, auth_header2, credentials2);
  sd_sip_message_add_header (m, "User-Agent", PACKAGE_NAME "/" PACKAGE_VERSION);
  return m;
}

typedef struct {
  SdSipSession *session;
  SdSipMessage *request;
  char         *method;
  char         *auth_header, *credentials, *auth_header2, *credentials2;
  gint64        start_us;
} RequestData;

static void
request_data_free (RequestData *d)
{
  g_clear_pointer (&d->request, sd_sip_message_free);
  g_free (d->method);
  g_free (d->auth_header);
  g_free (d->auth_header2);
  if (d->credentials != NULL)
    explicit_bzero (d->credentials, strlen (d->credentials));
  if (d->credentials2 != NULL)
    explicit_bzero (d->credentials2, strlen (d->credentials2));
  g_free (d->credentials);
  g_free (d->credentials2);
  g_free (d);
}

static JsonArray *
ensure_array (JsonObject *data, const char *name)
{
  if (!json_object_has_member (data, name))
    json_object_set_array_member (data, name, json_array_new ());
  return json_object_get_array_member (data, name);
}

static const char *
open_failure_to_string (SdSipOpenFailure failure)
{
  switch (failure)
    {
    case SD_SIP_OPEN_FAILURE_CONNECT: return "connect";
    case SD_SIP_OPEN_FAILURE_CONNECT_TIMEOUT: return "connect-timeout";
    case SD_SIP_OPEN_FAILURE_HANDSHAKE: return "tls-handshake";
    case SD_SIP_OPEN_FAILURE_HANDSHAKE_TIMEOUT: return "tls-handshake-timeout";
    case SD_SIP_OPEN_FAILURE_NONE:
    default: return NULL;
    }
}

/* The failure half of an exchange: no final answer came, and why. */
static void
exchange_set_failure (JsonObject *exchange, SdSipSession *s, const GError *error)
{
  const char *failure = open_failure_to_string (sd_sip_connection_get_open_failure (s->connection));

  json_object_set_null_member (exchange, "status");
  json_object_set_string_member (exchange, "error", error->message);
  if (failure != NULL)
    json_object_set_string_member (exchange, "failure", failure);
}

/* Every exchange ends the same: its time, the peer and transport used. */
static void
exchange_add (JsonObject *exchange, SdSipSession *s, RequestData *d)
{
  json_object_set_double_member (exchange, "duration_ms", (g_get_monotonic_time () - d->start_us) / 1000.0);
  json_object_set_string_member (exchange, "peer", sd_sip_connection_get_peer (s->connection));
  json_object_set_string_member (exchange, "transport",
                                 sd_transport_to_string (sd_sip_connection_get_transport (s->connection)));
  json_array_add_object_element (ensure_array (sd_run_get_step_data (s->run, s->step), "exchanges"), exchange);
}

/* The exchange of a request that was never sent: the connection for it
 * could not be opened (a redirect target that does not complete its TLS
 * handshake, say). */
static void
record_unsent (GTask *task, const GError *error)
{
  RequestData *d = g_task_get_task_data (task);
  SdSipSession *s = d->session;
  JsonObject *exchange = json_object_new ();

  json_object_set_string_member (exchange, "method", d->method);
  json_object_set_string_member (exchange, "request_uri", s->request_uri);
  exchange_set_failure (exchange, s, error);
  exchange_add (exchange, s, d);
}

static void
request_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  RequestData *d;
  SdSipSession *s;
  GError *error = NULL;
  SdSipMessage *response = sd_sip_connection_request_finish (SD_SIP_CONNECTION (source), result, &error);
  JsonObject *exchange;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      return;
    }
  d = g_task_get_task_data (task);
  s = d->session;

  exchange = json_object_new ();
  json_object_set_string_member (exchange, "method", d->request->method);
  json_object_set_string_member (exchange, "request_uri", d->request->request_uri);
  if (response != NULL)
    {
      const char *server = sd_sip_message_get_header (response, "Server");
      const char *date = sd_sip_message_get_header (response, "Date");

      json_object_set_int_member (exchange, "status", response->status);
      json_object_set_string_member (exchange, "reason", response->reason);
      sd_sipae_report_ms_diagnostics (s->run, s->step, response);
      if (server != NULL)
        {
          g_free (s->server_header);
          s->server_header = g_strdup (server);
        }
      if (date != NULL)
        {
          g_free (s->date_header);
          s->date_header = g_strdup (date);
          g_clear_pointer (&s->date_received, g_date_time_unref);
          s->date_received = g_date_time_new_now_utc ();
        }
    }
  else
    /* A stream found closed is reopened inside the transaction. */
    exchange_set_failure (exchange, s, error);
  exchange_add (exchange, s, d);
  sd_run_step_progress (s->run, s->step, NULL);

  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, response, (GDestroyNotify) sd_sip_message_free);
}

static void
send_now (GTask *task)
{
  RequestData *d = g_task_get_task_data (task);
  SdSipSession *s = d->session;

  /* Built only now: Via and Contact carry the local address of the open connection. */
  d->request = sd_sip_session_build (s, d->method, d->auth_header, d->credentials,
                                     d->auth_header2, d->credentials2);
  d->start_us = g_get_monotonic_time ();
  sd_sip_connection_request_async (s->connection, d->request, g_task_get_cancellable (task),
                                   request_cb, task);
}

static void
open_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!sd_sip_connection_open_finish (SD_SIP_CONNECTION (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        record_unsent (task, error);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  send_now (task);
}

void
sd_sip_session_request_async (SdSipSession        *s,
                              const char          *method,
                              const char          *auth_header,
                              const char          *credentials,
                              const char          *auth_header2,
                              const char          *credentials2,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  RequestData *d = g_new0 (RequestData, 1);

  g_task_set_source_tag (task, sd_sip_session_request_async);
  d->session = s;
  d->method = g_strdup (method);
  d->auth_header = g_strdup (auth_header);
  d->credentials = g_strdup (credentials);
  d->auth_header2 = g_strdup (auth_header2);
  d->credentials2 = g_strdup (credentials2);
  g_task_set_task_data (task, d, (GDestroyNotify) request_data_free);
  d->start_us = g_get_monotonic_time ();

  if (!sd_sip_connection_is_open (s->connection))
    {
      sd_sip_connection_open_async (s->connection, cancellable, open_cb, task);
      return;
    }
  send_now (task);
}

SdSipMessage *
sd_sip_session_request_finish (SdSipSession  *s,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_sip_session_request_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
sd_sip_session_read_challenges (SdSipSession       *s,
                                const SdSipMessage *response,
                                JsonObject         *data,
                                guint              *bad)
{
  static const char * const headers[] = { "WWW-Authenticate", "Proxy-Authenticate" };
  JsonArray *array = ensure_array (data, "challenges");

  g_ptr_array_set_size (s->offered, 0);
  s->offered_status = response->status;
  if (bad != NULL)
    *bad = 0;
  for (guint h = 0; h < G_N_ELEMENTS (headers); h++)
    {
      g_auto(GStrv) values = sd_sip_message_get_headers (response, headers[h]);

      for (guint i = 0; values[i] != NULL; i++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GPtrArray) challenges = sd_sip_parse_challenges (values[i], &error);

          if (challenges == NULL)
            {
              g_debug ("Unparsable %s: %s", headers[h], error->message);
              if (bad != NULL)
                (*bad)++;
              continue;
            }
          for (guint c = 0; c < challenges->len; c++)
            {
              SdSipOffered *o = g_new0 (SdSipOffered, 1);
              SdSipChallenge *ch = challenges->pdata[c];
              JsonObject *jo = json_object_new ();
              JsonObject *params = json_object_new ();

              json_object_set_string_member (jo, "header", headers[h]);
              json_object_set_string_member (jo, "scheme", ch->scheme);
              for (guint p = 0; p < ch->names->len; p++)
                json_object_set_string_member (params, ch->names->pdata[p], ch->values->pdata[p]);
              json_object_set_object_member (jo, "params", params);
              json_object_set_int_member (jo, "status", response->status);
              json_array_add_object_element (array, jo);

              o->header = g_strdup (headers[h]);
              o->challenge = challenges->pdata[c];
              challenges->pdata[c] = NULL;
              g_ptr_array_add (s->offered, o);
            }
          g_ptr_array_set_free_func (challenges, NULL);
        }
    }
}

/* --- name resolution for redirects ------------------------------------ */

/* The same client, checks and server choice as the dns step (an ID and
 * question check, A and AAAA, CNAME chains, TCP after a truncated answer). */
static void
lookup_host_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) addresses = sd_dns_resolver_lookup_host_finish (SD_DNS_RESOLVER (source), result, &error);

  if (addresses == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* IPv4 first, as the candidates of the dns step. */
  g_task_return_pointer (task, g_object_ref (addresses->pdata[0]), g_object_unref);
}

void
sd_sip_resolve_async (SdRun               *run,
                      const char          *host,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  const SdConfig *config = sd_run_get_config (run);
  SdContext *ctx = sd_run_get_context (run);
  GInetAddress *literal = g_inet_address_new_from_string (host);
  g_autoptr(SdDnsResolver) resolver = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, sd_sip_resolve_async);
  if (literal != NULL)
    {
      g_task_return_pointer (task, literal, g_object_unref);
      return;
    }
  for (guint i = 0; i < ctx->candidates->len; i++)
    {
      SdCandidate *c = ctx->candidates->pdata[i];
      if (c->address != NULL && g_ascii_strcasecmp (c->host, host) == 0)
        {
          g_task_return_pointer (task, g_object_ref (c->address), g_object_unref);
          return;
        }
    }

  if (config->dns_server != NULL)
    resolver = sd_dns_resolver_new_for_server (config->dns_server, &error);
  else
    resolver = sd_dns_resolver_new_system (&error);
  if (resolver == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  sd_dns_resolver_lookup_host_async (resolver, host, config->timeout_s * 1000, cancellable,
                                     lookup_host_cb, g_steal_pointer (&task));
}

GInetAddress *
sd_sip_resolve_finish (GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- findings shared by both steps ------------------------------------ */

gboolean
sd_sip_report_status (SdRun              *run,
                      SdStepId            step,
                      const SdSipMessage *response,
                      const char         *aor)
{
  SdContext *ctx = sd_run_get_context (run);
  const char *domain = ctx->uri != NULL ? ctx->uri->host : "";
  guint status = response->status;

  if (status == 403)
    {
      g_autofree char *message = g_strdup_printf (
        _("The server refused the sign-in of %s: %u %s."), aor, status, response->reason);
      g_autofree char *advice = g_strdup_printf (
        _("Ask your administrator to check three things: (1) your user is enabled for SIP sign-in "
          "and homed on a server; (2) your SIP address is exactly %s; (3) the domain %s is listed "
          "as a SIP domain the server serves."), aor, domain);
      sd_run_report (run, step, SD_FINDING_SIP_FORBIDDEN, SD_SEVERITY_ERROR, message, advice);
      return TRUE;
    }
  if (status == 404 || status == 604)
    {
      g_autofree char *message = g_strdup_printf (
        _("The server does not know the user %s: %u %s."), aor, status, response->reason);
      g_autofree char *advice = g_strdup_printf (
        _("Check the SIP address for typing errors. If it is right, ask your administrator to give "
          "your user the SIP address %s and to list the domain %s on the server."), aor, domain);
      sd_run_report (run, step, SD_FINDING_SIP_NOT_FOUND, SD_SEVERITY_ERROR, message, advice);
      return TRUE;
    }
  if (status >= 500 && status < 600)
    {
      const char *retry = sd_sip_message_get_header (response, "Retry-After");
      g_autofree char *message = retry != NULL
        ? g_strdup_printf (_("The server failed to handle the sign-in: %u %s (it asks to retry after %s seconds)."),
                           status, response->reason, retry)
        : g_strdup_printf (_("The server failed to handle the sign-in: %u %s."), status, response->reason);
      sd_run_report (run, step, SD_FINDING_SIP_SERVER_ERROR, SD_SEVERITY_ERROR, message,
                     _("The problem is on the server side: try again later, and tell your "
                       "administrator the status code and the time."));
      return TRUE;
    }
  if (status >= 300)
    {
      g_autofree char *message = g_strdup_printf (
        _("The server answered the sign-in with %u %s."), status, response->reason);
      sd_run_report (run, step, SD_FINDING_SIP_UNEXPECTED_RESPONSE, SD_SEVERITY_ERROR, message,
                     _("Tell your administrator this answer; the protocol trace shows the whole "
                       "exchange."));
      return TRUE;
    }
  return FALSE;
}

void
sd_sip_report_error (SdRun        *run,
                     SdStepId      step,
                     const char   *method,
                     SdSipSession *session,
                     const GError *error)
{
  g_autofree char *transport = g_ascii_strup (session->target != NULL ? sd_transport_to_string (session->target->transport) : "", -1);
  g_autofree char *where = session->target != NULL
    ? g_strdup_printf ("%s:%u (%s)", session->target->host, session->target->port, transport)
    : g_strdup ("");
  const SdConfig *config = sd_run_get_config (run);
  SdSipOpenFailure failure = session->connection != NULL
    ? sd_sip_connection_get_open_failure (session->connection) : SD_SIP_OPEN_FAILURE_NONE;

  /* A TLS connection this step opened itself (at a redirect target, or
   * again after the TLS check) failed in its handshake: the same finding
   * the TLS check gives for the first server. */
  if (failure == SD_SIP_OPEN_FAILURE_HANDSHAKE_TIMEOUT)
    {
      g_autofree char *message = g_strdup_printf (
        _("%s accepted the connection but did not complete the TLS handshake within %u seconds "
          "(reason: timeout), so %s could not be sent."), where, config->timeout_s, method);
      sd_run_report (run, step, SD_FINDING_TLS_HANDSHAKE_FAILED, SD_SEVERITY_ERROR, message,
                     _("The server is overloaded, or this port is not a TLS port, or something on "
                       "the way holds the connection open without answering. Check the port (5061 "
                       "for TLS) and the server's TLS settings and logs."));
      return;
    }
  if (failure == SD_SIP_OPEN_FAILURE_HANDSHAKE)
    {
      g_autofree char *message = g_strdup_printf (
        _("The TLS handshake with %s failed, so %s could not be sent: %s"), where, method, error->message);
      sd_run_report (run, step, SD_FINDING_TLS_HANDSHAKE_FAILED, SD_SEVERITY_ERROR, message,
                     _("Check that this is the server's TLS port (normally 5061) and read the server's "
                       "TLS log."));
      return;
    }
  if (g_error_matches (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED))
    {
      g_autofree char *message = g_strdup_printf (
        _("The answer of %s to %s is not a valid SIP message: %s"), where, method, error->message);
      sd_run_report (run, step, SD_FINDING_SIP_MALFORMED_RESPONSE, SD_SEVERITY_ERROR, message,
                     _("Something other than a working SIP server answers on this port, or the "
                       "server is broken. Check the server address, port and transport; the "
                       "protocol trace shows what came back."));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_autofree char *message = g_strdup_printf (
        _("%s did not answer %s within %u seconds."), where, method, config->timeout_s);
      sd_run_report (run, step, SD_FINDING_SIP_NO_RESPONSE, SD_SEVERITY_ERROR, message,
                     _("Check that the server runs a SIP service on this port and transport and "
                       "that no firewall drops SIP on the way. Over UDP, try TCP or TLS: UDP "
                       "answers are often lost in firewalls and NAT."));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    {
      /* A closed port is a connection fault, not a silent server: over
       * UDP it first shows here, as the ICMP "port unreachable" that
       * answers the request. */
      g_autofree char *srv = session->target != NULL ? sd_candidate_srv_port_advice (session->target) : NULL;
      g_autofree char *record = session->target != NULL ? sd_candidate_srv_record (session->target) : NULL;
      g_autofree char *message = NULL;

      if (session->target != NULL && session->target->transport == SD_TRANSPORT_UDP)
        message = record != NULL
          ? g_strdup_printf (_("Nothing takes SIP at %s, the server and port the SRV record %s names: "
                               "the port is closed (this computer got \"port unreachable\" in answer "
                               "to the %s)."), where, record, method)
          : g_strdup_printf (_("Nothing takes SIP at %s: the port is closed (this computer got \"port "
                               "unreachable\" in answer to the %s)."), where, method);
      else
        message = record != NULL
          ? g_strdup_printf (_("Nothing takes SIP at %s, the server and port the SRV record %s names: "
                               "the port is closed (the %s was refused)."), where, record, method)
          : g_strdup_printf (_("Nothing takes SIP at %s: the port is closed (the %s was refused)."),
                             where, method);
      sd_run_report (run, step, SD_FINDING_CONNECT_REFUSED, SD_SEVERITY_ERROR, message,
                     srv != NULL ? srv
                     : _("Check the server address, port and transport: the server may not listen "
                         "on this transport, or on another port (usually 5060 for UDP and TCP, "
                         "5061 for TLS)."));
      return;
    }
  {
    g_autofree char *message = g_strdup_printf (
      _("No SIP answer from %s to %s: %s"), where, method, error->message);
    sd_run_report (run, step, SD_FINDING_SIP_NO_RESPONSE, SD_SEVERITY_ERROR, message,
                   _("Check that the server runs a SIP service on this port and transport, and "
                     "that it stays up; the connection check shows whether the port is open."));
  }
}

gboolean
sd_sip_task_return_if_cancelled (GTask *task, GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  g_task_return_error (task, error);
  g_object_unref (task);
  return TRUE;
}
