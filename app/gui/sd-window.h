/* sd-window.h: the assistant: header bar, pages, progress and Cancel.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SD_TYPE_WINDOW (sd_window_get_type ())
G_DECLARE_FINAL_TYPE (SdWindow, sd_window, SD, WINDOW, GtkApplicationWindow)

SdWindow *sd_window_new (GtkApplication *application);
/* Fills in the Account page's SIP address and shows that page. */
void      sd_window_set_address (SdWindow *self, const char *address);

G_END_DECLS
