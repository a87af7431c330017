/* main.c: sip-doctor, the wizard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>
#include "sd-application.h"
#include "sd-config.h"

int
main (int argc, char *argv[])
{
  g_autoptr(SdApplication) app = NULL;
  const char *localedir;

  /* Before anything can hold the password typed on the Account page. */
  sd_secret_protect_process ();
  setlocale (LC_ALL, "");
  /* SIP_DOCTOR_LOCALEDIR: translations from the build folder (development
   * and tests only; see HACKING.md). */
  localedir = g_getenv ("SIP_DOCTOR_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("SIP Sign-in Doctor"));

  app = sd_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
