/* sd-dns-page.h: the Dns page of the wizard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-page.h"

G_BEGIN_DECLS

#define SD_TYPE_DNS_PAGE (sd_dns_page_get_type ())
G_DECLARE_FINAL_TYPE (SdDnsPage, sd_dns_page, SD, DNS_PAGE, SdPage)

G_END_DECLS
