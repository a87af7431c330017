/* fuzz-autodiscover-doc.c: the autodiscover document parser on any bytes
 * (what a lyncdiscover web server, or anyone in front of it, can send),
 * read as JSON, as XML and by sniffing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-autodiscover-doc.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check (const SdAutodiscoverDoc *doc)
{
  const SdAutodiscoverAccess *points[] = {
    &doc->sip_client_internal, &doc->sip_client_external,
    &doc->sip_server_internal, &doc->sip_server_external,
  };

  g_assert_cmpuint (doc->links->len, <=, SD_AUTODISCOVER_DOC_MAX_LINKS);
  if (doc->access_location != NULL)
    g_assert_true (g_utf8_validate (doc->access_location, -1, NULL));
  for (guint i = 0; i < doc->links->len; i++)
    {
      const SdAutodiscoverLink *link = doc->links->pdata[i];
      g_assert_true (g_utf8_validate (link->token, -1, NULL));
      g_assert_true (g_utf8_validate (link->href, -1, NULL));
      g_assert_cmpuint (strlen (link->href), <=, SD_AUTODISCOVER_DOC_MAX_HREF);
      g_assert_true (g_ascii_strncasecmp (link->href, "http", 4) == 0);
      g_assert_true (sd_autodiscover_doc_find_link (doc, link->token) != NULL);
    }
  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    if (points[i]->fqdn != NULL)
      {
        /* A host name a resolver can be asked: no space, no control byte. */
        g_assert_cmpuint (points[i]->port, >, 0);
        g_assert_cmpuint (strlen (points[i]->fqdn), <=, 253);
        for (const char *p = points[i]->fqdn; *p != '\0'; p++)
          g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.');
      }
  g_assert_nonnull (sd_autodiscover_doc_kind_to_string (doc->kind));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const char *types[] = { NULL, "application/json", SD_AUTODISCOVER_XML_TYPE };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SdAutodiscoverDoc) doc = sd_autodiscover_doc_parse (types[i], data, size, &error);

      if (doc != NULL)
        {
          g_assert_no_error (error);
          check (doc);
        }
      else
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == SD_AUTODISCOVER_DOC_ERROR);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
        }
    }
  return 0;
}
