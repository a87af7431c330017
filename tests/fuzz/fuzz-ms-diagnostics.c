/* fuzz-ms-diagnostics.c: the ms-diagnostics header parser.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-sipae.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(SdMsDiagnostic) d = sd_ms_diagnostic_parse (text, NULL);

  if (d == NULL)
    return 0;
  g_assert_cmpuint (d->code, <, 100000);
  g_assert_true (d->reason == NULL || g_utf8_validate (d->reason, -1, NULL));
  g_assert_true (d->source == NULL || g_utf8_validate (d->source, -1, NULL));
  g_assert_nonnull (sd_ms_diagnostic_meaning_text (d->meaning));
  return 0;
}
