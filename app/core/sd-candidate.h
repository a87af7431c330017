/* sd-candidate.h: one server address a client would try, and where it came from.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "sd-types.h"

G_BEGIN_DECLS

/* Where a candidate came from, for code to branch on; `source` says the
 * same for people and the report. */
typedef enum {
  SD_CANDIDATE_FROM_OTHER,  /* a fixed name's A/AAAA record, --server, the SIP address, a redirect */
  SD_CANDIDATE_FROM_SRV,    /* an SRV record: srv_name, srv_priority and srv_weight say which */
} SdCandidateOrigin;

typedef struct {
  grefcount     ref_count;
  char         *host;      /* the name the client connects to and checks the certificate against */
  guint16       port;
  SdTransport   transport; /* never SD_TRANSPORT_AUTO */
  GInetAddress *address;   /* resolved address, or NULL when the name did not resolve */
  char         *source;    /* "SRV _sip._tls.example.com", "A sip.example.com", "--server" */
  guint16       srv_priority; /* of the SRV record that gave host and port, when source is one */
  guint16       srv_weight;
  SdCandidateOrigin origin;
  char         *srv_name;  /* "_sip._tls.example.com" when origin is SD_CANDIDATE_FROM_SRV, else NULL */
} SdCandidate;

#define SD_TYPE_CANDIDATE (sd_candidate_get_type ())
GType        sd_candidate_get_type (void) G_GNUC_CONST;

SdCandidate *sd_candidate_new (const char   *host,
                               guint16       port,
                               SdTransport   transport,
                               GInetAddress *address,
                               const char   *source);
/* Marks @candidate as found through the SRV record @srv_name with
 * @priority and @weight (the step that found it calls this). */
void         sd_candidate_set_srv (SdCandidate *candidate,
                                   const char  *srv_name,
                                   guint16      priority,
                                   guint16      weight);
SdCandidate *sd_candidate_ref (SdCandidate *candidate);
void         sd_candidate_unref (SdCandidate *candidate);
/* {host, port, transport, address (or null)}: how reports name a candidate. */
JsonObject  *sd_candidate_to_json (const SdCandidate *candidate);
/* "sip.example.com:5061 (TLS) at 192.0.2.1" */
char        *sd_candidate_describe (const SdCandidate *candidate);
/* "_sip._tcp.example.com SRV 0 0 5060 sip.example.com.": the record that
 * gave the candidate its port, or NULL when it came from no SRV record. */
char        *sd_candidate_srv_record (const SdCandidate *candidate);
/* Advice for a port where nothing listens, naming that SRV record as the
 * thing to fix; NULL when the port came from no SRV record. */
char        *sd_candidate_srv_port_advice (const SdCandidate *candidate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdCandidate, sd_candidate_unref)

G_END_DECLS
