/* sd-dns-resolver.c: a small asynchronous DNS client over GSocket.
 *
 * Why our own client rather than GResolver, glibc's res_nquery or a library:
 *
 *  - GResolver can neither ask a named server nor look up NAPTR, and does
 *    not say which server answered nor the response code.
 *  - res_nquery (libresolv) would have to run in a worker thread; a blocked
 *    thread cannot be cancelled, so "Cancel" and the timeout could only
 *    abandon it, the thread would live on for up to timeout × attempts ×
 *    servers, and which server answered is not reported. It also hides
 *    SERVFAIL from REFUSED in some paths (h_errno).
 *  - c-ares or ldns would add a dependency to the Flatpak for what is a few
 *    hundred lines here.
 *
 * So each query is one UDP datagram sent from a non-blocking GSocket whose
 * readiness is a GSource on the caller's main context, with a timer source
 * for the deadline and a GCancellable source for Cancel: cancelling is
 * immediate, the time measured is the real round trip, and the server that
 * answered is known. A truncated answer (TC bit) is asked again over TCP
 * (RFC 1035 4.2.2, two-byte length prefix). The "system" back end reads the
 * nameservers of /etc/resolv.conf (max 3, as glibc), which inside
 * `ip netns exec NAME` is /etc/netns/NAME/resolv.conf: the same servers a
 * client on this machine asks. The timeout is shared between them: each gets
 * an equal slice, and SERVFAIL or REFUSED moves on to the next at once.
 *
 * Answers are accepted only from the address asked, with the query's ID and
 * question; anything else is ignored (as a stub resolver does), so a server
 * sending wrong IDs ends as a timeout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-dns"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-dns-resolver.h"
#include "sd-random.h"
#include "sd-deadline.h"
#include "sd-config.h"

#define MAX_SERVERS 3
#define MAX_UDP 65536
#define RESEND_MS 1000    /* ask again after this long without an answer */
#define MAX_RESENDS 3

struct _SdDnsResolver {
  GObject    parent_instance;
  char      *description;
  GPtrArray *servers;      /* GInetSocketAddress* */
  char     **server_strs;  /* NULL-terminated */
  gboolean   is_system;    /* the servers of resolv.conf */
};

G_DEFINE_FINAL_TYPE (SdDnsResolver, sd_dns_resolver, G_TYPE_OBJECT)

void
sd_dns_result_free (SdDnsResult *result)
{
  if (result == NULL)
    return;
  g_free (result->name);
  g_free (result->server);
  g_free (result->rcode);
  g_clear_pointer (&result->answers, g_ptr_array_unref);
  g_free (result->error);
  g_free (result);
}

gboolean
sd_dns_result_is_answer (const SdDnsResult *result)
{
  return result->outcome == SD_DNS_OUTCOME_ANSWER
         && (result->rcode_value == SD_DNS_RCODE_NOERROR || result->rcode_value == SD_DNS_RCODE_NXDOMAIN);
}

static void
sd_dns_resolver_finalize (GObject *object)
{
  SdDnsResolver *self = SD_DNS_RESOLVER (object);

  g_free (self->description);
  g_ptr_array_unref (self->servers);
  g_strfreev (self->server_strs);
  G_OBJECT_CLASS (sd_dns_resolver_parent_class)->finalize (object);
}

static void
sd_dns_resolver_class_init (SdDnsResolverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sd_dns_resolver_finalize;
}

static void
sd_dns_resolver_init (SdDnsResolver *self)
{
  self->servers = g_ptr_array_new_with_free_func (g_object_unref);
}

static char *
format_server (GInetSocketAddress *sa)
{
  GInetAddress *ia = g_inet_socket_address_get_address (sa);
  g_autofree char *ip = g_inet_address_to_string (ia);

  if (g_inet_address_get_family (ia) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, g_inet_socket_address_get_port (sa));
  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (sa));
}

static void
add_server (SdDnsResolver *self, GInetAddress *address, guint16 port)
{
  g_ptr_array_add (self->servers, g_inet_socket_address_new (address, port));
}

static void
seal_servers (SdDnsResolver *self)
{
  self->server_strs = g_new0 (char *, self->servers->len + 1);
  for (guint i = 0; i < self->servers->len; i++)
    self->server_strs[i] = format_server (self->servers->pdata[i]);
}

/* The same input as --dns-server and the wizard's field: one parser. */
static gboolean
parse_server (SdDnsResolver *self, const char *server, GError **error)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) address = NULL;
  guint16 port = 0;

  if (!sd_parse_dns_server (server, &host, &port, error))
    return FALSE;
  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      /* g_hostname_is_ip_address() took it, GInetAddress does not. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The DNS server “%s” must be an IP address (optionally with a port), "
                     "such as 192.0.2.53 or 127.0.0.1:5353."), server);
      return FALSE;
    }
  add_server (self, address, port != 0 ? port : 53);
  return TRUE;
}

SdDnsResolver *
sd_dns_resolver_new_for_server (const char *server, GError **error)
{
  g_autoptr(SdDnsResolver) self = g_object_new (SD_TYPE_DNS_RESOLVER, NULL);

  if (!parse_server (self, server, error))
    return NULL;
  seal_servers (self);
  self->description = g_strdup (self->server_strs[0]);
  return g_steal_pointer (&self);
}

SdDnsResolver *
sd_dns_resolver_new_for_servers (const char * const *servers,
                                 const char         *description,
                                 GError            **error)
{
  g_autoptr(SdDnsResolver) self = g_object_new (SD_TYPE_DNS_RESOLVER, NULL);

  g_return_val_if_fail (servers != NULL && servers[0] != NULL, NULL);
  for (guint i = 0; servers[i] != NULL; i++)
    if (!parse_server (self, servers[i], error))
      return NULL;
  seal_servers (self);
  self->description = g_strdup (description);
  return g_steal_pointer (&self);
}

SdDnsResolver *
sd_dns_resolver_new_from_resolv_conf (const char *path, GError **error)
{
  g_autoptr(SdDnsResolver) self = g_object_new (SD_TYPE_DNS_RESOLVER, NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      /* glibc asks the local host when the file is missing. */
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  else
    lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines != NULL && lines[i] != NULL && self->servers->len < MAX_SERVERS; i++)
    {
      g_auto(GStrv) words = NULL;
      char *line = g_strstrip (lines[i]);
      g_autoptr(GInetAddress) address = NULL;
      char *percent;

      if (!g_str_has_prefix (line, "nameserver"))
        continue;
      words = g_strsplit_set (line, " \t", -1);
      {
        guint n = 0;
        for (guint j = 0; words[j] != NULL; j++)
          if (*words[j] != '\0')
            words[n++] = words[j];
          else
            g_free (words[j]);
        words[n] = NULL;
        if (n < 2 || !g_str_equal (words[0], "nameserver"))
          continue;
      }
      percent = strchr (words[1], '%');   /* fe80::1%eth0: the scope is not kept */
      if (percent != NULL)
        *percent = '\0';
      address = g_inet_address_new_from_string (words[1]);
      if (address != NULL)
        add_server (self, address, 53);
    }

  if (self->servers->len == 0)
    {
      g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      add_server (self, loopback, 53);
    }
  seal_servers (self);
  self->description = g_strdup ("system");
  self->is_system = TRUE;
  return g_steal_pointer (&self);
}

SdDnsResolver *
sd_dns_resolver_new_system (GError **error)
{
  return sd_dns_resolver_new_from_resolv_conf ("/etc/resolv.conf", error);
}

const char *
sd_dns_resolver_get_description (SdDnsResolver *self)
{
  g_return_val_if_fail (SD_IS_DNS_RESOLVER (self), NULL);
  return self->description;
}

gboolean
sd_dns_resolver_is_system (SdDnsResolver *self)
{
  g_return_val_if_fail (SD_IS_DNS_RESOLVER (self), FALSE);
  return self->is_system;
}

const char * const *
sd_dns_resolver_get_servers (SdDnsResolver *self)
{
  g_return_val_if_fail (SD_IS_DNS_RESOLVER (self), NULL);
  return (const char * const *) self->server_strs;
}

/* ---- one query ---------------------------------------------------------- */

typedef struct {
  SdDnsResolver *resolver;
  GTask         *task;          /* our own reference while running */
  char          *name;
  guint16        type;
  guint16        id;
  GBytes        *query;
  gint64         start_us;
  gint64         deadline_us;
  guint          slice_ms;
  guint          server_index;
  guint          attempt;       /* bumped for each server tried */
  GSocket       *udp;
  GSource       *udp_source;
  GSource       *timer;         /* fires when attempt_cancel's deadline does */
  GSource       *resend;
  guint          resends;
  GSource       *cancel_source;
  GCancellable  *attempt_cancel; /* the current attempt's SdDeadline (its slice) */
  GSocketConnection *conn;
  guint8         tcp_len[2];
  guint8        *tcp_buf;
  guint8        *udp_buf;
  SdDnsResult   *pending;       /* SERVFAIL/REFUSED kept while another server is asked */
  gboolean       on_tcp;        /* the current attempt went on over TCP */
  gboolean       done;
} QueryOp;

typedef struct {
  GTask *task;
  guint  attempt;
} TcpCall;

static void start_attempt (QueryOp *op);

static void
teardown_attempt (QueryOp *op)
{
  if (op->udp_source != NULL)
    {
      g_source_destroy (op->udp_source);
      g_clear_pointer (&op->udp_source, g_source_unref);
    }
  if (op->timer != NULL)
    {
      g_source_destroy (op->timer);
      g_clear_pointer (&op->timer, g_source_unref);
    }
  if (op->resend != NULL)
    {
      g_source_destroy (op->resend);
      g_clear_pointer (&op->resend, g_source_unref);
    }
  if (op->udp != NULL)
    {
      g_socket_close (op->udp, NULL);
      g_clear_object (&op->udp);
    }
  if (op->attempt_cancel != NULL)
    {
      g_cancellable_cancel (op->attempt_cancel);
      g_clear_object (&op->attempt_cancel);
    }
  if (op->conn != NULL)
    {
      g_io_stream_close (G_IO_STREAM (op->conn), NULL, NULL);
      g_clear_object (&op->conn);
    }
  g_clear_pointer (&op->tcp_buf, g_free);
}

static void
query_op_free (QueryOp *op)
{
  teardown_attempt (op);
  if (op->cancel_source != NULL)
    {
      g_source_destroy (op->cancel_source);
      g_source_unref (op->cancel_source);
    }
  g_clear_object (&op->resolver);
  g_free (op->name);
  g_clear_pointer (&op->query, g_bytes_unref);
  g_free (op->udp_buf);
  g_clear_pointer (&op->pending, sd_dns_result_free);
  g_free (op);
}

static double
elapsed_ms (QueryOp *op)
{
  return (double) (g_get_monotonic_time () - op->start_us) / 1000.0;
}

static const char *
current_server (QueryOp *op)
{
  return op->resolver->server_strs[MIN (op->server_index, op->resolver->servers->len - 1)];
}

/* The report's word for an outcome; the engine branches on the enum. */
static const char *
outcome_rcode (SdDnsOutcome outcome, guint rcode)
{
  switch (outcome)
    {
    case SD_DNS_OUTCOME_ANSWER:      return sd_dns_rcode_to_string (rcode);
    case SD_DNS_OUTCOME_TIMEOUT:     return "TIMEOUT";
    case SD_DNS_OUTCOME_LOCAL:       return "LOCAL";
    case SD_DNS_OUTCOME_UNREACHABLE:
    case SD_DNS_OUTCOME_ERROR:
    default:                         return "ERROR";
    }
}

static SdDnsResult *
new_result (QueryOp *op, SdDnsOutcome outcome, guint rcode, char *error)
{
  SdDnsResult *r = g_new0 (SdDnsResult, 1);

  r->name = g_strdup (op->name);
  r->type = op->type;
  r->server = g_strdup (current_server (op));
  r->outcome = outcome;
  r->rcode_value = outcome == SD_DNS_OUTCOME_ANSWER ? rcode : 0;
  r->rcode = g_strdup (outcome_rcode (outcome, rcode));
  r->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_dns_record_free);
  r->duration_ms = elapsed_ms (op);
  r->error = error;
  return r;
}

/* Ends the query with @result (owned). Nothing of @op may be used after. */
static void
finish (QueryOp *op, SdDnsResult *result)
{
  GTask *task = op->task;

  op->done = TRUE;
  teardown_attempt (op);
  g_task_return_pointer (task, result, (GDestroyNotify) sd_dns_result_free);
  op->task = NULL;
  g_object_unref (task);
}

static gboolean
more_servers (QueryOp *op)
{
  return op->server_index + 1 < op->resolver->servers->len
         && g_get_monotonic_time () < op->deadline_us;
}

/* A result from the current server: keep going with the next server when
 * this one could not help, else finish. */
static void
attempt_result (QueryOp *op, SdDnsResult *result)
{
  gboolean retry = result->outcome == SD_DNS_OUTCOME_ERROR
                   || result->outcome == SD_DNS_OUTCOME_UNREACHABLE
                   || (result->outcome == SD_DNS_OUTCOME_ANSWER
                       && (result->rcode_value == SD_DNS_RCODE_SERVFAIL
                           || result->rcode_value == SD_DNS_RCODE_REFUSED));

  if (retry && more_servers (op))
    {
      g_clear_pointer (&op->pending, sd_dns_result_free);
      op->pending = result;
      op->server_index++;
      start_attempt (op);
      return;
    }
  finish (op, result);
}

static void
attempt_error_outcome (QueryOp *op, SdDnsOutcome outcome, const char *what, const char *detail)
{
  /* TRANSLATORS: "Asking 127.0.0.1:53 failed: Connection refused" */
  attempt_result (op, new_result (op, outcome, 0,
                                  g_strdup_printf (_("%s %s failed: %s"), what,
                                                   current_server (op), detail)));
}

static void
attempt_error (QueryOp *op, const char *what, const char *detail)
{
  attempt_error_outcome (op, SD_DNS_OUTCOME_ERROR, what, detail);
}

/* This computer's own shortage (too many open files, no memory) says
 * nothing about the server: rcode LOCAL, and no other server is tried, as
 * it would fail the same way. Anything else is the server's (ERROR). */
static void
attempt_failed (QueryOp *op, const char *what, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    {
      /* TRANSLATORS: "Asking 127.0.0.1:53 failed on this computer: Too many open files" */
      finish (op, new_result (op, SD_DNS_OUTCOME_LOCAL, 0, g_strdup_printf (_("%s %s failed on this computer: %s"), what,
                                                            current_server (op), error->message)));
      return;
    }
  attempt_error (op, what, error->message);
}

static void
handle_message (QueryOp *op, SdDnsMessage *msg, gboolean used_tcp)
{
  SdDnsResult *r = new_result (op, SD_DNS_OUTCOME_ANSWER, msg->rcode, NULL);

  r->used_tcp = used_tcp;
  g_ptr_array_extend_and_steal (r->answers, g_steal_pointer (&msg->answers));
  msg->answers = g_ptr_array_new ();
  if (msg->rcode == SD_DNS_RCODE_NXDOMAIN)
    r->error = g_strdup_printf (_("%s does not exist (NXDOMAIN from %s)."), op->name, r->server);
  else if (msg->rcode == SD_DNS_RCODE_SERVFAIL)
    r->error = g_strdup_printf (_("The DNS server %s failed to answer (SERVFAIL)."), r->server);
  else if (msg->rcode == SD_DNS_RCODE_REFUSED)
    r->error = g_strdup_printf (_("The DNS server %s refused to answer (REFUSED)."), r->server);
  else if (msg->rcode != SD_DNS_RCODE_NOERROR)
    r->error = g_strdup_printf (_("The DNS server %s answered with error %s."), r->server,
                                sd_dns_rcode_to_string (msg->rcode));
  attempt_result (op, r);
}

static gboolean
question_matches (QueryOp *op, SdDnsMessage *msg)
{
  return msg->qdcount == 1 && sd_dns_name_equal (msg->qname, op->name) && msg->qtype == op->type;
}

/* ---- TCP, after a truncated UDP answer ----------------------------------- */

static TcpCall *
tcp_call_new (QueryOp *op)
{
  TcpCall *call = g_new (TcpCall, 1);

  call->task = g_object_ref (op->task);
  call->attempt = op->attempt;
  return call;
}

/* Returns the op if this callback still belongs to the running attempt;
 * frees @call either way. */
static QueryOp *
tcp_call_take (TcpCall *call, GError *error)
{
  GTask *task = call->task;
  QueryOp *op = g_task_get_task_data (task);
  gboolean current = !op->done && op->attempt == call->attempt
                     && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_free (call);
  /* The op lives as long as its task; the running op holds its own ref. */
  g_object_unref (task);
  return current ? op : NULL;
}

static void
tcp_body_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  gsize n = 0;
  gboolean ok = g_input_stream_read_all_finish (G_INPUT_STREAM (source), res, &n, &error);
  QueryOp *op = tcp_call_take (user_data, error);
  gsize want;
  g_autoptr(SdDnsMessage) msg = NULL;

  if (op == NULL)
    return;
  want = ((gsize) op->tcp_len[0] << 8) | op->tcp_len[1];
  if (!ok || n != want)
    {
      attempt_error (op, _("Reading the TCP answer of"),
                     error != NULL ? error->message : _("the connection closed early"));
      return;
    }
  msg = sd_dns_message_parse (op->tcp_buf, n, &error);
  if (msg == NULL || msg->id != op->id || !question_matches (op, msg))
    {
      attempt_result (op, new_result (op, SD_DNS_OUTCOME_ERROR, 0,
                                      g_strdup_printf (_("The answer from %s is malformed: %s."),
                                                       current_server (op),
                                                       error != NULL ? error->message
                                                                     : _("it does not match the question"))));
      return;
    }
  handle_message (op, msg, TRUE);
}

static void
tcp_len_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  gsize n = 0;
  gboolean ok = g_input_stream_read_all_finish (G_INPUT_STREAM (source), res, &n, &error);
  QueryOp *op = tcp_call_take (user_data, error);
  gsize want;

  if (op == NULL)
    return;
  if (!ok || n != 2)
    {
      attempt_error (op, _("Reading the TCP answer of"),
                     error != NULL ? error->message : _("the connection closed early"));
      return;
    }
  want = ((gsize) op->tcp_len[0] << 8) | op->tcp_len[1];
  g_free (op->tcp_buf);   /* the query just written */
  op->tcp_buf = g_malloc (MAX (want, 1));
  g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (op->conn)),
                                 op->tcp_buf, want, G_PRIORITY_DEFAULT, op->attempt_cancel,
                                 tcp_body_cb, tcp_call_new (op));
}

static void
tcp_written_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, NULL, &error);
  QueryOp *op = tcp_call_take (user_data, error);

  if (op == NULL)
    return;
  if (!ok)
    {
      attempt_error (op, _("Sending the TCP query to"), error->message);
      return;
    }
  g_input_stream_read_all_async (g_io_stream_get_input_stream (G_IO_STREAM (op->conn)),
                                 op->tcp_len, 2, G_PRIORITY_DEFAULT, op->attempt_cancel,
                                 tcp_len_cb, tcp_call_new (op));
}

static void
tcp_connected_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), res, &error);
  QueryOp *op = tcp_call_take (user_data, error);
  gsize qlen;
  const guint8 *q;

  if (op == NULL)
    {
      g_clear_object (&conn);
      return;
    }
  if (conn == NULL)
    {
      attempt_failed (op, _("Connecting over TCP to"), error);
      return;
    }
  op->conn = conn;
  q = g_bytes_get_data (op->query, &qlen);
  op->tcp_buf = g_malloc (qlen + 2);
  op->tcp_buf[0] = (guint8) (qlen >> 8);
  op->tcp_buf[1] = (guint8) (qlen & 0xff);
  memcpy (op->tcp_buf + 2, q, qlen);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                   op->tcp_buf, qlen + 2, G_PRIORITY_DEFAULT, op->attempt_cancel,
                                   tcp_written_cb, tcp_call_new (op));
}

static void
start_tcp (QueryOp *op)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  GSocketAddress *server = op->resolver->servers->pdata[op->server_index];

  /* DNS goes to the server itself, never through a desktop's proxy. */
  g_socket_client_set_enable_proxy (client, FALSE);

  /* Stop listening on UDP; the timer keeps running. */
  if (op->udp_source != NULL)
    {
      g_source_destroy (op->udp_source);
      g_clear_pointer (&op->udp_source, g_source_unref);
    }
  g_clear_pointer (&op->tcp_buf, g_free);
  op->on_tcp = TRUE;
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (server), op->attempt_cancel,
                                 tcp_connected_cb, tcp_call_new (op));
}

/* ---- UDP ----------------------------------------------------------------- */

static gboolean
udp_readable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  QueryOp *op = user_data;
  GInetSocketAddress *server = op->resolver->servers->pdata[op->server_index];

  /* Bounded: a flood of foreign datagrams cannot keep us here forever. */
  for (guint i = 0; i < 64; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocketAddress) from = NULL;
      g_autoptr(SdDnsMessage) msg = NULL;
      gssize n;
      guint16 id;
      gboolean is_response;

      n = g_socket_receive_from (socket, &from, (char *) op->udp_buf, MAX_UDP, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        {
          attempt_error_outcome (op, SD_DNS_OUTCOME_UNREACHABLE, _("Asking"),
                                 _("nothing listens on that port (ICMP port unreachable)"));
          return G_SOURCE_REMOVE;
        }
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
          attempt_error (op, _("Asking"), error->message);
          return G_SOURCE_REMOVE;
        }
      if (!G_IS_INET_SOCKET_ADDRESS (from)
          || g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (from))
             != g_inet_socket_address_get_port (server)
          || !g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from)),
                                    g_inet_socket_address_get_address (server)))
        continue;
      if (!sd_dns_peek_header (op->udp_buf, (gsize) n, &id, &is_response)
          || id != op->id || !is_response)
        continue;
      msg = sd_dns_message_parse (op->udp_buf, (gsize) n, &error);
      if (msg == NULL)
        {
          attempt_result (op, new_result (op, SD_DNS_OUTCOME_ERROR, 0,
                                          g_strdup_printf (_("The answer from %s is malformed: %s."),
                                                           current_server (op), error->message)));
          return G_SOURCE_REMOVE;
        }
      if (msg->truncated)
        {
          start_tcp (op);
          return G_SOURCE_REMOVE;
        }
      if (!question_matches (op, msg))
        continue;
      handle_message (op, msg, FALSE);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_cb (GCancellable *deadline, gpointer user_data)
{
  QueryOp *op = user_data;

  g_clear_pointer (&op->timer, g_source_unref);
  /* Only the deadline gets here: teardown_attempt() destroys this source
   * before it cancels the attempt itself. */
  if (more_servers (op))
    {
      op->server_index++;
      start_attempt (op);
      return G_SOURCE_REMOVE;
    }
  if (op->pending != NULL)
    {
      SdDnsResult *r = g_steal_pointer (&op->pending);
      r->duration_ms = elapsed_ms (op);
      finish (op, r);
      return G_SOURCE_REMOVE;
    }
  {
    SdDnsResult *r = new_result (op, SD_DNS_OUTCOME_TIMEOUT, 0,
                                 g_strdup_printf (_("No answer from %s within %.1f s."),
                                                  op->resolver->servers->len > 1 ? _("any DNS server")
                                                                                 : current_server (op),
                                                  (double) (op->deadline_us - op->start_us) / G_USEC_PER_SEC));
    /* A truncated answer sent the question to TCP, where it ran out of time. */
    r->used_tcp = op->on_tcp;
    finish (op, r);
  }
  return G_SOURCE_REMOVE;
}

/* UDP may lose a datagram: ask again, as stub resolvers do, with the same
 * ID, so the first answer to any copy counts. */
static gboolean
resend_cb (gpointer user_data)
{
  QueryOp *op = user_data;
  gsize qlen;
  const guint8 *q = g_bytes_get_data (op->query, &qlen);

  if (op->udp == NULL || op->udp_source == NULL || ++op->resends > MAX_RESENDS)
    {
      g_clear_pointer (&op->resend, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  g_socket_send (op->udp, (const char *) q, qlen, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
start_attempt (QueryOp *op)
{
  GInetSocketAddress *server = op->resolver->servers->pdata[op->server_index];
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_monotonic_time ();
  gint64 end = MIN (op->deadline_us, now + (gint64) op->slice_ms * 1000);
  gsize qlen;
  const guint8 *q = g_bytes_get_data (op->query, &qlen);
  gssize sent;

  teardown_attempt (op);
  op->attempt++;
  op->on_tcp = FALSE;

  /* The last server gets whatever time is left. The deadline also bounds
   * a TCP retry, however slowly its server trickles the answer. */
  if (op->server_index + 1 >= op->resolver->servers->len)
    end = op->deadline_us;
  op->attempt_cancel = G_CANCELLABLE (sd_deadline_new ((guint) MAX (1, (end - now + 999) / 1000), NULL));
  op->timer = g_cancellable_source_new (op->attempt_cancel);
  g_source_set_callback (op->timer, G_SOURCE_FUNC (timer_cb), op, NULL);
  g_source_attach (op->timer, g_task_get_context (op->task));

  op->udp = g_socket_new (g_socket_address_get_family (G_SOCKET_ADDRESS (server)),
                          G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  if (op->udp == NULL)
    {
      attempt_failed (op, _("Asking"), error);
      return;
    }
  g_socket_set_blocking (op->udp, FALSE);
  /* Connected: the kernel then drops datagrams from anyone else, and an
   * ICMP "port unreachable" comes back as an error at once instead of a
   * silent wait for the timeout. */
  if (!g_socket_connect (op->udp, G_SOCKET_ADDRESS (server), NULL, &error))
    {
      attempt_failed (op, _("Asking"), error);
      return;
    }
  sent = g_socket_send (op->udp, (const char *) q, qlen, NULL, &error);
  if (sent < 0)
    {
      attempt_failed (op, _("Asking"), error);
      return;
    }
  op->resends = 0;
  op->resend = g_timeout_source_new (RESEND_MS);
  g_source_set_callback (op->resend, resend_cb, op, NULL);
  g_source_attach (op->resend, g_task_get_context (op->task));
  op->udp_source = g_socket_create_source (op->udp, G_IO_IN, NULL);
  g_source_set_callback (op->udp_source, G_SOURCE_FUNC (udp_readable_cb), op, NULL);
  g_source_attach (op->udp_source, g_task_get_context (op->task));
}

static gboolean
cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  QueryOp *op = user_data;
  GTask *task = op->task;

  if (op->done)
    return G_SOURCE_REMOVE;
  op->done = TRUE;
  teardown_attempt (op);
  g_task_return_error_if_cancelled (task);
  op->task = NULL;
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

void
sd_dns_resolver_query_async (SdDnsResolver       *self,
                             const char          *name,
                             guint16              type,
                             guint                timeout_ms,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  QueryOp *op;
  gsize len;

  g_return_if_fail (SD_IS_DNS_RESOLVER (self));
  g_return_if_fail (name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sd_dns_resolver_query_async);

  op = g_new0 (QueryOp, 1);
  op->resolver = g_object_ref (self);
  op->task = g_object_ref (task);
  op->name = g_strdup (name);
  len = strlen (op->name);
  if (len > 1 && op->name[len - 1] == '.')
    op->name[len - 1] = '\0';
  op->type = type;
  op->id = (guint16) sd_random_u32 (65536);
  op->start_us = g_get_monotonic_time ();
  timeout_ms = MAX (timeout_ms, 1);
  op->deadline_us = op->start_us + (gint64) timeout_ms * 1000;
  op->slice_ms = MAX (1, timeout_ms / self->servers->len);
  g_task_set_task_data (task, op, (GDestroyNotify) query_op_free);

  if (g_task_return_error_if_cancelled (task))
    {
      op->done = TRUE;
      g_clear_object (&op->task);
      return;
    }

  op->query = sd_dns_build_query (op->id, op->name, type, &error);
  if (op->query == NULL)
    {
      finish (op, new_result (op, SD_DNS_OUTCOME_ERROR, 0, g_strdup (error->message)));
      return;
    }
  op->udp_buf = g_malloc (MAX_UDP);

  if (cancellable != NULL)
    {
      op->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (op->cancel_source, G_SOURCE_FUNC (cancelled_cb), op, NULL);
      g_source_attach (op->cancel_source, g_task_get_context (task));
    }
  start_attempt (op);
}

SdDnsResult *
sd_dns_resolver_query_finish (SdDnsResolver  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_dns_resolver_query_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- addresses of one host name ------------------------------------------ */

#define MAX_CNAME 8

typedef struct {
  char      *host;
  gint64     deadline_us;
  GPtrArray *found[2];     /* GInetAddress*: A, AAAA */
  guint      pending;
  gboolean   timeout;
  gboolean   server_error;
} HostLookup;

typedef struct {
  GTask   *task;
  guint16  type;
  guint    slot;
  guint    depth;
  char    *name;           /* asked now */
} HostLeg;

static void
host_lookup_free (HostLookup *h)
{
  g_free (h->host);
  for (guint i = 0; i < G_N_ELEMENTS (h->found); i++)
    g_ptr_array_unref (h->found[i]);
  g_free (h);
}

static void host_leg_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
host_leg_ask (HostLeg *leg)
{
  HostLookup *h = g_task_get_task_data (leg->task);
  gint64 left_ms = (h->deadline_us - g_get_monotonic_time ()) / 1000;

  sd_dns_resolver_query_async (g_task_get_source_object (leg->task), leg->name, leg->type,
                               (guint) CLAMP (left_ms, 1, G_MAXINT32),
                               g_task_get_cancellable (leg->task), host_leg_cb, leg);
}

/* The end of the CNAME chain from @name inside one answer. */
static const char *
chain_end (const SdDnsResult *r, const char *name)
{
  const char *cur = name;

  for (guint depth = 0; depth < MAX_CNAME; depth++)
    {
      const char *next = NULL;

      for (guint i = 0; i < r->answers->len && next == NULL; i++)
        {
          const SdDnsRecord *rr = r->answers->pdata[i];
          if (rr->type == SD_DNS_TYPE_CNAME && rr->target != NULL && sd_dns_name_equal (rr->name, cur))
            next = rr->target;
        }
      if (next == NULL)
        break;
      cur = next;
    }
  return cur;
}

static void
host_lookup_complete (GTask *task)
{
  HostLookup *h = g_task_get_task_data (task);
  GPtrArray *all;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (h->found[0]->len + h->found[1]->len == 0)
    {
      if (h->timeout)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                 _("The DNS server did not answer for %s."), h->host);
      else if (h->server_error)
        g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE,
                                 _("The DNS server failed to answer for %s."), h->host);
      else
        g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                                 _("The DNS server has no address for %s."), h->host);
      return;
    }
  all = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint s = 0; s < G_N_ELEMENTS (h->found); s++)
    for (guint i = 0; i < h->found[s]->len; i++)
      g_ptr_array_add (all, g_object_ref (h->found[s]->pdata[i]));
  g_task_return_pointer (task, all, (GDestroyNotify) g_ptr_array_unref);
}

static void
host_leg_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HostLeg *leg = user_data;
  GTask *task = leg->task;
  HostLookup *h = g_task_get_task_data (task);
  g_autoptr(SdDnsResult) r = sd_dns_resolver_query_finish (SD_DNS_RESOLVER (source), result, NULL);

  if (r != NULL && r->outcome == SD_DNS_OUTCOME_TIMEOUT)
    h->timeout = TRUE;
  else if (r != NULL && !sd_dns_result_is_answer (r))
    h->server_error = TRUE;
  else if (r != NULL)
    {
      const char *end = chain_end (r, leg->name);
      gboolean found = FALSE;

      for (guint i = 0; i < r->answers->len; i++)
        {
          const SdDnsRecord *rr = r->answers->pdata[i];
          if (rr->type == leg->type && rr->address != NULL && sd_dns_name_equal (rr->name, end))
            {
              g_ptr_array_add (h->found[leg->slot], g_object_ref (rr->address));
              found = TRUE;
            }
        }
      /* The chain ends in a name this answer has no address for: ask for it. */
      if (!found && !sd_dns_name_equal (end, leg->name) && ++leg->depth < MAX_CNAME
          && !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        {
          char *next = g_strdup (end);
          g_free (leg->name);
          leg->name = next;
          host_leg_ask (leg);
          return;
        }
    }
  /* r == NULL: cancelled; host_lookup_complete says so. */

  g_free (leg->name);
  g_free (leg);
  if (--h->pending == 0)
    host_lookup_complete (task);
  g_object_unref (task);
}

void
sd_dns_resolver_lookup_host_async (SdDnsResolver       *self,
                                   const char          *host,
                                   guint                timeout_ms,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  static const guint16 types[] = { SD_DNS_TYPE_A, SD_DNS_TYPE_AAAA };
  g_autoptr(GTask) task = NULL;
  HostLookup *h;

  g_return_if_fail (SD_IS_DNS_RESOLVER (self));
  g_return_if_fail (host != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sd_dns_resolver_lookup_host_async);
  h = g_new0 (HostLookup, 1);
  h->host = g_strdup (host);
  h->deadline_us = g_get_monotonic_time () + (gint64) MAX (timeout_ms, 1) * 1000;
  for (guint i = 0; i < G_N_ELEMENTS (h->found); i++)
    h->found[i] = g_ptr_array_new_with_free_func (g_object_unref);
  g_task_set_task_data (task, h, (GDestroyNotify) host_lookup_free);

  h->pending = G_N_ELEMENTS (types);
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      HostLeg *leg = g_new0 (HostLeg, 1);

      /* Each leg holds a reference until it ends. */
      leg->task = g_object_ref (task);
      leg->type = types[i];
      leg->slot = i;
      leg->name = g_strdup (host);
      host_leg_ask (leg);
    }
}

GPtrArray *
sd_dns_resolver_lookup_host_finish (SdDnsResolver  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_dns_resolver_lookup_host_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
