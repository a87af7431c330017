/* sd-test-main.c: sip-doctor-test, the wizard as the GUI tests run it.
 *
 * The same objects as sip-doctor, with the one test seam filled in: Save
 * Report… writes to $SD_TEST_SAVE_PATH (format by its extension) and
 * Export Certificate… to $SD_TEST_EXPORT_PATH, without a file chooser,
 * which AT-SPI cannot drive on every platform. Built for the tests only,
 * never installed, so the shipped program reads neither variable.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-application.h"
#include "sd-gui-util.h"

static GFile *
choose_file_from_environment (const char *purpose)
{
  const char *path = NULL;

  if (g_str_equal (purpose, "report"))
    path = g_getenv ("SD_TEST_SAVE_PATH");
  else if (g_str_equal (purpose, "certificate"))
    path = g_getenv ("SD_TEST_EXPORT_PATH");
  return path != NULL && *path != '\0' ? g_file_new_for_path (path) : NULL;
}

int
main (int argc, char *argv[])
{
  /* As sip-doctor, for everything that goes by the program's name. */
  g_set_prgname ("sip-doctor");
  sd_gui_test_choose_file = choose_file_from_environment;
  return sd_application_main (argc, argv);
}
