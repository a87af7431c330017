/* sd-sipae-signin.h: one MS-SIPAE sign-in (NTLM or Kerberos) over the
 * session's REGISTER dialog: challenge, token exchange, signed REGISTER,
 * the server's rspauth checked, and the test registration removed with a
 * signed REGISTER Expires: 0.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-sip-session.h"
#include "sd-sign-in-method.h"

G_BEGIN_DECLS

typedef enum {
  SD_SIPAE_OUTCOME_OK,           /* 200 with an rspauth that verifies */
  SD_SIPAE_OUTCOME_REJECTED,     /* the server refused the credentials (401/403) */
  SD_SIPAE_OUTCOME_MECH_FAILED,  /* the mechanism failed here: see error (SD_SIPAE_ERROR) */
  SD_SIPAE_OUTCOME_BAD_RSPAUTH,  /* 200, but the server's signature is missing or wrong */
  SD_SIPAE_OUTCOME_NO_RESPONSE,  /* no answer: see error */
  SD_SIPAE_OUTCOME_OTHER,        /* another final answer: see response */
  SD_SIPAE_OUTCOME_NOT_CONTINUED, /* the server answered the first token with no token of its
                                   * own (not an MS-SIPAE server): no credential was tested */
} SdSipaeOutcome;

typedef struct {
  SdSipaeOutcome  outcome;
  GError         *error;
  SdSipMessage   *response;        /* the last final response, or NULL */
  char           *realm;           /* of the challenge answered */
  char           *targetname;
  guint           version;
  guint           attempts;        /* requests that carried a complete context */
  gboolean        rspauth_verified;
  gboolean        unregistered;
  char           *token_sent;      /* the last gssapi-data, shortened (sd_sipae_shorten_token) */
  char           *token_received;
  char           *server_domain;   /* NTLM: the server's NetBIOS domain (its CHALLENGE), or NULL */
} SdSipaeResult;

void sd_sipae_result_free (SdSipaeResult *result);

/* Runs @method against the challenge of its scheme among
 * @session->offered. @input's strings are borrowed for the call only.
 * Each blocking mechanism step (a KDC exchange) is bounded by
 * @timeout_ms; each SIP request by the session's own bounds. */
void           sd_sipae_sign_in_async  (SdSipSession         *session,
                                        const SdSignInMethod *method,
                                        const SdSipaeInput   *input,
                                        guint                 timeout_ms,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
SdSipaeResult *sd_sipae_sign_in_finish (GAsyncResult  *result,
                                        GError       **error);

/* The server's challenge of @scheme among @session->offered (the first
 * WWW-Authenticate of that scheme), or NULL. */
const SdSipChallenge *sd_sipae_find_offer (SdSipSession *session, const char *scheme);

/* Reports sip.ms-diagnostics for each ms-diagnostics header of @response
 * not reported before in this run. */
void sd_sipae_report_ms_diagnostics (SdRun *run, SdStepId step, const SdSipMessage *response);

/* Reports what one method's sign-in showed (auth.ok, auth.rejected,
 * auth.kerberos-no-kdc, ...) under the auth step and returns its entry
 * for data.methods. @username is the name as the method sent it. Returns
 * TRUE in @tested when the server judged a credential (ok or rejected). */
JsonObject *sd_sipae_report (SdRun                *run,
                             const SdSignInMethod *method,
                             SdSipSession         *session,
                             const SdSipaeResult  *result,
                             const char           *username,
                             gboolean             *tested);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdSipaeResult, sd_sipae_result_free)

G_END_DECLS
