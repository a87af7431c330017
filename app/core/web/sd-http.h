/* sd-http.h: the one HTTP client of a run (libsoup 3), for every check
 * that needs the web: CRLs, OCSP, AIA certificates, Lync autodiscover.
 *
 * Everything a peer can do to hold or flood a client is bounded here, so
 * callers do not each have to remember it:
 *  - one SdDeadline per fetch, from the first byte: the name look-up, the
 *    connection, the TLS handshake, every redirect, the headers and the
 *    whole body (libsoup's own timeouts are idle timeouts);
 *  - a size cap on every body, read in chunks; past the cap the fetch
 *    fails with SD_HTTP_ERROR_TOO_LARGE (a Content-Length above the cap
 *    fails before the body is read);
 *  - redirects followed here (never by libsoup), at most max_redirects,
 *    and never from https to http;
 *  - proxies as the desktop has them (GProxyResolver's default);
 *  - every HTTPS host's certificate judged by the SIP server's own checks
 *    (sd-tls-verify.h: trust, name, expiry); a certificate that fails them
 *    ends the fetch with SD_HTTP_ERROR_CERTIFICATE before any request is
 *    sent, and the response still carries the chain and the verdict so the
 *    caller can show them.
 *
 * Names are looked up where the run looks them up: with a resolver given
 * (the --dns-server), through it; else through the system's, as a client
 * on this computer does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "sd-config.h"
#include "sd-tls-verify.h"
#include "sd-dns-resolver.h"
#include "sd-run.h"

G_BEGIN_DECLS

#define SD_HTTP_ERROR (sd_http_error_quark ())
GQuark sd_http_error_quark (void);

/* A timeout is G_IO_ERROR_TIMED_OUT, the person's cancel
 * G_IO_ERROR_CANCELLED, a refused or reset connection GIO's own code. */
typedef enum {
  SD_HTTP_ERROR_BAD_URL,            /* not an absolute http(s) URL */
  SD_HTTP_ERROR_TOO_LARGE,          /* the body passed max_body */
  SD_HTTP_ERROR_TOO_MANY_REDIRECTS, /* more than max_redirects (a loop ends here) */
  SD_HTTP_ERROR_REDIRECT_DOWNGRADE, /* an https URL redirected to http */
  SD_HTTP_ERROR_CERTIFICATE,        /* the HTTPS host's certificate failed the checks */
  SD_HTTP_ERROR_PROTOCOL,           /* the peer does not speak HTTP */
} SdHttpError;

/* Defaults when a request leaves the field 0. */
#define SD_HTTP_DEFAULT_MAX_BODY      (1024 * 1024)
#define SD_HTTP_DEFAULT_MAX_REDIRECTS 5
#define SD_HTTP_MAX_REDIRECTS_LIMIT   20

typedef struct {
  guint        timeout_ms;      /* each fetch's deadline; 0: the config's timeout */
  const SdConfig *config;       /* ca_file, timeout, names the person's controls in advice; may be NULL */
  SdDnsResolver *resolver;      /* names are looked up through it; NULL: the system's resolver */
  const char  *user_agent;      /* NULL: "sip-doctor/VERSION" */
  SdTlsTrustLoader *trust_loader; /* the run's trust store, used once loaded; NULL: each check parses its own */
} SdHttpClientOptions;

typedef struct {
  const char  *method;          /* "GET" (NULL too) or "POST" */
  const char  *url;             /* absolute http:// or https:// URL */
  const char  *accept;          /* Accept header, or NULL */
  const char  *content_type;    /* of @body */
  GBytes      *body;            /* POST body, or NULL */
  gsize        max_body;        /* 0: SD_HTTP_DEFAULT_MAX_BODY */
  guint        max_redirects;   /* 0: SD_HTTP_DEFAULT_MAX_REDIRECTS; G_MAXUINT: none followed */
  guint        timeout_ms;      /* 0: the client's */
} SdHttpRequest;

/* One request sent (the first, then one per redirect). */
typedef struct {
  char    *method;
  char    *url;          /* valid UTF-8, as sent */
  guint    status;       /* 0 when no answer came */
  char    *reason;       /* the status line's text (valid UTF-8), or NULL */
  char    *location;     /* a redirect's Location (valid UTF-8, raw), or NULL */
  double   elapsed_ms;   /* from this request's start to its headers (or failure) */
} SdHttpHop;

typedef struct {
  GError     *error;          /* NULL when an answer (any status) came with its whole body */
  guint       status;         /* of the last answer, 0 when none */
  char       *reason;
  char       *url;            /* the last URL asked (after redirects) */
  char       *content_type;   /* of the last answer (valid UTF-8), or NULL */
  GBytes     *body;           /* the whole body, at most max_body bytes; NULL on error */
  GPtrArray  *hops;           /* SdHttpHop*, in order */
  /* The last HTTPS host's certificate, NULL for http: */
  GPtrArray  *peer_chain;     /* SdCertInfo*, as the server sent them, leaf first */
  SdTlsVerifyResult *tls_verdict;  /* the checks of sd-tls-verify.h on @peer_chain */
  char       *tls_host;       /* the name those checks were made against */
  double      elapsed_ms;     /* the whole fetch */
} SdHttpResponse;

void sd_http_response_free (SdHttpResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdHttpResponse, sd_http_response_free)

/* The report's object for a fetch (docs/report-data.md, "web fetch"):
 * method, url, status, reason, error, error_kind, content_type, bytes,
 * elapsed_ms, hops[], and for HTTPS tls {host, trusted, chain[], checks[]}. */
JsonObject *sd_http_response_to_json (const SdHttpRequest *request, const SdHttpResponse *response);

/* "timeout", "too-large", "too-many-redirects", "redirect-downgrade",
 * "certificate", "bad-url", "protocol", "refused", "unreachable",
 * "cancelled", "error"; NULL when @error is NULL. */
const char *sd_http_error_kind (const GError *error);

#define SD_TYPE_HTTP_CLIENT (sd_http_client_get_type ())
G_DECLARE_FINAL_TYPE (SdHttpClient, sd_http_client, SD, HTTP_CLIENT, GObject)

SdHttpClient *sd_http_client_new (const SdHttpClientOptions *options);

/* Fetches @request (copied: the caller's strings may go at once). Runs on
 * the thread-default main context of the caller. */
void            sd_http_client_fetch_async  (SdHttpClient        *self,
                                             const SdHttpRequest *request,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
/* Always a response, with the failure in response->error, except when
 * @cancellable was cancelled by the person: NULL and G_IO_ERROR_CANCELLED. */
SdHttpResponse *sd_http_client_fetch_finish (SdHttpClient  *self,
                                             GAsyncResult  *result,
                                             GError       **error);

/* The run's one client, made on first use from the run's config (its
 * timeout, CA file) and, with a --dns-server, the dns step's resolver
 * (SdContext.dns_resolver); owned by @run. */
SdHttpClient   *sd_http_client_get_for_run (SdRun *run);

/* How many requests this client has sent (each redirect counts): tests
 * and the report use it to show that nothing was fetched. */
guint           sd_http_client_get_n_requests (SdHttpClient *self);

G_END_DECLS
