/* sd-application.c: the GtkApplication: actions, shortcuts, command line.
 *
 * `sip-doctor [SIP-ADDRESS]` opens the wizard with the address filled in;
 * a second invocation reaches the running instance and does the same.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>
#include "sd-application.h"
#include "sd-config.h"
#include "sd-window.h"

struct _SdApplication {
  GtkApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (SdApplication, sd_application, GTK_TYPE_APPLICATION)

static SdWindow *
get_window (SdApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (sd_window_new (GTK_APPLICATION (self)));
  return SD_WINDOW (window);
}

static void
sd_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (get_window (SD_APPLICATION (app))));
}

static int
sd_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree const char **rest = NULL;
  SdWindow *window;

  window = get_window (SD_APPLICATION (app));
  if (g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &rest) && rest != NULL)
    {
      if (g_strv_length ((char **) rest) > 1)
        {
          g_application_command_line_printerr (command_line, "%s\n",
                                               _("Give one SIP address at most, for example "
                                                 "sip-doctor alice@example.com"));
          return 2;
        }
      if (rest[0] != NULL)
        sd_window_set_address (window, rest[0]);
    }
  gtk_window_present (GTK_WINDOW (window));
  return 0;
}

static int
sd_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("sip-doctor %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
quit_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *l;

  /* Main windows first, one at a time from the live list: each takes its
   * shortcuts window with it, so a copy of the list would hold a destroyed
   * one. Each pass removes at least one window, so this ends. */
  do
    {
      for (l = gtk_application_get_windows (app); l != NULL && !SD_IS_WINDOW (l->data); l = l->next)
        ;
      if (l == NULL)
        l = gtk_application_get_windows (app);
      if (l != NULL)
        gtk_widget_destroy (l->data);
    }
  while (l != NULL);
}

static void
about_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *authors[] = { "The SIP Sign-in Doctor developers", NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", _("SIP Sign-in Doctor"),
                         "logo-icon-name", APPLICATION_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Find out why a SIP program cannot sign in, and what to fix"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         "translator-credits", _("translator-credits"),
                         "website", "https://github.com/sipdoctor/sip-doctor",
                         NULL);
}

static const GActionEntry app_entries[] = {
  { "quit", quit_action_cb },
  { "about", about_action_cb },
};

static void
sd_application_startup (GApplication *app)
{
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
    { "win.cancel", { "Escape", NULL } },
    { "win.back", { "<Alt>Left", NULL } },
    { "win.next", { "<Alt>Right", NULL } },
  };
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (sd_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_entries, G_N_ELEMENTS (app_entries), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);

  gtk_css_provider_load_from_resource (css, RESOURCE_PREFIX "/style.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_window_set_default_icon_name (APPLICATION_ID);
}

static void
sd_application_class_init (SdApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = sd_application_activate;
  app_class->startup = sd_application_startup;
  app_class->command_line = sd_application_command_line;
  app_class->handle_local_options = sd_application_handle_local_options;
}

static void
sd_application_init (SdApplication *self)
{
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL, NULL, N_("[SIP-ADDRESS]") },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[SIP-ADDRESS]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Find out why a SIP program cannot sign in. "
                                              "The SIP address, if given, is filled in."));
}

SdApplication *
sd_application_new (void)
{
  return g_object_new (SD_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", RESOURCE_PREFIX,
                       NULL);
}

int
sd_application_main (int argc, char *argv[])
{
  g_autoptr(SdApplication) app = NULL;

  /* Before anything can hold the password typed on the Account page. */
  sd_program_init ();
  g_set_application_name (_("SIP Sign-in Doctor"));

  app = sd_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
