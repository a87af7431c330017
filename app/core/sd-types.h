/* sd-types.h: enums and small value types shared by the whole engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include "sd-step-table.h"

G_BEGIN_DECLS

/* The steps of a sign-in, in the order a client performs them:
 * SD_STEP_URI, SD_STEP_DNS, SD_STEP_CONNECT, SD_STEP_TLS, SD_STEP_SIP,
 * SD_STEP_AUTH, from the one table in sd-step-table.h. Their string ids
 * ("uri", "dns", ...) are part of the JSON contract. */
#define SD_STEP_ENUM_ROW(NAME, id, title) SD_STEP_##NAME,
typedef enum {
  SD_STEP_TABLE (SD_STEP_ENUM_ROW)
  SD_N_STEPS
} SdStepId;
#undef SD_STEP_ENUM_ROW

typedef enum {
  SD_STATUS_PENDING,  /* not run yet (never in a finished report) */
  SD_STATUS_PASS,
  SD_STATUS_WARN,
  SD_STATUS_FAIL,
  SD_STATUS_SKIP,
} SdStatus;

typedef enum {
  SD_SEVERITY_INFO,
  SD_SEVERITY_WARNING,
  SD_SEVERITY_ERROR,
} SdSeverity;

typedef enum {
  SD_TRANSPORT_AUTO,
  SD_TRANSPORT_TLS,
  SD_TRANSPORT_TCP,
  SD_TRANSPORT_UDP,
} SdTransport;

typedef enum {
  SD_CLIENT_GENERIC,
  SD_CLIENT_WM5,
  SD_CLIENT_OCS,
  SD_CLIENT_LYNC,
} SdClientProfile;

typedef enum {
  SD_VERDICT_PASS,
  SD_VERDICT_WARN,
  SD_VERDICT_FAIL,
} SdVerdict;

const char *sd_step_id_to_string (SdStepId id);
gboolean    sd_step_id_from_string (const char *str, SdStepId *out);
const char *sd_step_title (SdStepId id); /* translated, for people */
/* Every step id, for a person choosing one: "uri, dns, …, sip or auth". */
char       *sd_step_dup_id_choices (void);

const char *sd_status_to_string (SdStatus status);
const char *sd_severity_to_string (SdSeverity severity);
const char *sd_verdict_to_string (SdVerdict verdict);

const char *sd_transport_to_string (SdTransport transport);
gboolean    sd_transport_from_string (const char *str, SdTransport *out);
/* The default port a SIP client uses for this transport (5061 for TLS, else 5060). */
guint16     sd_transport_default_port (SdTransport transport);

const char *sd_client_profile_to_string (SdClientProfile profile);
gboolean    sd_client_profile_from_string (const char *str, SdClientProfile *out);
const char *sd_client_profile_title (SdClientProfile profile); /* translated */

/* Appends @text for a person's terminal or a text file. What came from the
 * network may hold escape sequences that retitle or recolour a terminal,
 * move the cursor or overwrite a line: C0 and C1 control characters and
 * DEL become visible escapes ("\x1b", "\u009b", "\r"), and so do the
 * bidirectional controls that would show text in another order than it
 * has ("\u202e"); bytes that are not
 * UTF-8 become "\xff". With @multiline, line ends (LF, CRLF) and tabs stay
 * as they are, for text whose lines are its own structure (a SIP message
 * in the trace); without, they are escaped too, so one value stays on one
 * line. Every writer of text for people (text report, trace text, CLI
 * output) goes through this. */
void        sd_text_append_escaped (GString *out, const char *text, gboolean multiline);
char       *sd_text_escape (const char *text, gboolean multiline);

G_END_DECLS
