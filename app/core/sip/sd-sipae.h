/* sd-sipae.h: the pieces of Microsoft's SIP authentication extensions
 * ([MS-SIPAE]) that do not depend on the mechanism: the signed fields of a
 * message, hex signatures, and the ms-diagnostics header ([MS-OCER]).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include "sd-sip-message.h"
#include "sd-types.h"

G_BEGIN_DECLS

/* NTLM signatures of SIP messages use this NTLM sequence number in both
 * directions (MS-SIPAE 3.2.5.1.2: the number of the security association
 * is not the NTLM one). */
#define SD_SIPAE_NTLM_SEQ_NUM 100

/* The text MS-SIPAE signs (3.2.5.1.2; MS-SIP 3.1.4.2): each value between
 * '<' and '>', nothing between them: scheme, rand, num, realm, targetname,
 * Call-ID, CSeq number, CSeq method, From URI, From tag, [version >= 3: To
 * URI], To tag, [version >= 3: P-Asserted-Identity SIP and tel URIs],
 * Expires, and for a response its status code. */
char   *sd_sipae_sign_string (guint               version,
                              const char         *scheme,
                              const char         *rand,
                              const char         *num,
                              const char         *realm,
                              const char         *targetname,
                              const SdSipMessage *message);

/* Lower-case hex; and back (either case), NULL when not hex or longer than
 * @max_bytes. */
char   *sd_sipae_hex (const guint8 *data, gsize length);
guint8 *sd_sipae_unhex (const char *text, gsize max_bytes, gsize *length);

/* gssapi-data for the trace and the report: the first bytes of the base64
 * and its decoded length, never the whole token. */
char   *sd_sipae_shorten_token (const char *base64);

/* --- ms-diagnostics ------------------------------------------------------ */

typedef enum {
  SD_MS_DIAG_OTHER = 0,       /* a code this tool has no words for */
  SD_MS_DIAG_GENERIC,         /* "see the response code" */
  SD_MS_DIAG_NOT_ENABLED,     /* the user is not enabled for SIP, or does not exist */
  SD_MS_DIAG_NOT_HOMED,       /* the user is homed on another pool */
  SD_MS_DIAG_DISABLED,        /* the account is disabled */
  SD_MS_DIAG_CREDENTIALS,     /* the credentials were not accepted */
  SD_MS_DIAG_FEDERATION,      /* a federated peer or the edge */
  SD_MS_DIAG_HOP,             /* an earlier server said nothing more */
} SdMsDiagMeaning;

typedef struct {
  guint            code;
  char            *reason;    /* as the server gave it (valid UTF-8), or NULL */
  char            *source;    /* the server that added it, or NULL */
  SdMsDiagMeaning  meaning;
} SdMsDiagnostic;

/* Parses one ms-diagnostics (or ms-diagnostics-public) value:
 * CODE;reason="...";source="...";... NULL with SD_SIP_ERROR_MALFORMED when
 * it does not start with a code of at most 5 digits. */
SdMsDiagnostic *sd_ms_diagnostic_parse (const char *value, GError **error);
void            sd_ms_diagnostic_free  (SdMsDiagnostic *diagnostic);

/* The meaning of a code in words for a person (translated), and how
 * serious it is for a sign-in. */
const char     *sd_ms_diagnostic_meaning_text (SdMsDiagMeaning meaning);
SdSeverity      sd_ms_diagnostic_severity (SdMsDiagMeaning meaning);
SdMsDiagMeaning sd_ms_diagnostic_meaning_of (guint code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdMsDiagnostic, sd_ms_diagnostic_free)

G_END_DECLS
