/* sd-context.h: what one step of a run hands on to the next.
 *
 * Each field is written by one step (named beside it) and read by later
 * ones. Steps run one after another on the main context, so no locking.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "sd-uri.h"
#include "sd-candidate.h"

G_BEGIN_DECLS

typedef struct _SdDnsResolver SdDnsResolver;

typedef struct {
  /* uri */
  SdSipUri    *uri;
  SdSignIn    *sign_in;
  char        *domain;       /* the SIP domain autoconfiguration uses */

  /* dns (or the explicit --server): SdCandidate*, in the order a client tries them */
  GPtrArray   *candidates;
  /* dns: the DNS client it asked (--dns-server, else the system's); every
   * later look-up (a SIP redirect's target) asks it too, with the same
   * checks, TCP fallback and server choice */
  SdDnsResolver *dns_resolver;

  /* connect: candidates that accepted a connection, in order; the one later steps use */
  GPtrArray   *reachable;
  SdCandidate *selected;

  /* tls: the verified (or not) connection to @selected, kept open for SIP */
  GIOStream   *tls_stream;
  gboolean     tls_trusted;  /* credentials may be sent over it */

  /* sip/auth: private state shared by those two steps */
  gpointer       sip_state;
  GDestroyNotify sip_state_free;
} SdContext;

SdContext *sd_context_new (void);
void       sd_context_free (SdContext *context);

G_END_DECLS
