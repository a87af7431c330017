/* sd-dns-findings.h: the words of the dns step's findings, built from plain
 * facts so that they can be read, changed and tested without a run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-finding.h"

G_BEGIN_DECLS

typedef enum {
  SD_DNS_FINDING_TIMEOUT,                 /* count, list (the look-ups), server (NULL: this computer's) */
  SD_DNS_FINDING_SERVER_REFUSED,          /* server, error */
  SD_DNS_FINDING_SERVER_UNREACHABLE,      /* server, error */
  SD_DNS_FINDING_SERVER_ERROR,            /* server, error */
  SD_DNS_FINDING_SERVICE_UNAVAILABLE,     /* name (the SRV name) */
  SD_DNS_FINDING_SRV_TARGET_UNRESOLVABLE, /* name, target */
  SD_DNS_FINDING_NO_SRV,                  /* target (the fallback name a client finds) */
  SD_DNS_FINDING_SRV_TARGET_CNAME,        /* name, target, real_name, record */
  SD_DNS_FINDING_OTHER_TRANSPORTS,        /* list (what is published), target, other_transport */
  SD_DNS_FINDING_DOMAIN_NOT_FOUND,
  SD_DNS_FINDING_NO_RECORDS,
  SD_DNS_FINDING_STRICT_NAMING,           /* name, list (the hosts outside the rule) */
  SD_DNS_FINDING_HOST_UNRESOLVABLE,       /* target (the explicit server) */
  SD_DNS_FINDING_TOO_MANY_RECORDS,        /* name (the zone), list (the cuts) */
  SD_DNS_FINDING_LOCAL_RESOURCES,         /* count, error */
} SdDnsFindingKind;

/* What a finding says is made of these; the comment of each kind names the
 * members it reads besides the run's. Nothing is owned. */
typedef struct {
  /* the run */
  const char      *domain;
  SdClientProfile  client;
  SdTransport      transport;           /* asked for; AUTO: any */
  gboolean         strict_dns_naming;
  guint            timeout_s;
  const char      *server_control;      /* "--server" or "the Server field" */
  const char      *dns_server_control;  /* "--dns-server" or "the DNS server field" */
  gboolean         have_candidates;     /* the step found servers to try */
  /* the finding's own */
  const char      *server;
  const char      *name;
  const char      *target;
  const char      *real_name;
  const char      *record;
  const char      *list;
  const char      *error;
  SdTransport      other_transport;
  guint            count;
} SdDnsFacts;

/* The finding of @kind, for the dns step. */
SdFinding *sd_dns_finding_build (SdDnsFindingKind kind, const SdDnsFacts *facts);

G_END_DECLS
