/* sd-certificate-pane.h: the server's certificate chain, in the manner of
 * a certificate viewer: the chain as a tree, the selected certificate in
 * titled sections, every verification check in words, and Export.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SD_TYPE_CERTIFICATE_PANE (sd_certificate_pane_get_type ())
G_DECLARE_FINAL_TYPE (SdCertificatePane, sd_certificate_pane, SD, CERTIFICATE_PANE, GtkBox)

/* @tls is the tls step's data object (docs/report-data.md), or NULL. */
void sd_certificate_pane_set_data (SdCertificatePane *self, JsonObject *tls);

G_END_DECLS
