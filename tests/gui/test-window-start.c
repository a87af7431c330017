/* test-window-start.c: what the wizard's first window does before its
 * first frame, and what it leaves for later.
 *
 * The first frame is drawn with the first page alone in the stack; the
 * other pages follow, in their order, without anyone asking. The keyboard
 * shortcuts window is built when first shown, not with the window. Nothing
 * on the first page needs the SVG loader (librsvg and what it pulls in,
 * about 9 MiB): the spinner that does is hidden until a check runs.
 *
 * Counts and states only, never times. Run under Xvfb (run-under-xvfb.sh).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-window-start"

#include <string.h>
#include "sd-window.h"

/* Hang guard only: the window normally paints within a second. */
#define HANG_GUARD_S 30

static const char * const page_names[] = { "account", "server", "dns", "connection", "sign-in", "summary" };

typedef struct {
  SdWindow *window;
  GtkStack *stack;
  int       pages_at_first_paint;
  gboolean  svg_at_first_paint;
  gboolean  painted;
} Fixture;

static void
find_stack_cb (GtkWidget *widget, gpointer data)
{
  GtkStack **stack = data;

  if (*stack != NULL)
    return;
  /* The pages' stack, not one inside another widget. */
  if (GTK_IS_STACK (widget) && gtk_stack_get_child_by_name (GTK_STACK (widget), "account") != NULL)
    *stack = GTK_STACK (widget);
  else if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), find_stack_cb, stack);
}

static int
n_pages (GtkStack *stack)
{
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (stack));

  return (int) g_list_length (children);
}

static gboolean
svg_loader_loaded (void)
{
  g_autofree char *maps = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, "librsvg") != NULL;
}

static void
after_paint_cb (GdkFrameClock *clock, Fixture *f)
{
  if (f->painted)
    return;
  f->painted = TRUE;
  f->pages_at_first_paint = n_pages (f->stack);
  f->svg_at_first_paint = svg_loader_loaded ();
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @done says so, bounded by the hang guard. */
static void
iterate_until (gboolean (*done) (Fixture *f), Fixture *f, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + HANG_GUARD_S * G_USEC_PER_SEC;
  guint wake = g_timeout_add (50, wake_cb, NULL);

  while (!done (f) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (wake);
  if (!done (f))
    g_error ("no %s within %d s (%d pages)", what, HANG_GUARD_S, n_pages (f->stack));
}

static gboolean
first_paint_done (Fixture *f)
{
  return f->painted;
}

static gboolean
all_pages_built (Fixture *f)
{
  return n_pages (f->stack) == G_N_ELEMENTS (page_names);
}

static void
activate_cb (GtkApplication *app, gpointer data)
{
  Fixture f = { 0 };
  g_autoptr(GList) children = NULL;
  GtkShortcutsWindow *overlay;
  GList *l;
  guint i;

  g_application_hold (G_APPLICATION (app));
  f.window = sd_window_new (app);
  gtk_container_forall (GTK_CONTAINER (f.window), find_stack_cb, &f.stack);
  g_assert_nonnull (f.stack);
  g_assert_cmpint (n_pages (f.stack), ==, 1);
  g_assert_null (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (f.window)));

  gtk_widget_realize (GTK_WIDGET (f.window));
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (f.window)), "after-paint",
                    G_CALLBACK (after_paint_cb), &f);
  gtk_window_present (GTK_WINDOW (f.window));

  iterate_until (first_paint_done, &f, "first frame");
  g_assert_cmpint (f.pages_at_first_paint, ==, 1);
  g_assert_false (f.svg_at_first_paint);

  /* The rest come by themselves, in the wizard's order, behind the first. */
  iterate_until (all_pages_built, &f, "page built after the first frame");
  children = gtk_container_get_children (GTK_CONTAINER (f.stack));
  for (l = children, i = 0; l != NULL; l = l->next, i++)
    {
      g_autofree char *name = NULL;

      gtk_container_child_get (GTK_CONTAINER (f.stack), l->data, "name", &name, NULL);
      g_assert_cmpstr (name, ==, page_names[i]);
    }
  g_assert_cmpstr (gtk_stack_get_visible_child_name (f.stack), ==, "account");
  g_assert_null (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (f.window)));

  /* Ctrl+? still shows the shortcuts: built then. */
  g_action_group_activate_action (G_ACTION_GROUP (f.window), "show-help-overlay", NULL);
  overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (f.window));
  g_assert_nonnull (overlay);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (overlay)));
  gtk_widget_hide (GTK_WIDGET (overlay));

  gtk_widget_destroy (GTK_WIDGET (f.window));
  g_application_release (G_APPLICATION (app));
}

/* The progress row's spinner, styled by the wizard's style sheet, spins
 * without the SVG loader: the theme's process-working-symbolic is an SVG,
 * the wizard's is pre-rendered (ui/icons/README.md). Alone in its process:
 * another test's window may have loaded the SVG loader for itself. */
static void
count_paint_cb (GdkFrameClock *clock, int *paints)
{
  (*paints)++;
}

static void
spinner_child (void)
{
  g_autoptr(GtkCssProvider) css = NULL;
  GtkWidget *window, *row, *spinner;
  int paints = 0;
  gint64 deadline = g_get_monotonic_time () + HANG_GUARD_S * G_USEC_PER_SEC;

  g_assert_true (gtk_init_check (NULL, NULL));
  css = gtk_css_provider_new ();
  window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  spinner = gtk_spinner_new ();
  gtk_css_provider_load_from_resource (css, RESOURCE_PREFIX "/style.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_style_context_add_class (gtk_widget_get_style_context (row), "sd-progress");
  gtk_widget_set_valign (spinner, GTK_ALIGN_CENTER);
  gtk_container_add (GTK_CONTAINER (row), spinner);
  gtk_container_add (GTK_CONTAINER (row), gtk_label_new ("Checking"));
  gtk_container_add (GTK_CONTAINER (window), row);
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_show_all (window);
  gtk_widget_realize (window);
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (count_paint_cb), &paints);
  /* The first frame and a few more of the spinning. */
  while (paints < 6 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (paints, >=, 6);
  g_assert_true (gtk_widget_get_mapped (spinner));
  g_assert_false (svg_loader_loaded ());
  gtk_widget_destroy (window);
}

static void
test_spinner_without_svg (void)
{
  if (g_test_subprocess ())
    {
      spinner_child ();
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_first_window (void)
{
  g_autoptr(GtkApplication) app = gtk_application_new ("io.github.sipdoctor.SipDoctor.TestWindowStart",
                                                       G_APPLICATION_NON_UNIQUE);
  char *argv[] = { (char *) "test-window-start", NULL };

  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), NULL);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 1, argv), ==, 0);
}

int
main (int argc, char **argv)
{
  /* Not about accessibility, and GTK 3.24.38's bridge prints a critical
   * when a shortcuts window that was shown goes with its window (the
   * known issue in tests/gui/README.md): without the bridge. */
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/window-start/first-window", test_first_window);
  g_test_add_func ("/window-start/spinner-without-svg", test_spinner_without_svg);
  return g_test_run ();
}
