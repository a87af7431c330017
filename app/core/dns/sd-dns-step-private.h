/* sd-dns-step-private.h: the dns step's state, shared by the files that
 * make up the step (sd-step-dns.c, the glue; sd-dns-step-rounds.c,
 * sd-dns-step-caps.c, sd-dns-step-json.c). Nothing outside app/core/dns
 * includes it: other steps read what the dns step found in SdContext.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-steps.h"
#include "sd-dns-resolver.h"
#include "sd-dns-profiles.h"
#include "sd-dns-findings.h"
#include "sd-autodiscover.h"

G_BEGIN_DECLS

#define MAX_QUERIES   96   /* a hostile zone cannot make us ask forever */
#define MAX_CNAME      8

/* What one zone can make the step produce. A real deployment publishes a
 * few SRV records per service (a pool, a backup site), a few addresses per
 * host, so a client has at most a dozen or two servers to try, and real
 * clients give up long before that. These bounds are several times what any
 * real zone needs, so they never cut a real one, while a hostile or broken
 * zone (thousands of records) still gives a short run and a small report:
 * 64 candidates are 64 connections at most, and MAX_LISTED bounds every list
 * of the report whose length the zone decides. */
#define MAX_SRV_PER_NAME   32
#define MAX_ADDR_PER_HOST  16
#define MAX_CANDIDATES     64
#define MAX_LISTED         32

typedef enum {
  MODE_AUTO,
  MODE_EXPLICIT,
  MODE_IP_LITERAL,
} Mode;

typedef struct {
  SdRun          *run;
  GTask          *task;
  GCancellable   *cancellable;
  SdDnsResolver  *resolver;
  const SdConfig *config;
  const SdDnsProfile *profile;  /* the client's look-up plan */
  Mode            mode;
  char           *domain;
  char           *host;         /* explicit server or IP literal */
  guint16         port;
  GHashTable     *results;      /* "TYPE name" -> SdDnsResult* (NULL while asked) */
  GPtrArray      *order;        /* SdDnsResult* in the order they came back (borrowed) */
  guint           in_flight;
  guint           issued;
  gboolean        cancelled;
  gboolean        concluding;   /* no new query once the answers are being read */
  GRand          *rand;         /* NULL: the global generator */
  GHashTable     *srv_orders;   /* SRV result key -> GPtrArray: its RFC 2782 order, capped, drawn once */
  GHashTable     *cand_keys;    /* candidate_key () of every candidate found, to drop duplicates */
  guint           cand_found;   /* distinct candidates found, kept or not */
  JsonArray      *left_out;     /* data.left_out: what the caps cut (owned by the data) */
  GPtrArray      *cut_summary;  /* one phrase per cut, for the finding */
  GHashTable     *capped_hosts; /* hosts whose addresses were already cut, or left unasked */
  JsonObject     *cands_cut;       /* data.left_out's candidates entry (borrowed), NULL until one is cut */
  JsonObject     *lookups_cut;     /* its look-ups entry (borrowed), NULL until a host goes unasked */
  guint           not_asked_count;
  char           *local_failure; /* set when this computer could not ask: the step fails internally */
  GPtrArray      *filtered;     /* "TCP: SRV _sip._tcp.example.com → host:port": what --transport left out */
  char           *filtered_target; /* the first host left out: the target of the record to add */
  SdTransport     filtered_transport; /* the first transport left out: the one to test with instead */
  SdAutodiscoverResult *autodiscover; /* lync: what the autodiscover web service said */
} DnsStep;

typedef enum {
  HOST_PENDING,
  HOST_RESOLVED,
  HOST_NO_ADDRESS,
  HOST_TIMEOUT,
  HOST_SERVER_ERROR,
  HOST_NOT_ASKED,     /* the step's query budget was spent before this host */
} HostState;

/* ---- sd-step-dns.c ---- */

/* Asks what the answers so far leave missing; concludes once nothing is in flight. */
void         sd_dns_step_advance (DnsStep *step);
/* The run's part of every finding's facts. */
SdDnsFacts   sd_dns_step_facts (DnsStep *step, gboolean have_candidates);
void         sd_dns_step_report (DnsStep *step, SdDnsFindingKind kind, const SdDnsFacts *facts);

/* ---- sd-dns-step-rounds.c: the questions and their answers ---- */

SdDnsResult *sd_dns_step_lookup (DnsStep *step, guint16 type, const char *name, gboolean *asked);
gboolean     sd_dns_step_ask (DnsStep *step, guint16 type, const char *name);
const char  *sd_dns_step_follow_cname (const SdDnsResult *r, const char *name);
HostState    sd_dns_step_resolve_host (DnsStep *step, const char *host, GPtrArray *addresses);
GPtrArray   *sd_dns_step_srv_ordered (DnsStep *step, SdDnsResult *r);
/* Ends the step's task: cancelled, failed on this computer, or done. */
void         sd_dns_step_return (DnsStep *step);

/* ---- sd-dns-step-caps.c: the bounds, and data.left_out ---- */

void         sd_dns_step_add_candidate (DnsStep *step, GPtrArray *out, const char *host, guint16 port,
                                        SdTransport transport, GInetAddress *address, const char *source);
void         sd_dns_step_add_host_candidates (DnsStep *step, GPtrArray *out, const char *host, guint16 port,
                                              SdTransport transport, GPtrArray *addresses, const char *source);
void         sd_dns_step_cap_addresses (DnsStep *step, const char *host, GPtrArray *addresses);
void         sd_dns_step_note_not_asked (DnsStep *step, const char *host);
void         sd_dns_step_note_srv_cut (DnsStep *step, const char *name, SdDnsResult *r, GPtrArray *ordered);
void         sd_dns_step_report_left_out (DnsStep *step, GPtrArray *out);

/* ---- sd-dns-step-json.c: records, answers and candidates in the report ---- */

const char  *sd_dns_step_type_name (guint16 type);
JsonObject  *sd_dns_step_record_json (const SdDnsRecord *rr);
JsonObject  *sd_dns_step_result_json (const SdDnsResult *r);
JsonObject  *sd_dns_step_candidate_json (const SdCandidate *c);

G_END_DECLS
