/* sd-http.c: the one HTTP client of a run (see sd-http.h for the bounds).
 *
 * libsoup sends and parses; this file decides. Redirects are followed
 * here so that each one is counted, shown and refused when it leaves
 * https; the body is read here in chunks so that a peer cannot make it
 * grow past the cap; the certificate of an HTTPS host is judged by
 * sd_tls_verify () as soon as the handshake ends, before a request byte
 * is sent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-http"

#include <string.h>
#include <libsoup/soup.h>
#include <glib/gi18n-lib.h>
#include "sd-http.h"
#include "sd-http-resolver.h"
#include "sd-deadline.h"
#include "sd-cert-info.h"
#include "sd-run.h"

#define READ_CHUNK 16384

G_DEFINE_QUARK (sd-http-error-quark, sd_http_error)

struct _SdHttpClient {
  GObject         parent_instance;
  SoupSession    *session;
  SdConfig       *config;         /* a copy, or NULL */
  SdDnsResolver  *resolver;       /* or NULL: the system's */
  SdTlsTrustLoader *trust_loader; /* or NULL */
  guint           timeout_ms;
  guint           n_requests;
};

G_DEFINE_FINAL_TYPE (SdHttpClient, sd_http_client, G_TYPE_OBJECT)

typedef struct {
  SdHttpClient   *client;
  char           *method;
  char           *accept;
  char           *content_type;
  GBytes         *request_body;
  gsize           max_body;
  guint           max_redirects;
  SdDeadline     *deadline;
  GCancellable   *parent;         /* the person's, or NULL */
  SoupMessage    *msg;
  GUri           *uri;            /* of @msg */
  GInputStream   *stream;
  GByteArray     *body;
  gint64          start_us;
  gint64          hop_start_us;
  gboolean        judged;         /* this request's host's certificate was judged */
  gboolean        cert_rejected;  /* our checks refused the host's certificate */
  SdHttpResponse *response;
} Fetch;

static void send_next (GTask *task);

void
sd_http_response_free (SdHttpResponse *response)
{
  if (response == NULL)
    return;
  g_clear_error (&response->error);
  g_free (response->reason);
  g_free (response->url);
  g_free (response->content_type);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->hops, g_ptr_array_unref);
  g_clear_pointer (&response->peer_chain, g_ptr_array_unref);
  g_clear_pointer (&response->tls_verdict, sd_tls_verify_result_free);
  g_free (response->tls_host);
  g_free (response);
}

static void
hop_free (SdHttpHop *hop)
{
  g_free (hop->method);
  g_free (hop->url);
  g_free (hop->reason);
  g_free (hop->location);
  g_free (hop);
}

static void
fetch_free (Fetch *f)
{
  if (f->deadline != NULL)
    sd_deadline_stop (f->deadline);
  g_clear_object (&f->deadline);
  g_clear_object (&f->parent);
  g_clear_object (&f->msg);
  g_clear_pointer (&f->uri, g_uri_unref);
  g_clear_object (&f->stream);
  g_clear_pointer (&f->body, g_byte_array_unref);
  g_clear_pointer (&f->request_body, g_bytes_unref);
  g_clear_pointer (&f->response, sd_http_response_free);
  g_clear_object (&f->client);
  g_free (f->method);
  g_free (f->accept);
  g_free (f->content_type);
  g_free (f);
}

static char *
valid_text (const char *text)
{
  return text != NULL ? g_utf8_make_valid (text, -1) : NULL;
}

const char *
sd_http_error_kind (const GError *error)
{
  if (error == NULL)
    return NULL;
  if (error->domain == SD_HTTP_ERROR)
    switch ((SdHttpError) error->code)
      {
      case SD_HTTP_ERROR_BAD_URL: return "bad-url";
      case SD_HTTP_ERROR_TOO_LARGE: return "too-large";
      case SD_HTTP_ERROR_TOO_MANY_REDIRECTS: return "too-many-redirects";
      case SD_HTTP_ERROR_REDIRECT_DOWNGRADE: return "redirect-downgrade";
      case SD_HTTP_ERROR_CERTIFICATE: return "certificate";
      case SD_HTTP_ERROR_PROTOCOL: return "protocol";
      }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return "timeout";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return "refused";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND)
      || error->domain == G_RESOLVER_ERROR)
    return "unreachable";
  /* libsoup's refusals of what a peer sent: headers past its bound, bytes
   * that are not HTTP. */
  if (error->domain == SOUP_SESSION_ERROR || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    return "protocol";
  return "error";
}

static gboolean
verdict_trusted (const SdHttpResponse *r)
{
  const SdTlsVerifyResult *v = r->tls_verdict;

  return v != NULL && r->peer_chain->len > 0 && v->trust_ok && v->name_ok && v->validity_ok;
}

/* The certificate checks of the SIP server, on the chain @peer sent for
 * @host. */
static void
judge_certificate (Fetch *f, GTlsCertificate *peer)
{
  SdHttpResponse *r = f->response;
  const SdConfig *config = f->client->config;
  const char *host = g_uri_get_host (f->uri);
  g_autoptr(GPtrArray) chain = sd_cert_info_chain_from_tls (peer, 16, host);
  SdTlsVerifyInput input = { 0 };

  input.chain = chain;
  input.server_name = host;
  input.name_rule = SD_TLS_NAME_RULE_CONFIGURED_SERVER;
  input.ca_file = config != NULL ? config->ca_file : NULL;
  /* The run's store once its thread has parsed it: no second parse on the
   * main loop; until then (autodiscover can come first) our own. */
  if (f->client->trust_loader != NULL && sd_tls_trust_loader_is_done (f->client->trust_loader))
    input.trust = sd_tls_trust_loader_peek (f->client->trust_loader);
  input.now = g_get_real_time () / G_USEC_PER_SEC;
  input.protocol = G_TLS_PROTOCOL_VERSION_UNKNOWN;
  input.config = config;

  g_clear_pointer (&r->tls_verdict, sd_tls_verify_result_free);
  g_clear_pointer (&r->peer_chain, g_ptr_array_unref);
  g_free (r->tls_host);
  r->tls_host = g_strdup (host);
  r->tls_verdict = sd_tls_verify (&input);
  /* The verdict borrows the chain's certificates: both stay together. */
  r->peer_chain = g_steal_pointer (&chain);
  f->judged = TRUE;
  f->cert_rejected = !verdict_trusted (r);
}

/* glib-networking found a problem with the certificate (its database may
 * not hold the CA file): our checks decide. */
static gboolean
accept_certificate_cb (SoupMessage          *msg,
                       GTlsCertificate      *peer,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Fetch *f = user_data;

  judge_certificate (f, peer);
  return !f->cert_rejected;
}

/* The handshake is over and glib-networking had nothing to say: our
 * checks still run, and a refusal stops the message before its request
 * is written. */
static void
network_event_cb (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  Fetch *f = user_data;

  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKED || !G_IS_TLS_CONNECTION (connection) || f->judged)
    return;
  judge_certificate (f, g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (connection)));
  if (f->cert_rejected)
    g_cancellable_cancel (G_CANCELLABLE (f->deadline));
}

static void
finish_with_error (GTask *task, GError *error)
{
  Fetch *f = g_task_get_task_data (task);
  SdHttpResponse *r = f->response;

  if (f->deadline != NULL)
    sd_deadline_stop (f->deadline);
  r->elapsed_ms = (g_get_monotonic_time () - f->start_us) / 1000.0;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !f->cert_rejected
      && !sd_deadline_expired (f->deadline))
    {
      g_task_return_error (task, error);
      return;
    }
  g_clear_pointer (&r->body, g_bytes_unref);
  r->error = error;
  g_task_return_pointer (task, g_steal_pointer (&f->response), (GDestroyNotify) sd_http_response_free);
}

/* Turns what GIO or libsoup said into the error the caller branches on:
 * the deadline's timeout, our certificate refusal, else as it came. */
static GError *
translate_error (Fetch *f, GError *error)
{
  g_autofree char *url = g_uri_to_string_partial (f->uri, G_URI_HIDE_PASSWORD);

  if (f->cert_rejected)
    {
      g_error_free (error);
      return g_error_new (SD_HTTP_ERROR, SD_HTTP_ERROR_CERTIFICATE,
                          _("The certificate of %s failed the checks a client makes (trust, name, validity)."),
                          g_uri_get_host (f->uri));
    }
  sd_deadline_translate_error (f->deadline, &error, _("No complete answer from %s within %u ms."), url,
                               f->client->timeout_ms);
  return error;
}

static SdHttpHop *
current_hop (Fetch *f)
{
  return f->response->hops->pdata[f->response->hops->len - 1];
}

static void
body_read_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  GTask *task = user_data;
  Fetch *f = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, &error);

  if (chunk == NULL)
    {
      finish_with_error (task, translate_error (f, g_steal_pointer (&error)));
      g_object_unref (task);
      return;
    }
  if (g_bytes_get_size (chunk) == 0)
    {
      SdHttpResponse *r = f->response;

      sd_deadline_stop (f->deadline);
      r->body = g_byte_array_free_to_bytes (g_steal_pointer (&f->body));
      r->elapsed_ms = (g_get_monotonic_time () - f->start_us) / 1000.0;
      g_input_stream_close (f->stream, NULL, NULL);
      g_task_return_pointer (task, g_steal_pointer (&f->response), (GDestroyNotify) sd_http_response_free);
      g_object_unref (task);
      return;
    }
  if (f->body->len + g_bytes_get_size (chunk) > f->max_body)
    {
      g_autofree char *url = g_uri_to_string_partial (f->uri, G_URI_HIDE_PASSWORD);

      finish_with_error (task, g_error_new (SD_HTTP_ERROR, SD_HTTP_ERROR_TOO_LARGE,
                                            _("The answer from %s is larger than %lu bytes; the rest was not read."),
                                            url, (gulong) f->max_body));
      g_object_unref (task);
      return;
    }
  g_byte_array_append (f->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
  g_input_stream_read_bytes_async (f->stream, MIN (READ_CHUNK, f->max_body + 1 - f->body->len), G_PRIORITY_DEFAULT,
                                   G_CANCELLABLE (f->deadline), body_read_cb, task);
}

static gboolean
is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static void
send_cb (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  GTask *task = user_data;
  Fetch *f = g_task_get_task_data (task);
  SdHttpResponse *r = f->response;
  SdHttpHop *hop = current_hop (f);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  const char *location;
  goffset length;

  f->stream = soup_session_send_finish (SOUP_SESSION (source), res, &error);
  hop->elapsed_ms = (g_get_monotonic_time () - f->hop_start_us) / 1000.0;
  if (f->stream == NULL)
    {
      finish_with_error (task, translate_error (f, g_steal_pointer (&error)));
      g_object_unref (task);
      return;
    }

  if (g_strcmp0 (g_uri_get_scheme (f->uri), "https") == 0 && !f->judged)
    {
      /* A kept-alive connection: no handshake this time, the same checks. */
      GTlsCertificate *peer = soup_message_get_tls_peer_certificate (f->msg);

      if (peer != NULL)
        judge_certificate (f, peer);
      else
        f->cert_rejected = TRUE;
      if (f->cert_rejected)
        {
          finish_with_error (task, translate_error (f, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "")));
          g_object_unref (task);
          return;
        }
    }

  hop->status = soup_message_get_status (f->msg);
  hop->reason = valid_text (soup_message_get_reason_phrase (f->msg));
  headers = soup_message_get_response_headers (f->msg);
  r->status = hop->status;
  g_free (r->reason);
  r->reason = g_strdup (hop->reason);
  g_free (r->content_type);
  r->content_type = valid_text (soup_message_headers_get_content_type (headers, NULL));

  location = soup_message_headers_get_one (headers, "Location");
  if (is_redirect (hop->status) && location != NULL)
    {
      g_autoptr(GUri) next = NULL;
      g_autofree char *from = g_uri_to_string_partial (f->uri, G_URI_HIDE_PASSWORD);

      hop->location = valid_text (location);
      g_input_stream_close (f->stream, NULL, NULL);
      g_clear_object (&f->stream);
      next = g_uri_parse_relative (f->uri, location, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
      if (next == NULL || g_uri_get_host (next) == NULL
          || (g_strcmp0 (g_uri_get_scheme (next), "http") != 0 && g_strcmp0 (g_uri_get_scheme (next), "https") != 0))
        {
          finish_with_error (task, g_error_new (SD_HTTP_ERROR, SD_HTTP_ERROR_BAD_URL,
                                                _("%s redirected to “%s”, which is not an http or https URL."),
                                                from, hop->location));
          g_object_unref (task);
          return;
        }
      if (g_strcmp0 (g_uri_get_scheme (f->uri), "https") == 0 && g_strcmp0 (g_uri_get_scheme (next), "http") == 0)
        {
          finish_with_error (task, g_error_new (SD_HTTP_ERROR, SD_HTTP_ERROR_REDIRECT_DOWNGRADE,
                                                _("%s redirected to %s: from https to plain http, which this "
                                                  "program does not follow."), from, hop->location));
          g_object_unref (task);
          return;
        }
      if (r->hops->len > f->max_redirects)
        {
          finish_with_error (task, g_error_new (SD_HTTP_ERROR, SD_HTTP_ERROR_TOO_MANY_REDIRECTS,
                                                _("More than %u redirects, the last from %s: a redirect loop."),
                                                f->max_redirects, from));
          g_object_unref (task);
          return;
        }
      if (hop->status == 303 || ((hop->status == 301 || hop->status == 302) && g_strcmp0 (f->method, "POST") == 0))
        {
          g_free (f->method);
          f->method = g_strdup ("GET");
          g_clear_pointer (&f->request_body, g_bytes_unref);
        }
      g_clear_pointer (&f->uri, g_uri_unref);
      f->uri = g_steal_pointer (&next);
      send_next (task);
      return;
    }

  length = soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
           ? soup_message_headers_get_content_length (headers) : -1;
  if (length > 0 && (guint64) length > f->max_body)
    {
      g_autofree char *url = g_uri_to_string_partial (f->uri, G_URI_HIDE_PASSWORD);

      g_input_stream_close (f->stream, NULL, NULL);
      finish_with_error (task, g_error_new (SD_HTTP_ERROR, SD_HTTP_ERROR_TOO_LARGE,
                                            _("The answer from %s announces %lld bytes, more than "
                                              "the %lu this program reads."),
                                            url, (long long) length, (gulong) f->max_body));
      g_object_unref (task);
      return;
    }
  f->body = g_byte_array_new ();
  g_input_stream_read_bytes_async (f->stream, MIN (READ_CHUNK, f->max_body + 1), G_PRIORITY_DEFAULT,
                                   G_CANCELLABLE (f->deadline), body_read_cb, task);
}

static void
send_next (GTask *task)
{
  Fetch *f = g_task_get_task_data (task);
  SdHttpResponse *r = f->response;
  SdHttpHop *hop = g_new0 (SdHttpHop, 1);
  g_autofree char *url = g_uri_to_string_partial (f->uri, G_URI_HIDE_PASSWORD);
  SoupMessageHeaders *headers;

  g_clear_object (&f->msg);
  f->msg = soup_message_new_from_uri (f->method, f->uri);
  soup_message_add_flags (f->msg, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (f->msg);
  if (f->accept != NULL)
    soup_message_headers_replace (headers, "Accept", f->accept);
  if (f->request_body != NULL)
    soup_message_set_request_body_from_bytes (f->msg, f->content_type, f->request_body);
  g_signal_connect (f->msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), f);
  g_signal_connect (f->msg, "network-event", G_CALLBACK (network_event_cb), f);

  /* Each host's chain is its own: a redirect to another host is judged again. */
  g_clear_pointer (&r->tls_verdict, sd_tls_verify_result_free);
  g_clear_pointer (&r->peer_chain, g_ptr_array_unref);
  g_clear_pointer (&r->tls_host, g_free);
  f->cert_rejected = FALSE;
  f->judged = FALSE;

  hop->method = g_strdup (f->method);
  hop->url = valid_text (url);
  g_ptr_array_add (r->hops, hop);
  g_free (r->url);
  r->url = g_strdup (hop->url);
  f->client->n_requests++;
  f->hop_start_us = g_get_monotonic_time ();
  g_debug ("%s %s", f->method, hop->url);
  soup_session_send_async (f->client->session, f->msg, G_PRIORITY_DEFAULT, G_CANCELLABLE (f->deadline), send_cb,
                           task);
}

static void
resolved_cb (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  GTask *task = user_data;
  Fetch *f = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) addresses = sd_dns_resolver_lookup_host_finish (SD_DNS_RESOLVER (source), res, &error);

  if (addresses == NULL)
    {
      SdHttpHop *hop = g_new0 (SdHttpHop, 1);
      g_autofree char *url = g_uri_to_string_partial (f->uri, G_URI_HIDE_PASSWORD);

      hop->method = g_strdup (f->method);
      hop->url = valid_text (url);
      g_ptr_array_add (f->response->hops, hop);
      finish_with_error (task, translate_error (f, g_steal_pointer (&error)));
      g_object_unref (task);
      return;
    }
  sd_http_resolver_add (g_uri_get_host (f->uri), addresses);
  send_next (task);
}

/* With a resolver of the run's, names are looked up through it first, and
 * libsoup finds the answer there (sd-http-resolver.h). */
static void
resolve_then_send (GTask *task)
{
  Fetch *f = g_task_get_task_data (task);
  const char *host = g_uri_get_host (f->uri);
  g_autoptr(GInetAddress) literal = g_inet_address_new_from_string (host);

  if (f->client->resolver == NULL || literal != NULL || host[0] == '[')
    {
      send_next (task);
      return;
    }
  sd_dns_resolver_lookup_host_async (f->client->resolver, host, MAX (sd_deadline_remaining_ms (f->deadline), 1),
                                     G_CANCELLABLE (f->deadline), resolved_cb, task);
}

/* What libsoup makes on the calling thread, the main loop, at its first
 * fetch, once per process: the desktop's proxy resolver (GIO modules,
 * GSettings, libproxy: 12-26 ms), and, for https, glib-networking's default
 * TLS database (it parses the whole system trust store: 20-40 ms; libsoup
 * gives each connection no database at construction, so glib-networking
 * takes its default one even with the session's tls-database set). A
 * thread makes them; the fetches that need them wait for that thread
 * instead of the main loop blocking. */
typedef enum {
  WARM_PROXY = 1 << 0,
  WARM_TLS   = 1 << 1,
} Warm;

typedef struct {
  GTask *wait;   /* returned once @needs are made */
  guint  needs;
} Waiter;

static GMutex warm_lock;
static guint warm_made;      /* Warm bits */
static gboolean warm_running;
static GPtrArray *warm_waiters;  /* Waiter* */

static void
waiter_free (Waiter *w)
{
  g_clear_object (&w->wait);
  g_free (w);
}

/* With warm_lock held: returns the waiters whose needs are all made. */
static GPtrArray *
take_satisfied (void)
{
  GPtrArray *ready = g_ptr_array_new_with_free_func ((GDestroyNotify) waiter_free);

  for (guint i = 0; warm_waiters != NULL && i < warm_waiters->len;)
    {
      Waiter *w = warm_waiters->pdata[i];
      if ((w->needs & ~warm_made) == 0)
        g_ptr_array_add (ready, g_ptr_array_steal_index (warm_waiters, i));
      else
        i++;
    }
  return ready;
}

static void
release (GPtrArray *ready)
{
  /* Each waiter's callback runs on the main context it was made on. */
  for (guint i = 0; i < ready->len; i++)
    g_task_return_boolean (((Waiter *) ready->pdata[i])->wait, TRUE);
  g_ptr_array_unref (ready);
}

static void
warm_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  for (;;)
    {
      guint needed = 0;
      Warm next;
      GPtrArray *ready;

      g_mutex_lock (&warm_lock);
      for (guint i = 0; warm_waiters != NULL && i < warm_waiters->len; i++)
        needed |= ((Waiter *) warm_waiters->pdata[i])->needs;
      needed &= ~warm_made;
      if (needed == 0)
        {
          warm_running = FALSE;
          g_mutex_unlock (&warm_lock);
          break;
        }
      g_mutex_unlock (&warm_lock);

      /* The proxy resolver first: every fetch needs it. */
      next = (needed & WARM_PROXY) ? WARM_PROXY : WARM_TLS;
      if (next == WARM_PROXY)
        (void) g_proxy_resolver_get_default ();
      else
        {
          g_autoptr(GTlsDatabase) db = g_tls_backend_get_default_database (g_tls_backend_get_default ());
        }
      g_mutex_lock (&warm_lock);
      warm_made |= next;
      ready = take_satisfied ();
      g_mutex_unlock (&warm_lock);
      release (ready);
    }
  g_task_return_boolean (task, TRUE);
}

static void
warmed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  resolve_then_send (user_data);
}

static void
when_warm (GTask *task)
{
  Fetch *f = g_task_get_task_data (task);
  guint needs = WARM_PROXY | (g_strcmp0 (g_uri_get_scheme (f->uri), "https") == 0 ? WARM_TLS : 0);
  gboolean start = FALSE;
  gboolean ready;

  g_mutex_lock (&warm_lock);
  ready = (needs & ~warm_made) == 0;
  if (!ready)
    {
      Waiter *w = g_new0 (Waiter, 1);

      w->wait = g_task_new (NULL, NULL, warmed_cb, task);
      w->needs = needs;
      if (warm_waiters == NULL)
        warm_waiters = g_ptr_array_new_with_free_func ((GDestroyNotify) waiter_free);
      g_ptr_array_add (warm_waiters, w);
      start = !warm_running;
      warm_running = TRUE;
    }
  g_mutex_unlock (&warm_lock);
  if (start)
    {
      g_autoptr(GTask) maker = g_task_new (NULL, NULL, NULL, NULL);
      g_task_run_in_thread (maker, warm_thread);
    }
  else if (ready)
    resolve_then_send (task);
}

void
sd_http_client_fetch_async (SdHttpClient        *self,
                            const SdHttpRequest *request,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;
  Fetch *f;
  g_autoptr(GError) error = NULL;
  guint timeout_ms;

  g_return_if_fail (SD_IS_HTTP_CLIENT (self));
  g_return_if_fail (request != NULL && request->url != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sd_http_client_fetch_async);
  f = g_new0 (Fetch, 1);
  f->client = g_object_ref (self);
  f->method = g_strdup (request->method != NULL ? request->method : "GET");
  f->accept = g_strdup (request->accept);
  f->content_type = g_strdup (request->content_type);
  f->request_body = request->body != NULL ? g_bytes_ref (request->body) : NULL;
  f->max_body = request->max_body != 0 ? request->max_body : SD_HTTP_DEFAULT_MAX_BODY;
  f->max_redirects = request->max_redirects == G_MAXUINT ? 0
                     : request->max_redirects != 0 ? MIN (request->max_redirects, SD_HTTP_MAX_REDIRECTS_LIMIT)
                     : SD_HTTP_DEFAULT_MAX_REDIRECTS;
  f->response = g_new0 (SdHttpResponse, 1);
  f->response->hops = g_ptr_array_new_with_free_func ((GDestroyNotify) hop_free);
  f->start_us = g_get_monotonic_time ();
  if (cancellable != NULL)
    f->parent = g_object_ref (cancellable);
  timeout_ms = request->timeout_ms != 0 ? request->timeout_ms : self->timeout_ms;
  f->deadline = sd_deadline_new (timeout_ms, cancellable);
  g_task_set_task_data (task, f, (GDestroyNotify) fetch_free);

  f->uri = g_uri_parse (request->url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, &error);
  if (f->uri == NULL || g_uri_get_host (f->uri) == NULL || *g_uri_get_host (f->uri) == '\0'
      || (g_strcmp0 (g_uri_get_scheme (f->uri), "http") != 0 && g_strcmp0 (g_uri_get_scheme (f->uri), "https") != 0))
    {
      g_autofree char *shown = valid_text (request->url);

      f->response->url = g_strdup (shown);
      finish_with_error (task, g_error_new (SD_HTTP_ERROR, SD_HTTP_ERROR_BAD_URL,
                                            _("“%s” is not an http or https URL."), shown));
      g_object_unref (task);
      return;
    }
  when_warm (task);
}

SdHttpResponse *
sd_http_client_fetch_finish (SdHttpClient  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_http_client_fetch_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

guint
sd_http_client_get_n_requests (SdHttpClient *self)
{
  g_return_val_if_fail (SD_IS_HTTP_CLIENT (self), 0);
  return self->n_requests;
}

JsonObject *
sd_http_response_to_json (const SdHttpRequest *request, const SdHttpResponse *response)
{
  JsonObject *o = json_object_new ();
  JsonArray *hops = json_array_new ();

  json_object_set_string_member (o, "method", request->method != NULL ? request->method : "GET");
  json_object_set_string_member (o, "url", response->hops->len > 0
                                 ? ((SdHttpHop *) response->hops->pdata[0])->url : response->url);
  if (response->status != 0)
    json_object_set_int_member (o, "status", response->status);
  else
    json_object_set_null_member (o, "status");
  if (response->reason != NULL)
    json_object_set_string_member (o, "reason", response->reason);
  if (response->error != NULL)
    {
      json_object_set_string_member (o, "error", response->error->message);
      json_object_set_string_member (o, "error_kind", sd_http_error_kind (response->error));
    }
  else
    json_object_set_null_member (o, "error");
  if (response->content_type != NULL)
    json_object_set_string_member (o, "content_type", response->content_type);
  json_object_set_int_member (o, "bytes", response->body != NULL ? (gint64) g_bytes_get_size (response->body) : 0);
  json_object_set_double_member (o, "elapsed_ms", response->elapsed_ms);
  for (guint i = 0; i < response->hops->len; i++)
    {
      SdHttpHop *hop = response->hops->pdata[i];
      JsonObject *h = json_object_new ();

      json_object_set_string_member (h, "method", hop->method);
      json_object_set_string_member (h, "url", hop->url);
      if (hop->status != 0)
        json_object_set_int_member (h, "status", hop->status);
      else
        json_object_set_null_member (h, "status");
      if (hop->location != NULL)
        json_object_set_string_member (h, "location", hop->location);
      json_object_set_double_member (h, "elapsed_ms", hop->elapsed_ms);
      json_array_add_object_element (hops, h);
    }
  json_object_set_array_member (o, "hops", hops);
  if (response->tls_verdict != NULL)
    {
      JsonObject *tls = json_object_new ();
      JsonArray *chain = json_array_new ();

      json_object_set_string_member (tls, "host", response->tls_host);
      json_object_set_boolean_member (tls, "trusted", verdict_trusted (response));
      for (guint i = 0; i < response->peer_chain->len; i++)
        json_array_add_object_element (chain, sd_cert_info_to_json (response->peer_chain->pdata[i]));
      json_object_set_array_member (tls, "chain", chain);
      json_object_set_array_member (tls, "checks", json_array_ref (response->tls_verdict->checks));
      json_object_set_object_member (o, "tls", tls);
    }
  return o;
}

static void
sd_http_client_finalize (GObject *object)
{
  SdHttpClient *self = SD_HTTP_CLIENT (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_pointer (&self->config, sd_config_free);
  g_clear_pointer (&self->trust_loader, sd_tls_trust_loader_unref);
  g_clear_object (&self->resolver);
  G_OBJECT_CLASS (sd_http_client_parent_class)->finalize (object);
}

static void
sd_http_client_class_init (SdHttpClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sd_http_client_finalize;
}

static void
sd_http_client_init (SdHttpClient *self)
{
}

SdHttpClient *
sd_http_client_new (const SdHttpClientOptions *options)
{
  SdHttpClient *self = g_object_new (SD_TYPE_HTTP_CLIENT, NULL);
  const SdConfig *config = options != NULL ? options->config : NULL;
  g_autofree char *agent = g_strdup_printf ("sip-doctor/%s", PACKAGE_VERSION);

  if (config != NULL)
    {
      /* Nothing here needs the password: do not keep a copy of it. */
      self->config = sd_config_copy (config);
      sd_config_set_password (self->config, NULL);
    }
  if (options != NULL && options->trust_loader != NULL)
    self->trust_loader = sd_tls_trust_loader_ref (options->trust_loader);
  if (options != NULL && options->resolver != NULL)
    {
      self->resolver = g_object_ref (options->resolver);
      sd_http_resolver_install ();
    }
  self->timeout_ms = options != NULL && options->timeout_ms != 0 ? options->timeout_ms
                     : (config != NULL ? MAX (config->timeout_s, 1) : SD_DEFAULT_TIMEOUT_S) * 1000;
  /* libsoup's own timeouts are idle timeouts: the deadline bounds a fetch.
   * Its proxy resolver is the desktop's (g_proxy_resolver_get_default ()),
   * made in a thread before the first fetch (when_warm). */
  self->session = soup_session_new_with_options ("user-agent",
                                                 options != NULL && options->user_agent != NULL
                                                 ? options->user_agent : agent,
                                                 "timeout", 0,
                                                 "idle-timeout", 0,
                                                 "max-conns-per-host", 4,
                                                 NULL);
  return self;
}

SdHttpClient *
sd_http_client_get_for_run (SdRun *run)
{
  SdContext *ctx = sd_run_get_context (run);
  SdHttpClient *client = ctx->http_client;
  const SdConfig *config;
  SdHttpClientOptions options = { 0 };
  g_autoptr(SdDnsResolver) resolver = NULL;

  if (client != NULL)
    return client;
  config = sd_run_get_config (run);
  /* With a --dns-server, the dns step's own DNS client, so every look-up
   * of the run asks that server; without one, the system's resolver as
   * GIO asks it (hosts file and all), as a client on this computer does. */
  if (config->dns_server != NULL && sd_run_get_context (run)->dns_resolver != NULL)
    resolver = g_object_ref (sd_run_get_context (run)->dns_resolver);
  else if (config->dns_server != NULL)
    {
      g_autoptr(GError) error = NULL;

      /* The config was validated: a failure here leaves the system's. */
      resolver = sd_dns_resolver_new_for_server (config->dns_server, &error);
      if (resolver == NULL)
        g_debug ("No resolver for %s: %s", config->dns_server, error->message);
    }
  options.config = config;
  options.resolver = resolver;
  options.trust_loader = ctx->trust_loader;
  client = sd_http_client_new (&options);
  ctx->http_client = client;
  return client;
}
