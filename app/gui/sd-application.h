/* sd-application.h: the GtkApplication: actions, shortcuts, command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SD_TYPE_APPLICATION (sd_application_get_type ())
G_DECLARE_FINAL_TYPE (SdApplication, sd_application, SD, APPLICATION, GtkApplication)

SdApplication *sd_application_new (void);
/* The whole program: locale, translations, the application. main() of
 * sip-doctor, and of the GUI tests' sip-doctor-test (tests/gui). */
int            sd_application_main (int argc, char *argv[]);

G_END_DECLS
