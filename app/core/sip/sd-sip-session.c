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
  sd_sip_connection_set_trust_loader (s->connection, ctx->trust_loader);
  s->tls_step_distrusts = FALSE;
  if (target->transport == SD_TRANSPORT_TLS && ctx->selected != NULL
      && (ctx->selected == target
          || (ctx->selected->port == target->port && ctx->selected->transport == target->transport
              && g_strcmp0 (ctx->selected->host, target->host) == 0)))
    {
      /* Whatever a reconnection finds later, the TLS check's verdict on
       * this server stands: it checks more than a handshake does. */
      if (ctx->tls_outcome != SD_TLS_OUTCOME_NONE && !ctx->tls_trusted)
        s->tls_step_distrusts = TRUE;
      if (ctx->tls_stream != NULL)
        sd_sip_connection_adopt_stream (s->connection, ctx->tls_stream, ctx->tls_trusted);
    }
}

SdSipMessage *
sd_sip_session_build (SdSipSession *s,
                      const char   *method,
                      const char   *authorization,
                      const char   *proxy_authorization)
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
  if (authorization != NULL)
    sd_sip_message_add_header (m, "Authorization", authorization);
  else if (s->authorize != NULL)
    {
      /* MS-SIPAE signs the request's own fields, so the credentials are
       * made from the request as built. */
      char *signed_credentials = s->authorize (m, s->authorize_data);
      sd_sip_message_add_header (m, "Authorization", signed_credentials);
      sd_secret_free (signed_credentials);
    }
  if (proxy_authorization != NULL)
    sd_sip_message_add_header (m, "Proxy-Authorization", proxy_authorization);
  sd_sip_message_add_header (m, "User-Agent", PACKAGE_NAME "/" PACKAGE_VERSION);
  return m;
}

typedef struct {
  SdSipSession *session;
  SdSipMessage *request;
  char         *method;
  char         *authorization;        /* credentials: wiped when freed */
  char         *proxy_authorization;
  gint64        start_us;
} RequestData;

static void
request_data_free (RequestData *d)
{
  g_clear_pointer (&d->request, sd_sip_message_free);
  g_free (d->method);
  sd_secret_free (d->authorization);
  sd_secret_free (d->proxy_authorization);
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
  d->request = sd_sip_session_build (s, d->method, d->authorization, d->proxy_authorization);
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
                              const char          *authorization,
                              const char          *proxy_authorization,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  RequestData *d = g_new0 (RequestData, 1);

  g_task_set_source_tag (task, sd_sip_session_request_async);
  d->session = s;
  d->method = g_strdup (method);
  d->authorization = g_strdup (authorization);
  d->proxy_authorization = g_strdup (proxy_authorization);
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

gboolean
sd_sip_task_return_if_cancelled (GTask *task, GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  g_task_return_error (task, error);
  g_object_unref (task);
  return TRUE;
}
