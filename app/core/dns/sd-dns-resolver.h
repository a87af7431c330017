/* sd-dns-resolver.h: asks DNS questions, asynchronously, and says who answered.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "sd-dns-wire.h"

G_BEGIN_DECLS

/* What one query gave. Never an error object: a timeout, a malformed answer
 * or a refusal is a result to show, not a failure of the program. */
typedef enum {
  SD_DNS_OUTCOME_ANSWER,       /* a server answered: its RCODE is in rcode_value */
  SD_DNS_OUTCOME_TIMEOUT,      /* no server answered in time */
  SD_DNS_OUTCOME_ERROR,        /* a malformed answer, a connection that failed */
  SD_DNS_OUTCOME_UNREACHABLE,  /* ICMP port unreachable: nothing listens at the server's port */
  SD_DNS_OUTCOME_LOCAL,        /* this computer ran out of sockets or memory */
} SdDnsOutcome;

typedef struct {
  char      *name;         /* as asked, no final dot */
  guint16    type;
  char      *server;       /* "127.0.0.1:5353" that answered (or was asked last) */
  SdDnsOutcome outcome;    /* what the engine branches on */
  guint      rcode_value;  /* SdDnsRcode when outcome is ANSWER, else 0 */
  char      *rcode;        /* for the report only: NOERROR, NXDOMAIN, SERVFAIL, REFUSED, …,
                            TIMEOUT, ERROR (also for UNREACHABLE), LOCAL */
  GPtrArray *answers;      /* SdDnsRecord*, the answer section */
  double     duration_ms;
  char      *error;        /* a sentence when rcode is not NOERROR, else NULL */
  gboolean   used_tcp;     /* the UDP answer was truncated and TCP was used */
} SdDnsResult;

void         sd_dns_result_free (SdDnsResult *result);
/* TRUE when a server answered NOERROR or NXDOMAIN: the zone's own word. */
gboolean     sd_dns_result_is_answer (const SdDnsResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdDnsResult, sd_dns_result_free)

#define SD_TYPE_DNS_RESOLVER (sd_dns_resolver_get_type ())
G_DECLARE_FINAL_TYPE (SdDnsResolver, sd_dns_resolver, SD, DNS_RESOLVER, GObject)

/* The nameservers of /etc/resolv.conf (in `ip netns exec NAME`, the
 * namespace's), as a client on this machine would ask. */
SdDnsResolver *sd_dns_resolver_new_system (GError **error);
/* Same, from another file (tests). No nameserver line means 127.0.0.1:53,
 * as in glibc. */
SdDnsResolver *sd_dns_resolver_new_from_resolv_conf (const char *path, GError **error);
/* One named server: "IP", "IP:PORT", "[IPv6]:PORT"; the port defaults to 53. */
SdDnsResolver *sd_dns_resolver_new_for_server (const char *server, GError **error);
/* Several servers, asked in turn as the system ones are; @description is
 * what get_description() says ("system"). */
SdDnsResolver *sd_dns_resolver_new_for_servers (const char * const *servers,
                                                const char         *description,
                                                GError            **error);

/* "system" or the named server "127.0.0.1:5353". */
const char    *sd_dns_resolver_get_description (SdDnsResolver *self);
/* The servers asked, in order ("127.0.0.1:53"); NULL-terminated. */
const char * const *sd_dns_resolver_get_servers (SdDnsResolver *self);

/* Asks every server in turn (the next one after a timeout slice, SERVFAIL
 * or REFUSED) until one answers or @timeout_ms is over. Fails only when
 * @cancellable is cancelled. */
void         sd_dns_resolver_query_async  (SdDnsResolver       *self,
                                           const char          *name,
                                           guint16              type,
                                           guint                timeout_ms,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
SdDnsResult *sd_dns_resolver_query_finish (SdDnsResolver  *self,
                                           GAsyncResult   *result,
                                           GError        **error);

/* The addresses of @host: A and AAAA asked together, CNAME chains followed
 * (inside an answer, then by asking for the chain's end), only records
 * whose owner is the chain's end; IPv4 first, then IPv6, in answer order.
 * With the same checks, TCP fallback and server choice as query_async, all
 * within @timeout_ms. Fails with G_RESOLVER_ERROR_NOT_FOUND (no address),
 * G_IO_ERROR_TIMED_OUT (no server answered), G_RESOLVER_ERROR_TEMPORARY_FAILURE
 * (SERVFAIL, REFUSED, an answer that is not DNS) or G_IO_ERROR_CANCELLED;
 * the message names @host. Returns GInetAddress* (never empty). */
void         sd_dns_resolver_lookup_host_async  (SdDnsResolver       *self,
                                                 const char          *host,
                                                 guint                timeout_ms,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GPtrArray   *sd_dns_resolver_lookup_host_finish (SdDnsResolver  *self,
                                                 GAsyncResult   *result,
                                                 GError        **error);

G_END_DECLS
