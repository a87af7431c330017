/* sd-trace.h: the protocol trace of a run, redacted as it is recorded.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "sd-types.h"

G_BEGIN_DECLS

typedef enum {
  SD_TRACE_SENT,
  SD_TRACE_RECEIVED,
  SD_TRACE_NOTE,
} SdTraceDirection;

/* The trace of one run keeps at most this many messages and this many
 * bytes of text; what comes after is counted, and one note says so. */
#define SD_TRACE_MAX_ENTRIES 1000
#define SD_TRACE_MAX_BYTES   (1024 * 1024)

#define SD_TYPE_TRACE (sd_trace_get_type ())
G_DECLARE_FINAL_TYPE (SdTrace, sd_trace, SD, TRACE, GObject)

SdTrace *sd_trace_new (void);
/* Every later occurrence of @secret in recorded text is replaced. */
void     sd_trace_add_secret (SdTrace *self, const char *secret);
/* Records one message. Credentials (Authorization and
 * Proxy-Authorization responses, tokens, Basic credentials, and any added
 * secret) are redacted before the text is stored. Emits ::message-added. */
void     sd_trace_add (SdTrace          *self,
                       SdStepId          step,
                       SdTraceDirection  direction,
                       const char       *transport,
                       const char       *peer,
                       const char       *text,
                       gsize             length);
/* JSON array of {step, direction, time_ms, transport, peer, text}; the
 * note ending a truncated trace also has truncated, dropped_messages and
 * dropped_bytes. */
JsonNode *sd_trace_to_json (SdTrace *self);
char     *sd_trace_to_text (SdTrace *self);
guint     sd_trace_get_n_entries (SdTrace *self);
/* Other limits than SD_TRACE_MAX_*, for tests. */
void      sd_trace_set_limits (SdTrace *self, guint max_entries, gsize max_bytes);
/* Messages not recorded because a limit was reached. */
guint     sd_trace_get_n_dropped (SdTrace *self);
gboolean  sd_trace_is_truncated (SdTrace *self);

/* Exposed for tests: the redaction applied to every message. */
char    *sd_trace_redact (const char *text, gsize length, const char * const *secrets);

const char *sd_trace_direction_to_string (SdTraceDirection direction);

G_END_DECLS
