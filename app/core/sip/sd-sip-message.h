/* sd-sip-message.h: SIP messages (RFC 3261): parse what a server sends, build what we send.
 *
 * The parser never trusts the peer: every size is bounded, and anything
 * beyond a bound or outside the grammar is an SD_SIP_ERROR_MALFORMED
 * error, never unbounded memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A whole message (start line, headers, body) we accept. */
#define SD_SIP_MAX_MESSAGE     (64 * 1024)
/* One header line, after unfolding. */
#define SD_SIP_MAX_LINE        (8 * 1024)
#define SD_SIP_MAX_HEADERS     256

#define SD_SIP_ERROR (sd_sip_error_quark ())
GQuark sd_sip_error_quark (void);

/**
 * SdSipError:
 * @SD_SIP_ERROR_MALFORMED: the bytes are not a SIP message (or exceed a bound).
 */
typedef enum {
  SD_SIP_ERROR_MALFORMED,
} SdSipError;

typedef struct {
  gboolean  is_request;
  char     *method;        /* requests */
  char     *request_uri;
  guint     status;        /* responses: 100..699 */
  char     *reason;
  GPtrArray *names;        /* header names, canonical (long form, as registered) */
  GPtrArray *values;       /* header values, unfolded, trimmed */
  char     *body;          /* NUL-terminated copy; may contain NULs before body_length */
  gsize     body_length;
} SdSipMessage;

SdSipMessage *sd_sip_message_new_request (const char *method, const char *request_uri);
SdSipMessage *sd_sip_message_new_response (guint status, const char *reason);
void          sd_sip_message_free (SdSipMessage *message);

typedef enum {
  SD_SIP_PARSE_OK,
  SD_SIP_PARSE_INCOMPLETE,  /* stream: more bytes are needed */
  SD_SIP_PARSE_ERROR,
} SdSipParseResult;

/* Parses one message from @data. With @stream (TCP, TLS) the message ends
 * where its Content-Length says (required) and @consumed tells how many
 * bytes it took; SD_SIP_PARSE_INCOMPLETE asks for more. Without @stream
 * (UDP) the datagram is the message. Leading CRLFs (keep-alives) are
 * skipped. */
SdSipParseResult sd_sip_message_parse (const char    *data,
                                       gsize          length,
                                       gboolean       stream,
                                       gsize         *consumed,
                                       SdSipMessage **message,
                                       GError       **error);

/* The canonical name of a header: compact forms expanded ("v" → "Via"),
 * known names in their usual case, others as given. */
const char   *sd_sip_header_canonical_name (const char *name, gsize length);

/* First value of a header (case-insensitive, compact forms accepted), or NULL. */
const char   *sd_sip_message_get_header (const SdSipMessage *message, const char *name);
/* All values, in order; each header line is one element, comma-separated
 * lists are not split (see sd_sip_split_list). Free with g_strfreev (). */
char        **sd_sip_message_get_headers (const SdSipMessage *message, const char *name);
void          sd_sip_message_add_header (SdSipMessage *message, const char *name, const char *value);
void          sd_sip_message_set_body (SdSipMessage *message, const char *content_type,
                                       const char *body, gsize length);
/* Wire form with CRLFs and a Content-Length. */
char         *sd_sip_message_to_string (const SdSipMessage *message, gsize *length);

/* Splits a comma-separated header value (Via, Contact…), honouring quotes
 * and <…>. Free with g_strfreev (). */
char        **sd_sip_split_list (const char *value);
/* The value of ;name=value in a header value such as Via or To, or NULL
 * (a flag parameter gives ""). */
char         *sd_sip_header_param (const char *value, const char *name);
/* The URI in a name-addr or addr-spec ("Bob <sip:b@x>;tag=1" → "sip:b@x"). */
char         *sd_sip_header_uri (const char *value);

/* CSeq "314 REGISTER" → number and method. */
gboolean      sd_sip_parse_cseq (const char *value, guint32 *number, char **method);

/* Unpredictable tokens (sd_random_hex) for tags, Call-IDs, cnonces and
 * branches ("z9hG4bK" + token). */
char         *sd_sip_random_token (guint bytes);
char         *sd_sip_new_branch (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdSipMessage, sd_sip_message_free)

G_END_DECLS
