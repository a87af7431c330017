/* sd-bench-bare.c: a bare GTK 3 window with the wizard's kinds of widgets.
 *
 * The baseline for sd-bench-window: what any GTK 3 application with a
 * header bar, a stack of seven pages, a form (labels, entries, a combo box)
 * and tables costs on this machine to start and to hold in memory, without
 * the engine, GtkBuilder templates or settings. Not installed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-bench-bare"

#include <gtk/gtk.h>

static GtkWidget *
form_page (void)
{
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *combo = gtk_combo_box_text_new ();

  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  for (int i = 0; i < 3; i++)
    {
      gtk_grid_attach (GTK_GRID (grid), gtk_label_new ("Label"), 0, i, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), gtk_entry_new (), 1, i, 1, 1);
    }
  for (int i = 0; i < 7; i++)
    gtk_grid_attach (GTK_GRID (grid), gtk_label_new ("A line of explanation for the person."), 0, 3 + i, 2, 1);
  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (combo), "Generic");
  gtk_combo_box_set_active (GTK_COMBO_BOX (combo), 0);
  gtk_grid_attach (GTK_GRID (grid), combo, 1, 10, 1, 1);
  return grid;
}

static GtkWidget *
table_page (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *scrolled = gtk_scrolled_window_new (NULL, NULL);
  GtkListStore *store = gtk_list_store_new (6, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
                                            G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  GtkWidget *view = gtk_tree_view_new_with_model (GTK_TREE_MODEL (store));

  for (int i = 0; i < 6; i++)
    gtk_tree_view_insert_column_with_attributes (GTK_TREE_VIEW (view), -1, "Column",
                                                 gtk_cell_renderer_text_new (), "text", i, NULL);
  g_object_unref (store);
  gtk_container_add (GTK_CONTAINER (scrolled), view);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_pack_start (GTK_BOX (box), gtk_label_new ("Title"), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), gtk_label_new ("A line of explanation for the person."), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), scrolled, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (box), gtk_button_new_with_label ("Action"), FALSE, FALSE, 0);
  return box;
}

static void
activate_cb (GtkApplication *app)
{
  GtkWidget *window = gtk_application_window_new (app);
  GtkWidget *header = gtk_header_bar_new ();
  GtkWidget *stack = gtk_stack_new ();

  gtk_header_bar_set_show_close_button (GTK_HEADER_BAR (header), TRUE);
  gtk_header_bar_set_title (GTK_HEADER_BAR (header), "Bare window");
  gtk_header_bar_pack_start (GTK_HEADER_BAR (header), gtk_button_new_with_label ("Back"));
  gtk_header_bar_pack_end (GTK_HEADER_BAR (header), gtk_menu_button_new ());
  gtk_header_bar_pack_end (GTK_HEADER_BAR (header), gtk_button_new_with_label ("Next"));
  gtk_header_bar_pack_end (GTK_HEADER_BAR (header), gtk_button_new_with_label ("Check Everything"));
  gtk_header_bar_pack_end (GTK_HEADER_BAR (header), gtk_spinner_new ());
  gtk_window_set_titlebar (GTK_WINDOW (window), header);
  gtk_stack_add_named (GTK_STACK (stack), form_page (), "form");
  for (int i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("table%d", i);
      gtk_stack_add_named (GTK_STACK (stack), table_page (), name);
    }
  gtk_container_add (GTK_CONTAINER (window), stack);
  gtk_window_set_default_size (GTK_WINDOW (window), 720, 560);
  gtk_widget_show_all (window);
}

int
main (int argc, char **argv)
{
  g_autoptr(GtkApplication) app = gtk_application_new ("org.example.SdBenchBare", G_APPLICATION_NON_UNIQUE);

  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
