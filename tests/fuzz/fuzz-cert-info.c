/* fuzz-cert-info.c: the certificate parser on any bytes (a server sends them).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-cert-info.h"
#include "sd-tls-names.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(SdCertInfo) info = sd_cert_info_new_from_der (data, size, NULL);
  SdCertNames names;
  g_auto(GStrv) all = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *strict = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;

  if (info == NULL)
    return 0;
  sd_cert_info_get_names (info, &names);
  all = sd_tls_all_names (&names);
  ids = sd_tls_sip_identities (&names);
  strict = sd_tls_strict_name_match (&names, "example.com");
  (void) sd_tls_match_host (&names, "sip.example.com");
  (void) sd_tls_match_host (&names, "192.0.2.1");
  (void) sd_cert_info_issued_by (info, info);
  for (guint i = 0; all[i] != NULL; i++)
    {
      /* No name reaches a person or a comparison with a raw control byte
       * in it (a NUL would cut it short): they are shown as \xNN. */
      for (const guchar *p = (const guchar *) all[i]; *p != '\0'; p++)
        g_assert_true (*p >= 0x20 && *p != 0x7f);
      (void) sd_tls_match_host (&names, all[i]);
    }

  /* Whatever the bytes, the report stays valid UTF-8 JSON. */
  node = json_node_init_object (json_node_alloc (), sd_cert_info_to_json (info));
  json = json_to_string (node, FALSE);
  g_assert_true (g_utf8_validate (json, -1, NULL));
  g_assert_true (g_str_has_prefix (info->pem, "-----BEGIN CERTIFICATE-----"));
  return 0;
}
