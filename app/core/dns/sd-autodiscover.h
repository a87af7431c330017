/* sd-autodiscover.h: the Lync / Skype for Business autodiscover web
 * service, asked as the client asks it before any SRV record.
 *
 * lyncdiscoverinternal.<domain>, then lyncdiscover.<domain>, each over
 * HTTPS, then both over HTTP: GET /?sipuri=<address>. The first root
 * document that answers is read: a Redirect link is followed (at most
 * SD_AUTODISCOVER_MAX_REDIRECTS, never back to a URL of the same chain),
 * the Domain link fetched without credentials, and its SIP access points
 * (SipClientInternalAccess, SipClientExternalAccess) become the servers a
 * client tries first. The User resource needs a sign-in (OAuth or a web
 * ticket): it is named, never asked.
 *
 * Built from plain inputs (an HTTP client, a resolver, a domain): the dns
 * step hands the servers on as candidates ahead of its SRV ones and the
 * findings to the run. Finding a web service that answers (the root
 * requests of every attempt) stays within one timeout: silent web servers
 * cost that once, not one timeout per attempt. What an answering service
 * then says (a redirect, its Domain link) is fetched with a timeout per
 * request, at most SD_AUTODISCOVER_MAX_REDIRECTS + 1 of them, and the
 * Domain resource's servers are looked up with the DNS timeout. One
 * SdDeadline over all of it (that many timeouts) is the hard bound: what
 * it cuts short is listed as not tried, and the sub-check ends with what
 * it has; only the person's cancel fails it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "sd-http.h"
#include "sd-dns-resolver.h"

G_BEGIN_DECLS

#define SD_AUTODISCOVER_MAX_REDIRECTS 5
/* Autodiscover documents are a few KiB; more is not one. */
#define SD_AUTODISCOVER_MAX_BODY      (64 * 1024)

typedef enum {
  SD_AUTODISCOVER_FOUND,        /* a Domain resource named the SIP servers */
  SD_AUTODISCOVER_UNAVAILABLE,  /* no lyncdiscover name resolves, or none answered */
  SD_AUTODISCOVER_ERROR,        /* answers came, none led to the SIP servers */
} SdAutodiscoverOutcome;

typedef struct {
  const char *access;      /* "SipClientInternalAccess" or "SipClientExternalAccess" */
  char       *fqdn;
  guint16     port;
  GPtrArray  *addresses;   /* GInetAddress*, empty when the name does not resolve */
} SdAutodiscoverServer;

typedef struct {
  SdAutodiscoverOutcome outcome;
  GPtrArray *servers;      /* SdAutodiscoverServer*, in the order a client tries them */
  GPtrArray *findings;     /* SdFinding* of the dns step, in the order found */
} SdAutodiscoverResult;

void        sd_autodiscover_result_free (SdAutodiscoverResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdAutodiscoverResult, sd_autodiscover_result_free)

/* "found", "unavailable", "error" (the report's words). */
const char *sd_autodiscover_outcome_to_string (SdAutodiscoverOutcome outcome);

typedef void (*SdAutodiscoverProgress) (const char *message, gpointer user_data);

typedef struct {
  SdHttpClient   *http;
  SdDnsResolver  *resolver;
  const char     *domain;        /* the SIP domain */
  const char     *sip_address;   /* "alice@example.com", for ?sipuri= */
  guint           timeout_ms;    /* for the whole sub-check */
  const SdConfig *config;        /* names the person's controls in advice; may be NULL */
  /* Filled as the sub-check goes (the dns step's data.lyncdiscover); the
   * caller keeps it alive until the sub-check ends. */
  JsonObject     *data;
  SdAutodiscoverProgress progress;   /* may be NULL */
  gpointer        progress_data;
} SdAutodiscoverInput;

/* The input is copied (its strings and objects may go at once, @data and
 * @progress_data excepted). Fails only when @cancellable is cancelled. */
void                  sd_autodiscover_run_async  (const SdAutodiscoverInput *input,
                                                  GCancellable              *cancellable,
                                                  GAsyncReadyCallback        callback,
                                                  gpointer                   user_data);
SdAutodiscoverResult *sd_autodiscover_run_finish (GAsyncResult  *result,
                                                  GError       **error);

G_END_DECLS
