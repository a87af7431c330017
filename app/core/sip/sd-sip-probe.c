/* sd-sip-probe.c: OPTIONS probes over each transport and of growing size,
 * run concurrently, and the sip step's network findings from them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sip-probe"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-sip-probe.h"
#include "sd-config.h"
#include "sd-deadline.h"
#include "sd-finding-codes.h"

const gsize sd_sip_probe_sizes[SD_SIP_PROBE_N_SIZES] = { 1200, 1500, 3000 };

void
sd_sip_probe_free (SdSipProbe *p)
{
  if (p == NULL)
    return;
  g_free (p->local);
  g_free (p->local_host);
  g_free (p->peer);
  g_free (p->response_via);
  g_free (p->error);
  g_free (p);
}

typedef struct {
  SdRun           *run;
  SdSipSession    *session;
  SdCandidate     *target;
  SdDeadline      *deadline;
  SdSipConnection *connection;
  SdSipMessage    *request;
  SdSipProbe      *probe;
  gint64           start_us;
} ProbeData;

static void
probe_data_free (ProbeData *d)
{
  if (d->connection != NULL)
    {
      sd_sip_connection_set_message_func (d->connection, NULL, NULL);
      sd_sip_connection_set_note_func (d->connection, NULL, NULL);
      sd_sip_connection_close (d->connection);
      g_object_unref (d->connection);
    }
  g_clear_pointer (&d->request, sd_sip_message_free);
  g_clear_pointer (&d->target, sd_candidate_unref);
  if (d->deadline != NULL)
    sd_deadline_stop (d->deadline);
  g_clear_object (&d->deadline);
  sd_sip_probe_free (d->probe);
  g_free (d);
}

static void
probe_message_cb (SdSipConnection *connection,
                  gboolean         sent,
                  const char      *text,
                  gsize            length,
                  gpointer         user_data)
{
  ProbeData *d = user_data;

  sd_trace_add (sd_run_get_trace (d->run), SD_STEP_SIP, sent ? SD_TRACE_SENT : SD_TRACE_RECEIVED,
                sd_transport_to_string (sd_sip_connection_get_transport (connection)),
                sd_sip_connection_get_peer (connection), text, length);
}

static void
probe_note_cb (SdSipConnection *connection, const char *note, gpointer user_data)
{
  ProbeData *d = user_data;

  sd_trace_add (sd_run_get_trace (d->run), SD_STEP_SIP, SD_TRACE_NOTE,
                sd_transport_to_string (sd_sip_connection_get_transport (connection)),
                sd_sip_connection_get_peer (connection), note, strlen (note));
}

/* What the OPTIONS brought: an answer, or why none came. FALSE when the
 * person cancelled (then @error is kept in *@cancelled). */
static gboolean
probe_record (GTask *task, SdSipMessage *response, GError *error, GError **cancelled)
{
  ProbeData *d = g_task_get_task_data (task);
  SdSipProbe *p = d->probe;
  GCancellable *parent = g_task_get_cancellable (task);

  p->duration_ms = (g_get_monotonic_time () - d->start_us) / 1000.0;
  if (d->connection != NULL && sd_sip_connection_get_peer (d->connection) != NULL && p->peer == NULL)
    p->peer = g_strdup (sd_sip_connection_get_peer (d->connection));
  if (response != NULL)
    {
      p->outcome = SD_SIP_PROBE_ANSWERED;
      p->status = response->status;
      p->response_via = g_strdup (sd_sip_message_get_header (response, "Via"));
      sd_sip_message_free (response);
      return TRUE;
    }
  if (parent != NULL && g_cancellable_is_cancelled (parent))
    {
      *cancelled = error;
      return FALSE;
    }
  if (sd_deadline_expired (d->deadline) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    p->outcome = SD_SIP_PROBE_NO_ANSWER;
  else
    p->outcome = SD_SIP_PROBE_FAILED;
  p->error = g_strdup (error->message);
  g_error_free (error);
  return TRUE;
}

/* Only the person's Cancel fails the task; the probe is the result. */
static void
probe_complete (GTask *task, GError *cancelled)
{
  ProbeData *d = g_task_get_task_data (task);

  if (cancelled != NULL)
    g_task_return_error (task, cancelled);
  else
    g_task_return_pointer (task, g_steal_pointer (&d->probe), (GDestroyNotify) sd_sip_probe_free);
  g_object_unref (task);
}

typedef struct {
  GTask        *task;
  SdSipMessage *response;
  GError       *error;
  gboolean      ping;       /* a keep-alive ping ended, not the OPTIONS */
  gboolean      pong;
} Ended;

static void probe_ping_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* The connection calls back from inside its own reading: the probe goes on
 * (and the connection is closed with the probe's data) only once that has
 * returned. */
static gboolean
probe_ended_idle (gpointer user_data)
{
  Ended *e = user_data;
  GTask *task = e->task;
  ProbeData *d = g_task_get_task_data (task);
  GError *cancelled = NULL;

  if (e->ping)
    {
      if (e->error == NULL)
        d->probe->keepalive = e->pong ? SD_SIP_PROBE_ANSWERED : SD_SIP_PROBE_FAILED;
      else if (g_task_get_cancellable (task) != NULL && g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        cancelled = g_steal_pointer (&e->error);
      else
        d->probe->keepalive = sd_deadline_expired (d->deadline)
                              || g_error_matches (e->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
                              ? SD_SIP_PROBE_NO_ANSWER : SD_SIP_PROBE_FAILED;
      g_clear_error (&e->error);
      probe_complete (task, cancelled);
    }
  else if (!probe_record (task, e->response, e->error, &cancelled))
    probe_complete (task, cancelled);
  else if (d->probe->outcome == SD_SIP_PROBE_ANSWERED && d->probe->size == 0
           && d->target->transport != SD_TRANSPORT_UDP)
    /* RFC 5626 keep-alive on the stream that just answered, within what
     * is left of the probe's deadline. */
    sd_sip_connection_ping_async (d->connection, G_CANCELLABLE (d->deadline), probe_ping_cb, task);
  else
    probe_complete (task, NULL);
  g_free (e);
  return G_SOURCE_REMOVE;
}

static void
probe_later (Ended *e)
{
  g_autoptr(GSource) idle = g_idle_source_new ();

  g_source_set_callback (idle, probe_ended_idle, e, NULL);
  g_source_attach (idle, g_task_get_context (e->task));
}

static void
probe_ping_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Ended *e = g_new0 (Ended, 1);

  e->task = user_data;
  e->ping = TRUE;
  e->pong = sd_sip_connection_ping_finish (SD_SIP_CONNECTION (source), result, &e->error);
  probe_later (e);
}

static void
probe_request_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Ended *e = g_new0 (Ended, 1);

  e->task = user_data;
  e->response = sd_sip_connection_request_finish (SD_SIP_CONNECTION (source), result, &e->error);
  probe_later (e);
}

/* An OPTIONS as the session's would be, outside its dialog, padded with a
 * header every server ignores up to the size asked for. */
static SdSipMessage *
build_options (ProbeData *d, gsize size)
{
  SdContext *ctx = sd_run_get_context (d->run);
  SdSipSession *s = d->session;
  SdSipMessage *m = sd_sip_message_new_request ("OPTIONS", s->request_uri);
  const char *local = sd_sip_connection_get_local (d->connection);
  g_autofree char *branch = sd_sip_new_branch ();
  g_autofree char *tag = sd_sip_random_token (8);
  g_autofree char *call_id = sd_sip_random_token (16);
  g_autofree char *via = g_strdup_printf ("SIP/2.0/%s %s;rport;branch=%s",
                                          sd_sip_connection_get_via_transport (d->connection), local, branch);
  g_autofree char *from = g_strdup_printf ("<sip:%s>;tag=%s", s->aor, tag);
  g_autofree char *to = g_strdup_printf ("<sip:%s>", s->aor);
  g_autofree char *user = g_uri_escape_string (ctx->uri->user, "!$&'()*+,;=", FALSE);
  g_autofree char *contact = g_strdup_printf ("<sip:%s@%s;transport=%s>", user, local,
                                              sd_transport_to_string (d->target->transport));
  gsize length = 0;
  g_autofree char *wire = NULL;

  sd_sip_message_add_header (m, "Via", via);
  sd_sip_message_add_header (m, "Max-Forwards", "70");
  sd_sip_message_add_header (m, "From", from);
  sd_sip_message_add_header (m, "To", to);
  sd_sip_message_add_header (m, "Call-ID", call_id);
  sd_sip_message_add_header (m, "CSeq", "1 OPTIONS");
  sd_sip_message_add_header (m, "Contact", contact);
  sd_sip_message_add_header (m, "Accept", "application/sdp");
  sd_sip_message_add_header (m, "User-Agent", PACKAGE_NAME "/" PACKAGE_VERSION);
  wire = sd_sip_message_to_string (m, &length);
  /* "X-Padding: " + value + CRLF */
  if (size > length + 13)
    {
      g_autofree char *pad = g_strnfill (size - length - 13, 'x');
      sd_sip_message_add_header (m, "X-Padding", pad);
      g_free (wire);
      wire = sd_sip_message_to_string (m, &length);
    }
  d->probe->sent_size = length;
  return m;
}

static void
probe_open_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  ProbeData *d = g_task_get_task_data (task);
  GError *error = NULL;
  const char *local;
  g_autofree char *host = NULL;
  guint16 port = 0;

  if (!sd_sip_connection_open_finish (d->connection, result, &error))
    {
      GError *cancelled = NULL;

      if (!probe_record (task, NULL, error, &cancelled))
        probe_complete (task, cancelled);
      else
        probe_complete (task, NULL);
      return;
    }
  local = sd_sip_connection_get_local (d->connection);
  d->probe->local = g_strdup (local);
  if (local != NULL && sd_parse_host_port (local, &host, &port, NULL))
    {
      d->probe->local_host = g_steal_pointer (&host);
      d->probe->local_port = port;
    }
  d->request = build_options (d, d->probe->size);
  sd_sip_connection_request_async (d->connection, d->request, G_CANCELLABLE (d->deadline),
                                   probe_request_cb, task);
}

void
sd_sip_probe_run_async (SdRun               *run,
                        SdSipSession        *session,
                        SdCandidate         *target,
                        gsize                size,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  const SdConfig *config = sd_run_get_config (run);
  ProbeData *d = g_new0 (ProbeData, 1);
  g_autoptr(GSocketAddress) peer = g_inet_socket_address_new (target->address, target->port);

  g_task_set_source_tag (task, sd_sip_probe_run_async);
  /* The result is the probe, also after a late cancellation of the run. */
  g_task_set_check_cancellable (task, FALSE);
  d->run = run;
  d->session = session;
  d->target = sd_candidate_ref (target);
  d->probe = g_new0 (SdSipProbe, 1);
  d->probe->transport = target->transport;
  d->probe->size = size;
  d->start_us = g_get_monotonic_time ();
  /* From the first byte: connect, handshake and answer together. */
  d->deadline = sd_deadline_new (config->timeout_s * 1000, cancellable);
  g_task_set_task_data (task, d, (GDestroyNotify) probe_data_free);
  /* A connection of its own, never the sign-in's: whatever a server sends
   * back to a keep-alive ping must not reach the auth step's REGISTER. */
  d->connection = sd_sip_connection_new (target->transport, G_INET_SOCKET_ADDRESS (peer), target->host,
                                         config->timeout_s);
  sd_sip_connection_set_ca_file (d->connection, config->ca_file);
  /* It sends OPTIONS and pings, never credentials: no certificate verdict
   * is needed (the tls step gave one). */
  sd_sip_connection_set_unverified (d->connection);
  sd_sip_connection_set_message_func (d->connection, probe_message_cb, d);
  sd_sip_connection_set_note_func (d->connection, probe_note_cb, d);
  sd_sip_connection_open_async (d->connection, G_CANCELLABLE (d->deadline), probe_open_cb, task);
}

SdSipProbe *
sd_sip_probe_run_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_sip_probe_run_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- the network check -------------------------------------------------- */

typedef struct {
  SdRun        *run;
  SdSipSession *session;
  GPtrArray    *probes;     /* SdSipProbe*, in the order they ended */
  guint         pending;
  GError       *cancelled;
  gint64        start_us;
} Check;

static void
check_free (Check *c)
{
  g_ptr_array_unref (c->probes);
  g_clear_error (&c->cancelled);
  g_free (c);
}

static const char *
outcome_to_string (SdSipProbeOutcome o)
{
  switch (o)
    {
    case SD_SIP_PROBE_ANSWERED: return "answered";
    case SD_SIP_PROBE_NO_ANSWER: return "no-answer";
    case SD_SIP_PROBE_FAILED: return "failed";
    case SD_SIP_PROBE_NOT_RUN:
    default: return "not-run";
    }
}

static const char *
evidence_to_string (SdSipAlgEvidence e)
{
  switch (e)
    {
    case SD_SIP_ALG_RECEIVED_PRIVATE: return "received-private";
    case SD_SIP_ALG_VIA_REWRITTEN: return "via-rewritten";
    case SD_SIP_ALG_CONTACT_REWRITTEN: return "contact-rewritten";
    default: return "unknown";
    }
}

static char *
address_text (const char *host, guint16 port)
{
  return strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                    : g_strdup_printf ("%s:%u", host, port);
}

static SdSipProbe *
plain_probe (Check *c, SdTransport t)
{
  for (guint i = 0; i < c->probes->len; i++)
    {
      SdSipProbe *p = c->probes->pdata[i];
      if (p->transport == t && p->size == 0)
        return p;
    }
  return NULL;
}

static SdSipProbeOutcome
plain_outcome (Check *c, SdTransport t)
{
  SdSipProbe *p = plain_probe (c, t);
  return p != NULL ? p->outcome : SD_SIP_PROBE_NOT_RUN;
}

static char *
transport_label (SdTransport t)
{
  return g_ascii_strup (sd_transport_to_string (t), -1);
}

/* "TCP and TLS", "TCP or TLS", "TLS": the transports in @list, for a
 * sentence. */
static char *
join_transports (GArray *list, gboolean or)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    {
      g_autofree char *label = transport_label (g_array_index (list, SdTransport, i));
      if (i > 0)
        g_string_append (out, i + 1 == list->len ? (or ? _(" or ") : _(" and ")) : ", ");
      g_string_append (out, label);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
report_network (Check *c)
{
  SdRun *run = c->run;
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_SIP);
  JsonObject *network = json_object_new ();
  JsonArray *jprobes = json_array_new ();
  JsonArray *jtransports = json_array_new ();
  SdCandidate *target = c->session->target;
  g_autofree char *server = target != NULL && target->address != NULL
                            ? g_inet_address_to_string (target->address) : NULL;
  static const SdTransport order[] = { SD_TRANSPORT_UDP, SD_TRANSPORT_TCP, SD_TRANSPORT_TLS };
  g_autoptr(GPtrArray) evidence = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) alg_transports = g_array_new (FALSE, FALSE, sizeof (SdTransport));
  g_autoptr(GArray) clean_transports = g_array_new (FALSE, FALSE, sizeof (SdTransport));
  g_autoptr(GArray) working = g_array_new (FALSE, FALSE, sizeof (SdTransport));
  g_autofree char *public_address = NULL;
  g_autofree char *local_address = NULL;
  SdTransport nat_transport = SD_TRANSPORT_AUTO;
  gsize sizes[SD_SIP_PROBE_N_SIZES];
  SdSipProbeOutcome outcomes[SD_SIP_PROBE_N_SIZES];
  gsize lost = 0, largest_answered = 0;
  gboolean udp_blocked;
  gboolean stream_blocked;

  for (guint i = 0; i < c->probes->len; i++)
    {
      SdSipProbe *p = c->probes->pdata[i];
      JsonObject *jp = json_object_new ();

      json_object_set_string_member (jp, "transport", sd_transport_to_string (p->transport));
      json_object_set_int_member (jp, "size", (gint64) p->size);
      json_object_set_int_member (jp, "sent_size", (gint64) p->sent_size);
      json_object_set_string_member (jp, "outcome", outcome_to_string (p->outcome));
      if (p->outcome == SD_SIP_PROBE_ANSWERED)
        json_object_set_int_member (jp, "status", p->status);
      else
        json_object_set_null_member (jp, "status");
      if (p->local != NULL)
        json_object_set_string_member (jp, "local", p->local);
      if (p->peer != NULL)
        json_object_set_string_member (jp, "peer", p->peer);
      if (p->response_via != NULL)
        json_object_set_string_member (jp, "via", p->response_via);
      if (p->error != NULL)
        json_object_set_string_member (jp, "error", p->error);
      json_object_set_double_member (jp, "duration_ms", p->duration_ms);
      if (p->transport != SD_TRANSPORT_UDP && p->size == 0 && p->outcome == SD_SIP_PROBE_ANSWERED)
        json_object_set_string_member (jp, "keepalive",
                                       p->keepalive == SD_SIP_PROBE_ANSWERED ? "pong"
                                       : p->keepalive == SD_SIP_PROBE_NO_ANSWER ? "no-answer" : "other");
      json_array_add_object_element (jprobes, jp);
    }

  for (guint t = 0; t < G_N_ELEMENTS (order); t++)
    {
      SdSipProbe *p = plain_probe (c, order[t]);
      JsonObject *jt;
      JsonArray *jalg;
      SdSipNetworkVerdict *v;
      SdSipNetworkInput in = { 0 };

      if (p == NULL)
        continue;
      if (p->outcome == SD_SIP_PROBE_ANSWERED)
        g_array_append_val (working, order[t]);
      if (p->outcome != SD_SIP_PROBE_ANSWERED || p->local_host == NULL)
        continue;
      in.transport = sd_transport_to_string (p->transport);
      in.local_host = p->local_host;
      in.local_port = p->local_port;
      in.server_host = server;
      in.server_port = target->port;
      in.response_via = p->response_via;
      v = sd_sip_network_analyse (&in);
      jt = json_object_new ();
      jalg = json_array_new ();
      json_object_set_string_member (jt, "transport", sd_transport_to_string (p->transport));
      json_object_set_string_member (jt, "local", p->local);
      json_object_set_boolean_member (jt, "answered", v->answered);
      json_object_set_boolean_member (jt, "nat", v->nat);
      if (v->answered)
        {
          g_autofree char *seen = address_text (v->public_host, v->public_port);
          json_object_set_string_member (jt, "seen_as", seen);
          if (v->nat && public_address == NULL)
            {
              public_address = g_steal_pointer (&seen);
              local_address = g_strdup (p->local);
              nat_transport = p->transport;
            }
        }
      else
        json_object_set_null_member (jt, "seen_as");
      for (guint b = 0; b < 3; b++)
        if (v->alg & (1u << b))
          json_array_add_string_element (jalg, evidence_to_string (1u << b));
      json_object_set_array_member (jt, "alg", jalg);
      json_array_add_object_element (jtransports, jt);
      if (v->alg != 0)
        {
          g_autofree char *label = transport_label (p->transport);

          g_array_append_val (alg_transports, order[t]);
          for (guint e = 0; e < v->evidence->len; e++)
            g_ptr_array_add (evidence, g_strdup_printf ("%s: %s", label, (char *) v->evidence->pdata[e]));
        }
      else if (v->answered)
        g_array_append_val (clean_transports, order[t]);
      sd_sip_network_verdict_free (v);
    }

  for (guint i = 0; i < SD_SIP_PROBE_N_SIZES; i++)
    {
      sizes[i] = sd_sip_probe_sizes[i];
      outcomes[i] = SD_SIP_PROBE_NOT_RUN;
      for (guint j = 0; j < c->probes->len; j++)
        {
          SdSipProbe *p = c->probes->pdata[j];
          if (p->transport == SD_TRANSPORT_UDP && p->size == sizes[i])
            outcomes[i] = p->outcome;
        }
      if (outcomes[i] == SD_SIP_PROBE_ANSWERED)
        largest_answered = sizes[i];
    }
  lost = sd_sip_network_fragmentation (sizes, outcomes, SD_SIP_PROBE_N_SIZES);
  udp_blocked = sd_sip_network_udp_blocked (plain_outcome (c, SD_TRANSPORT_UDP),
                                            plain_outcome (c, SD_TRANSPORT_TCP),
                                            plain_outcome (c, SD_TRANSPORT_TLS));
  stream_blocked = sd_sip_network_stream_blocked (plain_outcome (c, SD_TRANSPORT_UDP),
                                                  plain_outcome (c, SD_TRANSPORT_TCP),
                                                  plain_outcome (c, SD_TRANSPORT_TLS));

  json_object_set_array_member (network, "probes", jprobes);
  json_object_set_array_member (network, "transports", jtransports);
  json_object_set_boolean_member (network, "nat", public_address != NULL);
  if (public_address != NULL)
    json_object_set_string_member (network, "public_address", public_address);
  else
    json_object_set_null_member (network, "public_address");
  json_object_set_boolean_member (network, "alg", alg_transports->len > 0);
  json_object_set_boolean_member (network, "udp_blocked", udp_blocked);
  json_object_set_boolean_member (network, "tcp_blocked", stream_blocked);
  json_object_set_int_member (network, "udp_fragmentation_lost_size", (gint64) lost);
  /* what the check adds to the run's wall time */
  json_object_set_double_member (network, "duration_ms", (g_get_monotonic_time () - c->start_us) / 1000.0);
  json_object_set_object_member (data, "network", network);

  /* The hand-off to the auth step (ctx->sip_network), beside the report. */
  {
    SdSipNetworkFound *found = &sd_run_get_context (run)->sip_network;

    found->checked = TRUE;
    found->nat = public_address != NULL;
    found->alg = alg_transports->len > 0;
    for (guint i = 0; i < c->probes->len; i++)
      {
        SdSipProbe *p = c->probes->pdata[i];

        if (p->transport == SD_TRANSPORT_UDP || p->size != 0 || p->outcome != SD_SIP_PROBE_ANSWERED)
          continue;
        found->keepalive[p->transport] = p->keepalive == SD_SIP_PROBE_ANSWERED ? SD_KEEPALIVE_PONG
                                         : p->keepalive == SD_SIP_PROBE_NO_ANSWER ? SD_KEEPALIVE_NO_ANSWER
                                         : SD_KEEPALIVE_OTHER;
      }
  }

  if (alg_transports->len > 0)
    {
      g_autofree char *on = join_transports (alg_transports, FALSE);
      g_autofree char *clean = clean_transports->len > 0 ? join_transports (clean_transports, TRUE) : NULL;
      g_autofree char *why = NULL;
      g_autofree char *message = NULL;
      g_autofree char *advice = NULL;

      g_ptr_array_add (evidence, NULL);
      why = g_strjoinv (" ", (char **) evidence->pdata);
      message = g_strdup_printf (_("A router between this computer and the server changes SIP messages "
                                   "over %s (a SIP ALG, or \"SIP helper\"). %s"), on, why);
      if (clean != NULL)
        advice = g_strdup_printf (_("Turn off SIP ALG (also called SIP helper, SIP fixup or SIP "
                                    "passthrough) in the router or firewall: it breaks registrations "
                                    "and calls. Until then, use %s, which it leaves alone here, or a "
                                    "port other than 5060; ALGs do not touch TLS."), clean);
      else
        advice = g_strdup (_("Turn off SIP ALG (also called SIP helper, SIP fixup or SIP passthrough) "
                             "in the router or firewall: it breaks registrations and calls. Until "
                             "then, use TLS, or a port other than 5060: ALGs do not touch TLS and "
                             "watch only port 5060."));
      sd_run_report (run, SD_STEP_SIP, SD_FINDING_SIP_ALG_DETECTED, SD_SEVERITY_WARNING, message, advice);
    }

  if (public_address != NULL)
    {
      g_autofree char *label = transport_label (nat_transport);
      g_autofree char *message = g_strdup_printf (
        _("This computer is behind NAT: it sends from %s, and the server sees it as %s (over %s)."),
        local_address, public_address, label);
      sd_run_report (run, SD_STEP_SIP, SD_FINDING_SIP_NAT_DETECTED, SD_SEVERITY_INFO, message,
                     _("Nothing is wrong, but a phone behind NAT needs three settings: rport on "
                       "(RFC 3581, \"NAT traversal\" or \"symmetric signalling\"), so answers come back "
                       "to the port the router chose; keep-alives more often than the router forgets "
                       "the port (every 25 seconds over UDP; a CRLF ping over TCP or TLS); and, if "
                       "the provider offers one, its outbound proxy or session border controller. Do "
                       "not type the public address into the phone by hand."));
    }

  if (udp_blocked)
    {
      g_autofree char *works = join_transports (working, FALSE);
      g_autofree char *either = join_transports (working, TRUE);
      g_autofree char *message = g_strdup_printf (
        _("SIP over UDP to %s gets no answer within %u seconds, while the same server answers over %s: "
          "something on the way drops SIP over UDP."),
        server != NULL ? server : "", sd_run_get_config (run)->timeout_s, works);
      g_autofree char *advice = g_strdup_printf (
        _("Set the phone's transport to %s, or ask the administrator of this network to let SIP over "
          "UDP (port 5060) through."), either);
      sd_run_report (run, SD_STEP_SIP, SD_FINDING_SIP_UDP_BLOCKED, SD_SEVERITY_WARNING, message, advice);
    }

  if (stream_blocked)
    {
      g_autofree char *message = g_strdup_printf (
        _("SIP over TCP and TLS to %s gets no answer within %u seconds, while the same server answers "
          "over UDP: something on the way drops SIP over TCP and TLS. Programs set to TCP or TLS "
          "(Lync and Skype for Business use TLS only) cannot sign in from here, and requests too "
          "large for UDP have no way through."),
        server != NULL ? server : "", sd_run_get_config (run)->timeout_s);
      sd_run_report (run, SD_STEP_SIP, SD_FINDING_SIP_TCP_BLOCKED, SD_SEVERITY_WARNING, message,
                     _("Ask the administrator of this network to let SIP over TCP (port 5060) and TLS "
                       "(port 5061) through: TLS also keeps the password exchange private and is left "
                       "alone by routers that rewrite SIP. Until then, set the phone's transport to "
                       "UDP."));
    }

  if (lost != 0)
    {
      g_autofree char *message = g_strdup_printf (
        _("SIP requests over UDP of %lu bytes get no answer from %s, while requests "
          "of %lu bytes do: large UDP requests are split into IP fragments, and "
          "something on the way drops them."), (gulong) lost, server != NULL ? server : "",
        (gulong) largest_answered);
      sd_run_report (run, SD_STEP_SIP, SD_FINDING_SIP_UDP_FRAGMENTATION, SD_SEVERITY_WARNING, message,
                     _("Use TCP or TLS as the phone's transport: over UDP, registrations and calls "
                       "with long headers (many codecs, certificates, Kerberos or NTLM tokens) fail. "
                       "RFC 3261 (18.1.1) asks for TCP above 1,300 bytes; or ask the network's "
                       "administrator to let IP fragments through."));
    }
  sd_run_step_progress (run, SD_STEP_SIP, NULL);
}

static void
check_probe_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Check *c = g_task_get_task_data (task);
  GError *error = NULL;
  SdSipProbe *p = sd_sip_probe_run_finish (result, &error);

  if (p != NULL)
    g_ptr_array_add (c->probes, p);
  else if (c->cancelled == NULL)
    c->cancelled = error;
  else
    g_error_free (error);
  if (--c->pending > 0)
    return;
  if (c->cancelled != NULL)
    g_task_return_error (task, g_steal_pointer (&c->cancelled));
  else
    {
      report_network (c);
      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (task);
}

/* The candidate of @transport for the same server, or NULL; never the
 * port of the other stream transport (a port serves TCP or TLS, not both,
 * and a TLS port would only hold a clear request until the timeout). The
 * connect step stops at the first server that accepts, so it cannot tell
 * whether the others would: each probe finds out, within the timeout. */
static SdCandidate *
pick_candidate (SdRun *run, SdCandidate *target, SdTransport transport)
{
  SdContext *ctx = sd_run_get_context (run);

  if (target->transport == transport)
    return target;
  for (guint i = 0; i < ctx->candidates->len; i++)
    {
      SdCandidate *c = ctx->candidates->pdata[i];

      if (c->transport != transport || c->address == NULL || g_ascii_strcasecmp (c->host, target->host) != 0
          || !g_inet_address_equal (c->address, target->address))
        continue;
      if (transport != SD_TRANSPORT_UDP && target->transport != SD_TRANSPORT_UDP && c->port == target->port)
        continue;
      return c;
    }
  return NULL;
}

void
sd_sip_network_check_async (SdRun               *run,
                            SdSipSession        *session,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  const SdConfig *config = sd_run_get_config (run);
  static const SdTransport all[] = { SD_TRANSPORT_UDP, SD_TRANSPORT_TCP, SD_TRANSPORT_TLS };
  Check *c = g_new0 (Check, 1);
  GPtrArray *jobs = g_ptr_array_new ();   /* SdCandidate* (borrowed), size in the parallel array */
  g_autoptr(GArray) job_sizes = g_array_new (FALSE, FALSE, sizeof (gsize));

  g_task_set_source_tag (task, sd_sip_network_check_async);
  c->run = run;
  c->session = session;
  c->start_us = g_get_monotonic_time ();
  c->probes = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_sip_probe_free);
  g_task_set_task_data (task, c, (GDestroyNotify) check_free);

  if (session->target != NULL && session->target->address != NULL)
    for (guint t = 0; t < G_N_ELEMENTS (all); t++)
      {
        SdCandidate *cand;
        gsize zero = 0;

        if (config->transport != SD_TRANSPORT_AUTO && config->transport != all[t])
          continue;
        cand = pick_candidate (run, session->target, all[t]);
        if (cand == NULL)
          continue;
        g_ptr_array_add (jobs, cand);
        g_array_append_val (job_sizes, zero);
        if (all[t] == SD_TRANSPORT_UDP)
          for (guint s = 0; s < SD_SIP_PROBE_N_SIZES; s++)
            {
              g_ptr_array_add (jobs, cand);
              g_array_append_val (job_sizes, sd_sip_probe_sizes[s]);
            }
      }

  if (jobs->len == 0)
    {
      g_ptr_array_unref (jobs);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  sd_run_step_progress (run, SD_STEP_SIP, _("Checking the network: NAT, SIP ALG, UDP and large requests"));
  c->pending = jobs->len;
  for (guint i = 0; i < jobs->len; i++)
    sd_sip_probe_run_async (run, session, jobs->pdata[i], g_array_index (job_sizes, gsize, i), cancellable,
                            check_probe_cb, task);
  g_ptr_array_unref (jobs);
}

gboolean
sd_sip_network_check_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_sip_network_check_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- the registration: a binding behind NAT ----------------------------- */

void
sd_sip_network_report_registration (SdRun              *run,
                                    SdStepId            step,
                                    SdSipSession       *session,
                                    const SdSipMessage *response)
{
  JsonObject *data = sd_run_get_step_data (run, step);
  JsonObject *reg = json_object_new ();
  SdTransport transport = sd_sip_connection_get_transport (session->connection);
  const char *local = sd_sip_connection_get_local (session->connection);
  g_auto(GStrv) contacts = sd_sip_message_get_headers (response, "Contact");
  g_autofree char *joined = g_strjoinv (", ", contacts);
  const char *flow = sd_sip_message_get_header (response, "Flow-Timer");
  g_autofree char *host = NULL;
  g_autofree char *server = session->target != NULL && session->target->address != NULL
                            ? g_inet_address_to_string (session->target->address) : NULL;
  guint16 port = 0;
  guint64 flow_timer = 0;
  guint expires;
  gboolean udp = transport == SD_TRANSPORT_UDP;
  const SdSipNetworkFound *found = &sd_run_get_context (run)->sip_network;

  if (local == NULL || !sd_parse_host_port (local, &host, &port, NULL))
    {
      json_object_unref (reg);
      return;
    }
  if (flow != NULL)
    {
      g_autofree char *copy = g_strstrip (g_strdup (flow));
      if (!g_ascii_string_to_unsigned (copy, 10, 1, G_MAXUINT32, &flow_timer, NULL))
        flow_timer = 0;
    }
  expires = sd_sip_network_registered_expires (contacts[0] != NULL ? joined : NULL,
                                               sd_sip_message_get_header (response, "Expires"), host, port);
  json_object_set_int_member (reg, "expires", expires);
  json_object_set_int_member (reg, "flow_timer", (gint64) flow_timer);
  json_object_set_string_member (reg, "transport", sd_transport_to_string (transport));

  /* The Contact the server registered: a rewrite NAT alone does not explain. */
  if (contacts[0] != NULL && !found->alg)
    {
      SdSipNetworkInput in = { sd_transport_to_string (transport), host, port, server,
                               session->target != NULL ? session->target->port : 0,
                               sd_sip_message_get_header (response, "Via"), joined };
      SdSipNetworkVerdict *v = sd_sip_network_analyse (&in);

      if (v->alg & SD_SIP_ALG_CONTACT_REWRITTEN)
        {
          g_autofree char *why = NULL;
          g_autofree char *message = NULL;

          g_ptr_array_add (v->evidence, NULL);
          why = g_strjoinv (" ", (char **) v->evidence->pdata);
          message = g_strdup_printf (
            _("A router between this computer and the server changes SIP messages (a SIP ALG, or "
              "\"SIP helper\"). %s"), why);
          sd_run_report (run, step, SD_FINDING_SIP_ALG_DETECTED, SD_SEVERITY_WARNING, message,
                         _("Turn off SIP ALG (also called SIP helper, SIP fixup or SIP passthrough) in "
                           "the router or firewall: it breaks registrations and calls. Until then, use "
                           "TLS, or a port other than 5060: ALGs do not touch TLS and watch only port "
                           "5060."));
        }
      sd_sip_network_verdict_free (v);
    }

  json_object_set_boolean_member (reg, "binding_outlived",
                                  sd_sip_network_binding_outlived (udp, expires, (guint) flow_timer));
  json_object_set_object_member (data, "registration", reg);

  /* Only behind NAT does a binding that outlives the router's mapping
   * keep the phone from being reached; an ALG is a NAT that hides itself. */
  if ((found->nat || found->alg)
      && sd_sip_network_binding_outlived (udp, expires, (guint) flow_timer))
    {
      g_autofree char *label = g_ascii_strup (sd_transport_to_string (transport), -1);
      SdKeepalive ping = found->keepalive[transport];
      guint typical = udp ? SD_SIP_NAT_UDP_TIMEOUT_S : SD_SIP_NAT_TCP_TIMEOUT_S;
      g_autofree char *message = NULL;

      if (ping == SD_KEEPALIVE_PONG)
        message = g_strdup_printf (
          _("This computer is behind NAT, and the registration over %s lasts %u seconds with no "
            "Flow-Timer from the server, while routers often forget an idle %s mapping after %u "
            "seconds. The server answers keep-alive pings (CRLF, RFC 5626) on this transport."),
          label, expires, label, typical);
      else if (ping != SD_KEEPALIVE_NOT_SENT)
        message = g_strdup_printf (
          _("This computer is behind NAT, and the registration over %s lasts %u seconds with no "
            "Flow-Timer from the server, while routers often forget an idle %s mapping after %u "
            "seconds. The server did not answer a keep-alive ping (CRLF, RFC 5626)."),
          label, expires, label, typical);
      else
        message = g_strdup_printf (
          _("This computer is behind NAT, and the registration over %s lasts %u seconds with no "
            "Flow-Timer from the server, while routers often forget an idle %s mapping after %u "
            "seconds."), label, expires, label, typical);
      sd_run_report (run, step, SD_FINDING_SIP_NAT_KEEPALIVE, SD_SEVERITY_INFO, message,
                     udp ? _("Turn on keep-alives in the phone (NAT keep-alive, every 25 seconds or "
                             "less), or a registration interval below 30 seconds; or use TCP or TLS, "
                             "whose mappings live longer. Otherwise the phone signs in but misses "
                             "incoming calls a while later.")
                         : _("Turn on keep-alives in the phone (CRLF keep-alive, or SIP outbound per "
                             "RFC 5626) every few minutes, or a shorter registration interval. "
                             "Otherwise the phone signs in but misses incoming calls a while later."));
    }
}
