/* sd-step-connect.c: the `connect` step: can this computer reach each server?
 *
 * Every TCP and TLS candidate is connected to at once, each bounded by the
 * timeout, so several dead servers cost one timeout, not one each. UDP has
 * no connection to make: those candidates are recorded as "skipped" (the
 * SIP step probes them with OPTIONS) and stay in ctx->reachable in their
 * client order, because a client sending over UDP cannot tell a dead
 * server from a live one before it asks, exactly like this step.
 *
 * A client stops at the first server, in its order, that accepts the
 * connection: once that server is known (every one before it has failed),
 * the connections to the servers after it are cancelled and those servers
 * recorded as not needed. They are never reported as failures: a server
 * behind the one that works (such as an Edge server, unreachable from inside
 * by design) is one no client ever waits for.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-connect"

#include <glib/gi18n-lib.h>
#include "sd-steps.h"
#include "sd-connect-result.h"
#include "sd-deadline.h"
#include "sd-error.h"

/* Connections being made at once. A real client has a handful of servers
 * to try and tries them one after another; 16 at once still costs one
 * timeout for any real list, while a list of dozens (the dns step allows 64)
 * cannot make this computer hold a socket per candidate. */
#define MAX_IN_FLIGHT 16

typedef struct _ConnectState ConnectState;

typedef struct {
  ConnectState      *state;
  guint              index;       /* in client order */
  SdCandidate       *candidate;
  JsonObject        *json;        /* its member of data.attempts */
  gboolean           probe;       /* a TCP or TLS connection to make */
  SdDeadline        *deadline;    /* from the start of the connection, chained to the run */
  gint64             start_us;
  SdConnectResult    result;
  GSocketConnection *connection;
} Attempt;

struct _ConnectState {
  GTask         *task;   /* owned by the attempts in flight */
  SdRun         *run;
  GSocketClient *client;
  GPtrArray     *attempts;
  guint          pending;     /* connections in flight */
  guint          next;        /* the first attempt not started yet */
  gboolean       settled;     /* the first working candidate in client order is known */
  gint64         start_us;
  gint64         deadline_us; /* the step's one timeout holds from its start */
  GCancellable  *run_cancellable;
};

static void
attempt_free (Attempt *a)
{
  g_clear_object (&a->deadline);
  g_clear_object (&a->connection);
  sd_candidate_unref (a->candidate);
  g_free (a);
}

static void
connect_state_free (ConnectState *st)
{
  g_clear_object (&st->run_cancellable);
  g_ptr_array_unref (st->attempts);
  g_clear_object (&st->client);
  g_free (st);
}

/* Failures of this computer, not of the path to the server: too many open
 * files (EMFILE, ENFILE) or no memory (ENOMEM). GLib 2.74 maps ENOBUFS to
 * G_IO_ERROR_FAILED, which cannot be told apart from other failures. */
static gboolean
is_local_resource_error (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

static SdConnectResult
classify_error (const GError *error)
{
  if (is_local_resource_error (error))
    return SD_CONNECT_RESULT_LOCAL;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return SD_CONNECT_RESULT_REFUSED;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return SD_CONNECT_RESULT_TIMEOUT;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
    return SD_CONNECT_RESULT_UNREACHABLE;
  return SD_CONNECT_RESULT_ERROR;
}

static void finish_step (ConnectState *st);
static void start_more (ConnectState *st);

static void
attempt_record (Attempt *a, SdConnectResult result, const char *error_message)
{
  ConnectState *st = a->state;
  double ms = (g_get_monotonic_time () - a->start_us) / 1000.0;
  g_autofree char *desc = sd_candidate_describe (a->candidate);
  g_autofree char *line = NULL;

  a->result = result;
  json_object_set_string_member (a->json, "result", sd_connect_result_to_string (result));
  if (error_message != NULL)
    json_object_set_string_member (a->json, "error", error_message);
  json_object_set_double_member (a->json, "duration_ms", ms);
  /* TRANSLATORS: "sip.example.com:5061 (TLS) at 192.0.2.1: connected (2 ms)" */
  line = g_strdup_printf (_("%s: %s (%.0f ms)"), desc, sd_connect_result_describe (result), ms);
  sd_run_step_progress (st->run, SD_STEP_CONNECT, line);
}

/* Later steps use only the first working candidate in client order; other
 * connections are closed as soon as that is known, so the sockets this step
 * holds stay within the bound on connections in flight. */
static void
keep_first_connection (ConnectState *st, Attempt *a)
{
  for (guint i = 0; i < st->attempts->len; i++)
    {
      Attempt *b = st->attempts->pdata[i];

      if (i < a->index && (b->result == SD_CONNECT_RESULT_OK || b->result == SD_CONNECT_RESULT_SKIPPED))
        {
          g_clear_object (&a->connection);
          return;
        }
      if (i > a->index)
        g_clear_object (&b->connection);
    }
}

/* Once the first candidate in client order that accepted a connection is
 * known (every TCP or TLS candidate before it has its result), the ones
 * after it are what a client never tries: their connections are cancelled,
 * results already in are replaced, and none is reported. UDP candidates
 * before it do not decide (this step cannot tell whether they answer), so
 * the TCP and TLS ones after them are still probed. */
static void
settle_after_first (ConnectState *st)
{
  guint first;

  if (st->settled)
    return;
  for (first = 0; first < st->attempts->len; first++)
    {
      Attempt *a = st->attempts->pdata[first];

      if (!a->probe)
        continue;
      if (a->result == SD_CONNECT_RESULT_PENDING)
        return;   /* still in flight, or queued: the order is not decided yet */
      if (a->result == SD_CONNECT_RESULT_OK)
        break;
    }
  if (first >= st->attempts->len)
    return;

  st->settled = TRUE;
  for (guint i = first + 1; i < st->attempts->len; i++)
    {
      Attempt *b = st->attempts->pdata[i];

      if (b->result == SD_CONNECT_RESULT_UNRESOLVED)
        continue;   /* a fact about DNS, which the dns step reports */
      g_clear_object (&b->connection);
      json_object_remove_member (b->json, "error");
      json_object_remove_member (b->json, "note");
      if (b->deadline == NULL)
        b->start_us = g_get_monotonic_time ();   /* no connection made: it took no time */
      attempt_record (b, SD_CONNECT_RESULT_NOT_NEEDED, NULL);
      if (b->deadline != NULL)
        g_cancellable_cancel (G_CANCELLABLE (b->deadline));
    }
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Attempt *a = user_data;
  ConnectState *st = a->state;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);

  sd_deadline_stop (a->deadline);

  if (a->result != SD_CONNECT_RESULT_PENDING)
    {
      /* Settled as not needed while in flight: what it gives is not kept. */
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !sd_deadline_expired (a->deadline))
    {
      /* The whole run was cancelled: record nothing, just let go. */
      g_warn_if_fail (g_cancellable_is_cancelled (g_task_get_cancellable (st->task)));
    }
  else if (conn != NULL)
    {
      attempt_record (a, SD_CONNECT_RESULT_OK, NULL);
      a->connection = g_steal_pointer (&conn);
      keep_first_connection (st, a);
    }
  else if (sd_deadline_expired (a->deadline) && a->start_us - st->start_us > G_USEC_PER_SEC / 10)
    {
      /* Started late, queued behind others: it had only the rest of the step's time. */
      g_autofree char *msg = g_strdup_printf (_("No answer in the %.1f seconds left of the %u seconds "
                                                "this check allows"),
                                              (g_get_monotonic_time () - a->start_us) / (double) G_USEC_PER_SEC,
                                              sd_run_get_config (st->run)->timeout_s);
      attempt_record (a, SD_CONNECT_RESULT_TIMEOUT, msg);
    }
  else if (sd_deadline_expired (a->deadline))
    {
      g_autofree char *msg = g_strdup_printf (_("No answer within %u seconds"),
                                              sd_run_get_config (st->run)->timeout_s);
      attempt_record (a, SD_CONNECT_RESULT_TIMEOUT, msg);
    }
  else
    attempt_record (a, classify_error (error), error->message);

  settle_after_first (st);
  st->pending--;
  start_more (st);
  if (st->pending == 0)
    finish_step (st);
}

static char *
describe_list (GPtrArray *list)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    {
      Attempt *a = list->pdata[i];
      g_autofree char *desc = sd_candidate_describe (a->candidate);
      if (s->len > 0)
        g_string_append (s, ", ");
      g_string_append (s, desc);
    }
  return g_string_free (s, FALSE);
}

static char *
port_advice (void)
{
  return g_strdup (_("Check the port: SIP over TLS normally uses 5061, SIP over TCP and UDP 5060, "
                     "and Lync or Skype for Business Edge servers often 443."));
}

static void
report_failures (ConnectState *st, SdConnectResult result, GPtrArray *list, SdSeverity severity,
                 const char *fallback_note)
{
  const SdConfig *config = sd_run_get_config (st->run);
  g_autofree char *names = describe_list (list);
  g_autofree char *ports = port_advice ();
  g_autofree char *message = NULL;
  g_autofree char *advice = NULL;
  const char *code;
  const char *what;

  if (result == SD_CONNECT_RESULT_REFUSED)
    {
      code = SD_FINDING_CONNECT_REFUSED;
      message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "This server refused the connection: %s.",
                                              "These servers refused the connection: %s.", list->len),
                                 names);
      what = _("Nothing accepts connections on that port: the SIP service is not running there, "
               "listens on another port, or a firewall on the server rejects the connection. "
               "Make sure the server's SIP service is started and listening on that address.");
      /* A port from an SRV record: that record is what to fix (the first
       * few: a hostile zone must not make the advice endless). */
      for (guint i = 0, named = 0; i < list->len && named < 3; i++)
        {
          g_autofree char *srv = sd_candidate_srv_port_advice (((Attempt *) list->pdata[i])->candidate);
          if (srv != NULL && strstr (ports, srv) == NULL)
            {
              char *joined = g_strjoin (" ", ports, srv, NULL);
              g_free (ports);
              ports = joined;
              named++;
            }
        }
    }
  else if (result == SD_CONNECT_RESULT_TIMEOUT)
    {
      code = SD_FINDING_CONNECT_TIMEOUT;
      message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "This server did not answer within %u seconds: %s.",
                                              "These servers did not answer within %u seconds: %s.",
                                              list->len),
                                 config->timeout_s, names);
      what = _("A firewall between this computer and the server probably drops the connection, or the "
               "address is wrong. Ask the network administrator to allow outgoing TCP to that port, or "
               "try from inside the company network or over the VPN.");
    }
  else
    {
      code = SD_FINDING_CONNECT_UNREACHABLE;
      message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "This server cannot be reached from this computer: %s.",
                                              "These servers cannot be reached from this computer: %s.",
                                              list->len),
                                 names);
      what = _("This computer has no route to that address. Check the network connection and the VPN, "
               "and that the address is right; an IPv6 address needs a working IPv6 connection.");
    }
  advice = g_strjoin (" ", what, ports, fallback_note, NULL);
  sd_run_report (st->run, SD_STEP_CONNECT, code, severity, message, advice);
}

static void
finish_step (ConnectState *st)
{
  g_autoptr(GTask) task = st->task;   /* the last reference the attempts held */
  SdRun *run = st->run;
  const SdConfig *config = sd_run_get_config (run);
  SdContext *ctx = sd_run_get_context (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_CONNECT);
  g_autoptr(GPtrArray) refused = g_ptr_array_new ();
  g_autoptr(GPtrArray) timeout = g_ptr_array_new ();
  g_autoptr(GPtrArray) unreachable = g_ptr_array_new ();
  g_autoptr(GPtrArray) local = g_ptr_array_new ();
  g_autoptr(GPtrArray) not_tried = g_ptr_array_new ();
  gboolean chosen_ok = FALSE, chosen_udp = FALSE;
  g_autoptr(GError) error = NULL;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_ptr_array_set_size (ctx->reachable, 0);
  g_clear_pointer (&ctx->selected, sd_candidate_unref);

  for (guint i = 0; i < st->attempts->len; i++)
    {
      Attempt *a = st->attempts->pdata[i];
      gboolean chosen = config->transport == SD_TRANSPORT_AUTO || config->transport == a->candidate->transport;

      if (a->result == SD_CONNECT_RESULT_OK || a->result == SD_CONNECT_RESULT_SKIPPED)
        {
          g_ptr_array_add (ctx->reachable, sd_candidate_ref (a->candidate));
          if (ctx->selected == NULL)
            {
              ctx->selected = sd_candidate_ref (a->candidate);
              if (a->connection != NULL && a->candidate->transport == SD_TRANSPORT_TLS)
                {
                  ctx->connection = g_steal_pointer (&a->connection);
                }
            }
          if (chosen && a->result == SD_CONNECT_RESULT_OK)
            chosen_ok = TRUE;
          if (chosen && a->result == SD_CONNECT_RESULT_SKIPPED)
            chosen_udp = TRUE;
        }
      else if (a->result == SD_CONNECT_RESULT_REFUSED)
        g_ptr_array_add (refused, a);
      else if (a->result == SD_CONNECT_RESULT_TIMEOUT)
        g_ptr_array_add (timeout, a);
      else if (a->result == SD_CONNECT_RESULT_UNREACHABLE || a->result == SD_CONNECT_RESULT_ERROR)
        g_ptr_array_add (unreachable, a);
      else if (a->result == SD_CONNECT_RESULT_LOCAL)
        g_ptr_array_add (local, a);
      else if (a->result == SD_CONNECT_RESULT_NOT_TRIED)
        g_ptr_array_add (not_tried, a);
      /* Connections not selected are closed as the attempts are freed. */
    }

  if (ctx->selected != NULL)
    json_object_set_object_member (data, "selected", sd_candidate_to_json (ctx->selected));
  else
    json_object_set_null_member (data, "selected");

  {
    SdSeverity severity = SD_SEVERITY_ERROR;
    const char *note = NULL;

    if (chosen_ok)
      {
        severity = SD_SEVERITY_WARNING;
        note = _("Another server did accept the connection: the client falls back to the next one, "
                 "after waiting for this one, so sign-in still works but may be slow.");
      }
    else if (chosen_udp)
      {
        severity = SD_SEVERITY_WARNING;
        note = _("The client can still try UDP; the sign-in check probes it with SIP OPTIONS.");
      }
    if (refused->len > 0)
      report_failures (st, SD_CONNECT_RESULT_REFUSED, refused, severity, note);
    if (timeout->len > 0)
      report_failures (st, SD_CONNECT_RESULT_TIMEOUT, timeout, severity, note);
    if (unreachable->len > 0)
      report_failures (st, SD_CONNECT_RESULT_UNREACHABLE, unreachable, severity, note);
  }

  if (not_tried->len > 0)
    {
      g_autofree char *names = describe_list (not_tried);
      g_autofree char *message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                               "%u server was not tried: the %u seconds of this "
                                                               "check ran out before its turn came: %s.",
                                                               "%u servers were not tried: the %u seconds of this "
                                                               "check ran out before their turn came: %s.",
                                                               not_tried->len),
                                                  not_tried->len, config->timeout_s, names);
      g_autofree char *advice = g_strdup_printf (_("This check connects to at most %u servers at once, in "
                                                   "the order a client tries them. Nothing is known about "
                                                   "these: a client would reach them only after all the "
                                                   "servers before them failed. Test one of them with the "
                                                   "Server option, or allow more time."), MAX_IN_FLIGHT);
      sd_run_report (run, SD_STEP_CONNECT, SD_FINDING_CONNECT_NOT_TRIED, SD_SEVERITY_INFO, message, advice);
    }

  if (local->len > 0)
    {
      /* Not the servers' fault: say so, and end the run as an internal
       * failure (exit status 3) rather than as a verdict about them. */
      Attempt *first = local->pdata[0];
      g_autofree char *names = describe_list (local);
      const char *why = json_object_get_string_member_with_default (first->json, "error", "");
      g_autofree char *message = g_strdup_printf (_("This computer ran out of resources (%s), so it could "
                                                    "not test the connection to: %s. This says nothing about "
                                                    "those servers."), why, names);
      const char *advice = _("Close programs that are not needed, or raise this computer's limit of open "
                             "files (for example \"ulimit -n 4096\" in the shell that starts the check), "
                             "then run the check again.");

      sd_run_report (run, SD_STEP_CONNECT, SD_FINDING_CONNECT_LOCAL_RESOURCES, SD_SEVERITY_ERROR, message, advice);
      g_task_return_new_error (task, SD_ERROR, SD_ERROR_INTERNAL, "%s", message);
      return;
    }

  if (ctx->selected != NULL)
    {
      g_autofree char *desc = sd_candidate_describe (ctx->selected);
      g_autofree char *line = g_strdup_printf (_("Using %s"), desc);
      json_object_set_string_member (data, "note", line);
      sd_run_step_progress (run, SD_STEP_CONNECT, line);
    }

  g_task_return_boolean (task, TRUE);
}

/* Starts queued attempts, in client order, while fewer than MAX_IN_FLIGHT
 * are in flight. Each gets what is left of the step's timeout; one still
 * queued when that has run out is recorded as not tried: nothing was sent
 * to its server, so nothing is said about it. */
static void
start_more (ConnectState *st)
{
  while (st->pending < MAX_IN_FLIGHT && st->next < st->attempts->len)
    {
      Attempt *a = st->attempts->pdata[st->next++];
      g_autoptr(GSocketAddress) sa = NULL;
      gint64 left_ms;

      if (!a->probe || a->result != SD_CONNECT_RESULT_PENDING)
        continue;
      if (st->run_cancellable != NULL && g_cancellable_is_cancelled (st->run_cancellable))
        continue;   /* the whole run is being cancelled: nothing more to record */
      left_ms = (st->deadline_us - g_get_monotonic_time ()) / 1000;
      if (left_ms <= 0)
        {
          g_autofree char *msg = g_strdup_printf (_("Not tried: the %u seconds of this check ran out while "
                                                    "%u other connections were being made"),
                                                  sd_run_get_config (st->run)->timeout_s, MAX_IN_FLIGHT);
          attempt_record (a, SD_CONNECT_RESULT_NOT_TRIED, msg);
          continue;
        }
      sa = g_inet_socket_address_new (a->candidate->address, a->candidate->port);
      a->start_us = g_get_monotonic_time ();
      a->deadline = sd_deadline_new ((guint) left_ms, st->run_cancellable);
      st->pending++;
      g_socket_client_connect_async (st->client, G_SOCKET_CONNECTABLE (sa), G_CANCELLABLE (a->deadline),
                                     connect_cb, a);
    }
}

void
sd_step_connect_run_async (SdRun               *run,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (run, cancellable, callback, user_data);
  const SdConfig *config = sd_run_get_config (run);
  SdContext *ctx = sd_run_get_context (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_CONNECT);
  JsonArray *attempts = json_array_new ();
  ConnectState *st;
  guint resolved = 0;
  guint timeout_ms = MAX (config->timeout_s, 1) * 1000;

  g_task_set_source_tag (task, sd_step_connect_run_async);
  json_object_set_array_member (data, "attempts", attempts);
  json_object_set_null_member (data, "selected");
  ctx->connect_probed = FALSE;
  g_clear_object (&ctx->connection);

  if (ctx->candidates == NULL || ctx->candidates->len == 0)
    {
      sd_run_set_step_status (run, SD_STEP_CONNECT, SD_STATUS_SKIP,
                              _("There is no server to connect to: the DNS check found none."));
      g_task_return_boolean (task, TRUE);
      return;
    }

  st = g_new0 (ConnectState, 1);
  st->run = run;
  st->attempts = g_ptr_array_new_with_free_func ((GDestroyNotify) attempt_free);
  st->client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (st->client, FALSE);
  g_task_set_task_data (task, st, (GDestroyNotify) connect_state_free);

  for (guint i = 0; i < ctx->candidates->len; i++)
    {
      SdCandidate *c = ctx->candidates->pdata[i];
      Attempt *a = g_new0 (Attempt, 1);

      a->state = st;
      a->index = i;
      a->candidate = sd_candidate_ref (c);
      a->json = sd_candidate_to_json (c);
      a->start_us = g_get_monotonic_time ();
      json_object_set_string_member (a->json, "result", sd_connect_result_to_string (SD_CONNECT_RESULT_PENDING));
      json_object_set_string_member (a->json, "source", c->source);
      json_array_add_object_element (attempts, a->json);
      g_ptr_array_add (st->attempts, a);

      if (c->address == NULL)
        {
          attempt_record (a, SD_CONNECT_RESULT_UNRESOLVED, _("The name has no address (see the DNS check)."));
          continue;
        }
      resolved++;
      if (c->transport == SD_TRANSPORT_UDP)
        {
          attempt_record (a, SD_CONNECT_RESULT_SKIPPED, NULL);
          json_object_set_string_member (a->json, "note", sd_connect_result_describe (SD_CONNECT_RESULT_SKIPPED));
          json_object_set_double_member (a->json, "duration_ms", 0);
          continue;
        }
      a->probe = TRUE;
    }

  if (resolved == 0)
    {
      sd_run_set_step_status (run, SD_STEP_CONNECT, SD_STATUS_SKIP,
                              _("None of the servers found has an address: see the DNS check."));
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (cancellable != NULL)
    st->run_cancellable = g_object_ref (cancellable);

  ctx->connect_probed = TRUE;
  st->start_us = g_get_monotonic_time ();
  st->deadline_us = st->start_us + timeout_ms * (gint64) 1000;
  start_more (st);

  if (st->pending == 0)
    {
      st->task = g_steal_pointer (&task);
      finish_step (st);
      return;
    }
  /* The attempts in flight own the task from here on. */
  st->task = g_steal_pointer (&task);
}

gboolean
sd_step_connect_run_finish (SdRun         *run,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, run), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_step_connect_run_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
