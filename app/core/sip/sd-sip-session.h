/* sd-sip-session.h: what the `sip` and `auth` steps share (ctx->sip_session):
 * the connection, the dialog identifiers of the registration, the
 * challenges read, and the helpers that build, send and record requests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-run.h"
#include "sd-sip-auth.h"
#include "sd-sip-connection.h"
#include "sd-sip-message.h"
#include "sd-sip-report.h"
#include "sd-sip-resolve.h"

G_BEGIN_DECLS

typedef struct {
  char           *header;    /* "WWW-Authenticate" or "Proxy-Authenticate" */
  SdSipChallenge *challenge;
} SdSipOffered;

struct _SdSipSession {
  SdRun           *run;          /* not a reference: the run owns this */
  SdStepId         step;         /* the step sending now, for the trace */
  SdSipConnection *connection;
  SdCandidate     *target;       /* where REGISTER goes now (after redirects) */
  char            *request_uri;
  char            *aor;          /* alice@example.com */
  char            *call_id;      /* of the registration */
  char            *options_call_id;
  char            *from_tag;
  guint32          cseq;
  gboolean         tls_step_distrusts; /* the TLS check said no for this very server */
  gboolean         unregister;   /* the next REGISTER removes the binding (Expires: 0) */
  gboolean         reached;      /* REGISTER got a final answer the auth step can use */
  gboolean         registered;   /* 200 to REGISTER */
  SdSipMessage    *last_response;
  GPtrArray       *offered;      /* SdSipOffered*, from the last 401/407 */
  guint            offered_status;
  char            *server_header;
  char            *date_header;
  GDateTime       *date_received; /* local clock when the Date header came */
  gboolean         secure_origin;  /* the sign-in started over TLS (or the address is sips:) */
  gboolean         redirect_refused; /* a redirect was not followed: sip.redirect-downgrade */
};

SdSipSession *sd_sip_session_new (SdRun *run);
void          sd_sip_session_free (SdSipSession *session);

/* Opens a connection to @target (reusing ctx->tls_stream when it is the
 * connection to that very candidate). */
void          sd_sip_session_connect (SdSipSession *session, SdCandidate *target);

/* A request of this dialog: Via (rport, new branch), Max-Forwards, From
 * with tag, To, Call-ID, next CSeq, Contact, User-Agent (and Expires for
 * REGISTER). @authorization and @proxy_authorization, when not NULL, are
 * the credentials of an Authorization and a Proxy-Authorization line. */
SdSipMessage *sd_sip_session_build (SdSipSession *session,
                                    const char   *method,
                                    const char   *authorization,
                                    const char   *proxy_authorization);

/* Opens the connection if needed, builds the request (as
 * sd_sip_session_build), sends it and waits for the final answer; records
 * the exchange in the current step's data.exchanges and remembers Server
 * and Date. */
void          sd_sip_session_request_async  (SdSipSession        *session,
                                             const char          *method,
                                             const char          *authorization,
                                             const char          *proxy_authorization,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
SdSipMessage *sd_sip_session_request_finish (SdSipSession  *session,
                                             GAsyncResult  *result,
                                             GError       **error);

/* Reads every WWW-Authenticate / Proxy-Authenticate of @response into
 * session->offered and into @data.challenges. Unparsable headers are
 * skipped (and counted in @bad). */
void          sd_sip_session_read_challenges (SdSipSession       *session,
                                              const SdSipMessage *response,
                                              JsonObject         *data,
                                              guint              *bad);

/* For the steps' request callbacks: when @error is a cancellation, returns
 * it on @task, drops the callback's reference to @task, takes @error and
 * returns TRUE; otherwise leaves both alone and returns FALSE. */
gboolean      sd_sip_task_return_if_cancelled (GTask *task, GError *error);

G_END_DECLS
