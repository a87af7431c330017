/* sd-connect-result.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-connect-result"

#include <glib/gi18n-lib.h>
#include "sd-connect-result.h"

static const char * const words[] = {
  [SD_CONNECT_RESULT_PENDING] = "pending",
  [SD_CONNECT_RESULT_OK] = "ok",
  [SD_CONNECT_RESULT_REFUSED] = "refused",
  [SD_CONNECT_RESULT_TIMEOUT] = "timeout",
  [SD_CONNECT_RESULT_UNREACHABLE] = "unreachable",
  [SD_CONNECT_RESULT_ERROR] = "error",
  [SD_CONNECT_RESULT_LOCAL] = "local",
  [SD_CONNECT_RESULT_SKIPPED] = "skipped",
  [SD_CONNECT_RESULT_UNRESOLVED] = "unresolved",
  [SD_CONNECT_RESULT_NOT_TRIED] = "not-tried",
  [SD_CONNECT_RESULT_NOT_NEEDED] = "not-needed",
};

const char *
sd_connect_result_to_string (SdConnectResult result)
{
  g_return_val_if_fail ((guint) result < G_N_ELEMENTS (words), "error");
  return words[result];
}

SdConnectResult
sd_connect_result_from_string (const char *word)
{
  if (word == NULL)
    return SD_CONNECT_RESULT_PENDING;
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_str_equal (word, words[i]))
      return (SdConnectResult) i;
  return SD_CONNECT_RESULT_ERROR;
}

const char *
sd_connect_result_describe (SdConnectResult result)
{
  switch (result)
    {
    case SD_CONNECT_RESULT_PENDING:
      return _("trying…");
    case SD_CONNECT_RESULT_OK:
      return _("connected");
    case SD_CONNECT_RESULT_REFUSED:
      return _("connection refused");
    case SD_CONNECT_RESULT_TIMEOUT:
      return _("no answer (timed out)");
    case SD_CONNECT_RESULT_UNREACHABLE:
      return _("no route to the address");
    case SD_CONNECT_RESULT_SKIPPED:
      return _("not probed here (SIP OPTIONS probes UDP in the SIP step)");
    case SD_CONNECT_RESULT_UNRESOLVED:
      return _("the name has no address");
    case SD_CONNECT_RESULT_NOT_TRIED:
      return _("not tried (time ran out first)");
    case SD_CONNECT_RESULT_LOCAL:
      return _("this computer ran out of resources");
    case SD_CONNECT_RESULT_NOT_NEEDED:
      return _("not tried: the client stops at the first server that works");
    case SD_CONNECT_RESULT_ERROR:
    default:
      return _("failed");
    }
}
