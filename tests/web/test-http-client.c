/* test-http-client.c: the shared HTTP client against real servers on
 * loopback (tests/lab/sdlab_web.py): every bound holds.
 *
 * Run through `sdlab_web.py exec`, which sets SD_WEB_* to the servers'
 * base URLs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-http-client"

#include <string.h>
#include <json-glib/json-glib.h>
#include "sd-http.h"
#include "sd-deadline.h"
#include <dlfcn.h>
#include "sd-test-gnutls-count.h"

/* Whether the desktop's proxy resolver was first asked for while the main
 * loop ran (GIO makes it then: modules, GSettings, libproxy). Defined here
 * and exported (meson.build), so libsoup's calls reach it; it passes on. */
static gint proxy_calls;
static gint proxy_first_on_main_loop = -1;

GProxyResolver *
g_proxy_resolver_get_default (void)
{
  GProxyResolver *(*real) (void) = (GProxyResolver * (*) (void)) dlsym (RTLD_NEXT, "g_proxy_resolver_get_default");

  if (g_atomic_int_add (&proxy_calls, 1) == 0)
    g_atomic_int_set (&proxy_first_on_main_loop, g_main_context_is_owner (g_main_context_default ()));
  return real ();
}

/* A bound against hanging for ever, far above any timeout used here. */
#define HANG_GUARD_MS 30000

typedef struct {
  SdHttpResponse *response;
  GError         *error;
  gboolean        done;
} Wait;

static void
fetched_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Wait *w = user_data;

  w->response = sd_http_client_fetch_finish (SD_HTTP_CLIENT (source), res, &w->error);
  w->done = TRUE;
}

static gboolean
guard_cb (gpointer user_data)
{
  g_error ("the fetch did not end within %d ms", HANG_GUARD_MS);
  return G_SOURCE_REMOVE;
}

static SdHttpResponse *
fetch (SdHttpClient *client, const SdHttpRequest *request, GCancellable *cancellable, GError **error)
{
  Wait w = { 0 };
  guint guard = g_timeout_add (HANG_GUARD_MS, guard_cb, NULL);

  sd_http_client_fetch_async (client, request, cancellable, fetched_cb, &w);
  while (!w.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
  if (w.error != NULL)
    g_propagate_error (error, w.error);
  return w.response;
}

static char *
url (const char *env, const char *path)
{
  const char *base = g_getenv (env);

  g_assert_nonnull (base);
  return g_strconcat (base, path, NULL);
}

static SdHttpClient *
new_client (gboolean with_ca, guint timeout_ms)
{
  g_autoptr(SdConfig) config = sd_config_new ();
  SdHttpClientOptions options = { 0 };

  if (with_ca)
    config->ca_file = g_strdup (g_getenv ("SD_WEB_CA_FILE"));
  options.config = config;
  options.timeout_ms = timeout_ms;
  return sd_http_client_new (&options);
}

static SdHttpResponse *
get (SdHttpClient *client, const char *env, const char *path, gsize max_body, guint max_redirects)
{
  g_autofree char *u = url (env, path);
  SdHttpRequest request = { .url = u, .max_body = max_body, .max_redirects = max_redirects };
  g_autoptr(GError) error = NULL;
  SdHttpResponse *r = fetch (client, &request, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

/* Requests per path that the server @kind received. */
static gint64
server_count (const char *kind, const char *path)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 10000);
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTP", "/stats", 0, 0);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonObject *server;

  g_assert_no_error (r->error);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body),
                                             &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (root, kind))
    return 0;
  server = json_object_get_object_member (root, kind);
  return json_object_has_member (server, path) ? json_object_get_int_member (server, path) : 0;
}

static void
assert_body (const SdHttpResponse *r, const char *text)
{
  g_assert_nonnull (r->body);
  g_assert_cmpmem (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), text, strlen (text));
}

static void
test_plain_get (void)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 10000);
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTP", "/hello", 0, 0);
  g_autoptr(JsonObject) json = NULL;
  SdHttpRequest request = { .url = "unused" };

  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  assert_body (r, "hello");
  g_assert_cmpstr (r->content_type, ==, "text/plain");
  g_assert_cmpuint (r->hops->len, ==, 1);
  g_assert_null (r->tls_verdict);
  g_assert_null (r->peer_chain);
  g_assert_cmpuint (sd_http_client_get_n_requests (client), ==, 1);

  json = sd_http_response_to_json (&request, r);
  g_assert_cmpint (json_object_get_int_member (json, "status"), ==, 200);
  g_assert_cmpint (json_object_get_int_member (json, "bytes"), ==, 5);
  g_assert_true (json_object_get_null_member (json, "error"));
  g_assert_false (json_object_has_member (json, "tls"));
}

static void
test_post (void)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 10000);
  g_autofree char *u = url ("SD_WEB_HTTP", "/hello");
  g_autoptr(GBytes) body = g_bytes_new_static ("abc", 3);
  SdHttpRequest request = { .method = "POST", .url = u, .content_type = "application/ocsp-request", .body = body };
  g_autoptr(GError) error = NULL;
  g_autoptr(SdHttpResponse) r = fetch (client, &request, NULL, &error);

  g_assert_no_error (error);
  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (((SdHttpHop *) r->hops->pdata[0])->method, ==, "POST");
  assert_body (r, "hello");
}

static void
test_https_trusted (void)
{
  gint stalls = sd_test_gnutls_whole_parses_on_main_loop ();
  g_autoptr(SdHttpClient) client = new_client (TRUE, 10000);
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTPS", "/hello", 0, 0);
  SdHttpRequest request = { .url = "unused" };
  g_autoptr(JsonObject) json = NULL;
  JsonObject *tls;

  /* The first fetch waited for the proxy resolver and glib-networking's
   * default database to be made in a thread: neither ran on the main loop.
   * (glib-networking 2.74 still has GnuTLS read the store on the main loop
   * when libsoup makes the connection, which it makes without a database:
   * two reads here, four when the default database was made there too.) */
  g_assert_cmpint (g_atomic_int_get (&proxy_first_on_main_loop), ==, 0);
  g_assert_cmpint (sd_test_gnutls_whole_parses_on_main_loop (), <=, stalls + 2);

  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 200);
  assert_body (r, "hello");
  g_assert_nonnull (r->tls_verdict);
  g_assert_true (r->tls_verdict->trust_ok);
  g_assert_true (r->tls_verdict->name_ok);
  g_assert_cmpuint (r->peer_chain->len, >=, 1);
  g_assert_cmpstr (r->tls_host, ==, "127.0.0.1");

  json = sd_http_response_to_json (&request, r);
  tls = json_object_get_object_member (json, "tls");
  g_assert_nonnull (tls);
  g_assert_true (json_object_get_boolean_member (tls, "trusted"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (tls, "chain")), >=, 1);
}

/* The certificate is trusted by nobody here without the lab's CA: the
 * fetch stops before any request is sent, and says why. */
static void
test_https_untrusted (void)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 10000);
  gint64 before = server_count ("https", "/untrusted");
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTPS", "/untrusted", 0, 0);

  g_assert_error (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_CERTIFICATE);
  g_assert_cmpstr (sd_http_error_kind (r->error), ==, "certificate");
  g_assert_nonnull (r->tls_verdict);
  g_assert_false (r->tls_verdict->trust_ok);
  g_assert_nonnull (r->peer_chain);
  g_assert_cmpuint (r->peer_chain->len, >=, 1);
  g_assert_null (r->body);
  g_assert_cmpint (server_count ("https", "/untrusted"), ==, before);
}

static void
test_https_wrong_name (void)
{
  g_autoptr(SdHttpClient) client = new_client (TRUE, 10000);
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_WRONGNAME", "/hello", 0, 0);
  SdCertInfo *leaf;

  g_assert_error (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_CERTIFICATE);
  g_assert_nonnull (r->tls_verdict);
  g_assert_true (r->tls_verdict->trust_ok);
  g_assert_false (r->tls_verdict->name_ok);
  leaf = r->peer_chain->pdata[0];
  g_assert_cmpstr (leaf->cn, ==, "www.other.test");
  g_assert_cmpuint (r->status, ==, 0);
  /* Not one request reached the server with the wrong name. */
  g_assert_cmpint (server_count ("https-wrongname", "/hello"), ==, 0);
}

static void
test_silent_server (void)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 1500);
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_SILENT", "/", 0, 0);

  g_assert_error (r->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpstr (sd_http_error_kind (r->error), ==, "timeout");
  g_assert_cmpuint (r->status, ==, 0);
  g_assert_cmpuint (r->hops->len, ==, 1);
}

/* Headers come, the body does not (or one byte at a time): the deadline
 * from the first byte still ends it. */
static void
test_slow_body (void)
{
  const char *paths[] = { "/silent-body", "/trickle" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(SdHttpClient) client = new_client (FALSE, 1500);
      g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTP", paths[i], 0, 0);

      g_assert_error (r->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_null (r->body);
    }
}

static void
test_endless_body (void)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 20000);
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTP", "/endless", 100000, 0);

  g_assert_error (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_TOO_LARGE);
  g_assert_cmpstr (sd_http_error_kind (r->error), ==, "too-large");
  g_assert_null (r->body);
}

/* libsoup refuses headers past its own bound: the answer ends at once,
 * not at the deadline, and nothing is kept. */
static void
test_endless_headers (void)
{
  const char *paths[] = { "/endless-headers", "/endless-header-line" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(SdHttpClient) client = new_client (FALSE, 20000);
      g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTP", paths[i], 0, 0);

      g_assert_nonnull (r->error);
      g_assert_cmpstr (sd_http_error_kind (r->error), ==, "protocol");
      g_assert_cmpuint (r->status, ==, 0);
      g_assert_null (r->body);
    }
}

static void
test_announced_too_large (void)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 20000);
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTP", "/biglength", 0, 0);

  g_assert_error (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_TOO_LARGE);
}

static void
test_redirect_loop (void)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 10000);
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTP", "/loop", 0, 3);

  g_assert_error (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_TOO_MANY_REDIRECTS);
  g_assert_cmpuint (r->hops->len, ==, 4);
  g_assert_cmpuint (((SdHttpHop *) r->hops->pdata[3])->status, ==, 302);
  g_assert_cmpstr (((SdHttpHop *) r->hops->pdata[3])->location, ==, "/loop");
  g_assert_cmpuint (sd_http_client_get_n_requests (client), ==, 4);
}

static void
test_redirects_followed (void)
{
  g_autoptr(SdHttpClient) client = new_client (TRUE, 10000);
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTP", "/chain/3", 0, 0);
  g_autoptr(SdHttpResponse) up = get (client, "SD_WEB_HTTP", "/to-https", 0, 0);

  g_assert_no_error (r->error);
  g_assert_cmpuint (r->hops->len, ==, 4);
  assert_body (r, "end");
  g_assert_true (g_str_has_suffix (r->url, "/chain/0"));

  /* http to https is fine, and the https host is judged */
  g_assert_no_error (up->error);
  g_assert_cmpuint (up->status, ==, 200);
  g_assert_nonnull (up->tls_verdict);
  g_assert_true (g_str_has_prefix (up->url, "https://"));
}

static void
test_redirect_downgrade (void)
{
  g_autoptr(SdHttpClient) client = new_client (TRUE, 10000);
  gint64 before = server_count ("http", "/hello");
  g_autoptr(SdHttpResponse) r = get (client, "SD_WEB_HTTPS", "/to-http", 0, 0);

  g_assert_error (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_REDIRECT_DOWNGRADE);
  g_assert_cmpuint (r->hops->len, ==, 1);
  g_assert_cmpuint (r->status, ==, 302);
  g_assert_cmpint (server_count ("http", "/hello"), ==, before);
}

static void
test_bad_url (void)
{
  const char *urls[] = { "ftp://127.0.0.1/x", "not a url", "http:///nohost", "ldap://127.0.0.1/cn=x" };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(SdHttpClient) client = new_client (FALSE, 10000);
      SdHttpRequest request = { .url = urls[i] };
      g_autoptr(GError) error = NULL;
      g_autoptr(SdHttpResponse) r = fetch (client, &request, NULL, &error);

      g_assert_no_error (error);
      g_assert_error (r->error, SD_HTTP_ERROR, SD_HTTP_ERROR_BAD_URL);
      g_assert_cmpuint (sd_http_client_get_n_requests (client), ==, 0);
    }
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The person's cancel is not a timeout: no response, CANCELLED. */
static void
test_cancel (void)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 20000);
  g_autofree char *u = url ("SD_WEB_SILENT", "/");
  SdHttpRequest request = { .url = u };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  SdHttpResponse *r;

  g_timeout_add (200, cancel_cb, cancellable);
  r = fetch (client, &request, cancellable, &error);
  g_assert_null (r);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_refused (void)
{
  g_autoptr(SdHttpClient) client = new_client (FALSE, 10000);
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *u = NULL;
  g_autoptr(SdHttpResponse) r = NULL;
  g_autoptr(GError) error = NULL;
  SdHttpRequest request = { 0 };

  /* A port bound and not listening: refused at once. */
  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  bound = g_socket_get_local_address (sock, NULL);
  u = g_strdup_printf ("http://127.0.0.1:%u/", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  request.url = u;
  r = fetch (client, &request, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r->error);
  g_assert_cmpstr (sd_http_error_kind (r->error), ==, "refused");
}

/* Names are looked up through the run's resolver (--dns-server), never the
 * system's: the lab's DNS server knows *.web.test, nothing else does. */
static void
test_resolver (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdDnsResolver) resolver = sd_dns_resolver_new_for_server (g_getenv ("SD_WEB_DNS"), &error);
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(SdHttpClient) client = NULL;
  SdHttpClientOptions options = { 0 };
  g_autofree char *http = g_strdup_printf ("http://www.web.test:%s/hello", g_getenv ("SD_WEB_HTTP_PORT"));
  g_autofree char *https = g_strdup_printf ("https://www.web.test:%s/hello", g_getenv ("SD_WEB_HTTPS_PORT"));
  g_autofree char *missing = g_strdup_printf ("http://nowhere.web.invalid:%s/hello", g_getenv ("SD_WEB_HTTP_PORT"));
  const char *urls[] = { http, https };

  g_assert_no_error (error);
  config->ca_file = g_strdup (g_getenv ("SD_WEB_CA_FILE"));
  options.config = config;
  options.resolver = resolver;
  options.timeout_ms = 10000;
  client = sd_http_client_new (&options);

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      SdHttpRequest request = { .url = urls[i] };
      g_autoptr(SdHttpResponse) r = fetch (client, &request, NULL, &error);

      g_assert_no_error (error);
      g_assert_no_error (r->error);
      g_assert_cmpuint (r->status, ==, 200);
      assert_body (r, "hello");
    }
  {
    /* The https host was judged by its name (SNI and the name check). */
    SdHttpRequest request = { .url = https };
    g_autoptr(SdHttpResponse) r = fetch (client, &request, NULL, &error);

    g_assert_nonnull (r->tls_verdict);
    g_assert_cmpstr (r->tls_host, ==, "www.web.test");
    g_assert_true (r->tls_verdict->name_ok);
  }
  {
    SdHttpRequest request = { .url = missing };
    g_autoptr(SdHttpResponse) r = fetch (client, &request, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (sd_http_error_kind (r->error), ==, "unreachable");
    g_assert_cmpuint (r->status, ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("SD_WEB_HTTP") == NULL)
    {
      g_test_skip ("run through tests/lab/sdlab_web.py exec");
      return g_test_run ();
    }
  g_test_add_func ("/http/plain-get", test_plain_get);
  g_test_add_func ("/http/post", test_post);
  g_test_add_func ("/http/https-trusted", test_https_trusted);
  g_test_add_func ("/http/https-untrusted", test_https_untrusted);
  g_test_add_func ("/http/https-wrong-name", test_https_wrong_name);
  g_test_add_func ("/http/silent-server", test_silent_server);
  g_test_add_func ("/http/slow-body", test_slow_body);
  g_test_add_func ("/http/endless-body", test_endless_body);
  g_test_add_func ("/http/announced-too-large", test_announced_too_large);
  g_test_add_func ("/http/endless-headers", test_endless_headers);
  g_test_add_func ("/http/redirect-loop", test_redirect_loop);
  g_test_add_func ("/http/redirects-followed", test_redirects_followed);
  g_test_add_func ("/http/redirect-downgrade", test_redirect_downgrade);
  g_test_add_func ("/http/bad-url", test_bad_url);
  g_test_add_func ("/http/cancel", test_cancel);
  g_test_add_func ("/http/refused", test_refused);
  g_test_add_func ("/http/resolver", test_resolver);
  return g_test_run ();
}
