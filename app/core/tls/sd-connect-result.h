/* sd-connect-result.h: what came of one connection the connect step tried,
 * and its words, for the engine's messages and the wizard alike.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Each value is one word of the report's data.attempts[].result. */
typedef enum {
  SD_CONNECT_RESULT_PENDING,     /* "pending": still being tried */
  SD_CONNECT_RESULT_OK,          /* "ok" */
  SD_CONNECT_RESULT_REFUSED,     /* "refused" */
  SD_CONNECT_RESULT_TIMEOUT,     /* "timeout" */
  SD_CONNECT_RESULT_UNREACHABLE, /* "unreachable" */
  SD_CONNECT_RESULT_ERROR,       /* "error": any other failure of the connection */
  SD_CONNECT_RESULT_LOCAL,       /* "local": this computer ran out of sockets or memory */
  SD_CONNECT_RESULT_SKIPPED,     /* "skipped": UDP, probed by the sip step */
  SD_CONNECT_RESULT_UNRESOLVED,  /* "unresolved": the name has no address */
  SD_CONNECT_RESULT_NOT_TRIED,   /* "not-tried": the step's time ran out before its turn */
  SD_CONNECT_RESULT_NOT_NEEDED,  /* "not-needed": a server before it in client order works */
} SdConnectResult;

/* The report's word for @result. */
const char      *sd_connect_result_to_string (SdConnectResult result);
/* The result a report's word names; SD_CONNECT_RESULT_ERROR for a word
 * this version does not know, SD_CONNECT_RESULT_PENDING for NULL. */
SdConnectResult  sd_connect_result_from_string (const char *word);
/* @result in words for a person ("connection refused"), translated. */
const char      *sd_connect_result_describe (SdConnectResult result);

G_END_DECLS
