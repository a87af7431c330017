/* sd-window.c: the assistant: header bar, pages, progress and Cancel.
 *
 * Modelled on gnome-initial-setup's GisAssistant: the pages sit in a
 * GtkStack in the order of one table; while a page runs its checks the
 * window shows what is running and a Cancel that stops it at once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#if HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include "sd-window.h"
#include "sd-page.h"
#include "sd-gui-util.h"
#include "sd-account-page.h"
#include "sd-server-page.h"
#include "sd-dns-page.h"
#include "sd-connection-page.h"
#include "sd-signin-page.h"
#include "sd-summary-page.h"

/* The page order, in one place. */
static const struct {
  const char *name;
  GType     (*get_type) (void);
} page_table[] = {
  { "account",    sd_account_page_get_type },
  { "server",     sd_server_page_get_type },
  { "dns",        sd_dns_page_get_type },
  { "connection", sd_connection_page_get_type },
  { "sign-in",    sd_signin_page_get_type },
  { "summary",    sd_summary_page_get_type },
};
#define N_PAGES G_N_ELEMENTS (page_table)
#define SUMMARY_PAGE (N_PAGES - 1)

struct _SdWindow {
  GtkApplicationWindow  parent_instance;

  GtkHeaderBar         *header_bar;
  GtkButton            *back_button;
  GtkButton            *next_button;
  GtkButton            *cancel_button;
  GtkStack             *stack;
  GtkRevealer          *progress_revealer;
  GtkSpinner           *spinner;
  GtkLabel             *progress_label;

  SdPage               *pages[N_PAGES];   /* built in order, on first need (get_page) */
  guint                 n_built;
  guint                 build_rest_id;
  gboolean              waits_for_paint;
  guint                 current;

  SdRun                *run;
  SdConfig             *run_config;
  GCancellable         *cancellable;
  SdPage               *busy_page;     /* whose run has not returned yet */
  gboolean              run_pending;   /* run the current page once busy_page returns */
  gboolean              force_new_run;
  gboolean              disposed;

  GSettings            *settings;
  int                   width;
  int                   height;
  gboolean              maximized;
};

G_DEFINE_FINAL_TYPE (SdWindow, sd_window, GTK_TYPE_APPLICATION_WINDOW)

static void run_current_page (SdWindow *self);
static void page_notify_cb (SdWindow *self);
static void check_everything_cb (SdWindow *self);
static void run_again_cb (SdWindow *self);

static void
build_next_page (SdWindow *self)
{
  guint i = self->n_built;
  SdPage *page = g_object_new (page_table[i].get_type (), NULL);

  self->pages[i] = page;
  self->n_built++;
  gtk_widget_show (GTK_WIDGET (page));
  gtk_stack_add_named (self->stack, GTK_WIDGET (page), page_table[i].name);
  g_signal_connect_object (page, "notify::complete", G_CALLBACK (page_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (page, "notify::applying", G_CALLBACK (page_notify_cb), self, G_CONNECT_SWAPPED);
  if (SD_IS_SERVER_PAGE (page))
    g_signal_connect_object (page, "check-everything", G_CALLBACK (check_everything_cb),
                             self, G_CONNECT_SWAPPED);
  if (SD_IS_SUMMARY_PAGE (page))
    g_signal_connect_object (page, "run-again", G_CALLBACK (run_again_cb), self, G_CONNECT_SWAPPED);
}

/* The pages are built in their order, so the stack keeps it (the slide
 * goes the right way): the first with the window, the others after its
 * first frame (build_rest_cb) or when one is needed earlier. Building and
 * styling the other five held the first window up by about a quarter of
 * its time (bench/README.md). */
static SdPage *
get_page (SdWindow *self, guint index)
{
  g_return_val_if_fail (index < N_PAGES, NULL);

  while (self->n_built <= index)
    build_next_page (self);
  return self->pages[index];
}

static gboolean
build_rest_cb (gpointer data)
{
  SdWindow *self = data;

  /* One page an idle: typing on the first page is not held up. */
  if (self->n_built < N_PAGES)
    build_next_page (self);
  if (self->n_built < N_PAGES)
    return G_SOURCE_CONTINUE;
  self->build_rest_id = 0;
  return G_SOURCE_REMOVE;
}

static void
after_first_paint_cb (GdkFrameClock *clock, SdWindow *self)
{
  g_signal_handlers_disconnect_by_func (clock, after_first_paint_cb, self);
  if (self->n_built < N_PAGES && self->build_rest_id == 0)
    self->build_rest_id = g_idle_add (build_rest_cb, self);
}

static void
sd_window_realize (GtkWidget *widget)
{
  SdWindow *self = SD_WINDOW (widget);
  GdkFrameClock *clock;

  GTK_WIDGET_CLASS (sd_window_parent_class)->realize (widget);
  clock = gtk_widget_get_frame_clock (widget);
  if (clock != NULL && !self->waits_for_paint && self->n_built < N_PAGES)
    {
      self->waits_for_paint = TRUE;
      g_signal_connect_object (clock, "after-paint", G_CALLBACK (after_first_paint_cb), self, 0);
    }
}

static gboolean
page_needs_run (SdWindow *self, guint index)
{
  return index == SUMMARY_PAGE || sd_page_get_last_step (get_page (self, index)) != SD_PAGE_NO_STEP;
}

static void
update_buttons (SdWindow *self)
{
  SdPage *page = self->pages[self->current];
  gboolean applying = sd_page_get_applying (page);
  gboolean running = self->cancellable != NULL;
  g_autofree char *subtitle = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->back_button), self->current > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->next_button), self->current < SUMMARY_PAGE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button),
                            sd_page_get_complete (page) && !applying && self->busy_page == NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), running);

  gtk_header_bar_set_title (self->header_bar, sd_page_get_title (page));
  /* Translators: shown under the page title: "Step 2 of 6" */
  subtitle = g_strdup_printf (_("Step %u of %u"), self->current + 1, (guint) N_PAGES);
  gtk_header_bar_set_subtitle (self->header_bar, subtitle);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "cancel")),
                               running);

  gtk_revealer_set_reveal_child (self->progress_revealer, running);
  if (running)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);

  if (gtk_widget_get_visible (GTK_WIDGET (self->next_button))
      && gtk_widget_get_sensitive (GTK_WIDGET (self->next_button)))
    gtk_widget_grab_default (GTK_WIDGET (self->next_button));
}

static void
page_notify_cb (SdWindow *self)
{
  update_buttons (self);
}

static gboolean
config_equal (const SdConfig *a, const SdConfig *b)
{
  return g_strcmp0 (a->address, b->address) == 0
      && g_strcmp0 (a->sign_in, b->sign_in) == 0
      && g_strcmp0 (a->password, b->password) == 0
      && g_strcmp0 (a->server, b->server) == 0
      && a->transport == b->transport
      && a->client == b->client
      && g_strcmp0 (a->ca_file, b->ca_file) == 0
      && a->strict_dns_naming == b->strict_dns_naming
      && g_strcmp0 (a->dns_server, b->dns_server) == 0
      && a->timeout_s == b->timeout_s
      && a->allow_untrusted == b->allow_untrusted;
}

static void
step_started_cb (SdWindow *self, guint step, SdRun *run)
{
  g_autofree char *text = NULL;

  if (step >= SD_N_STEPS)
    return;
  /* Translators: %s is the title of a check, such as "Connection" */
  text = g_strdup_printf (_("Checking: %s…"), sd_step_title (step));
  gtk_label_set_text (self->progress_label, text);
}

static void
step_updated_cb (SdWindow *self, guint step, const char *message, SdRun *run)
{
  if (message != NULL && *message != '\0')
    {
      g_autofree char *shown = sd_gui_display_text (message);
      gtk_label_set_text (self->progress_label, shown);
    }
}

/* One run per set of inputs: a changed input (or Run Again) makes a new one,
 * and every page shows that one. */
static void
ensure_run (SdWindow *self)
{
  g_autoptr(SdConfig) config = sd_config_new ();

  /* Advice then names the wizard's fields, not the command line's options. */
  config->face = SD_FACE_GUI;
  for (guint i = 0; i < N_PAGES; i++)
    sd_page_fill_config (get_page (self, i), config);

  if (self->run != NULL && !self->force_new_run && config_equal (config, self->run_config))
    return;

  self->force_new_run = FALSE;
  if (self->run != NULL)
    g_signal_handlers_disconnect_by_data (self->run, self);
  g_clear_object (&self->run);
  g_clear_pointer (&self->run_config, sd_config_free);

  self->run = sd_run_new (config);
  self->run_config = g_steal_pointer (&config);
  g_signal_connect_object (self->run, "step-started", G_CALLBACK (step_started_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->run, "step-updated", G_CALLBACK (step_updated_cb), self, G_CONNECT_SWAPPED);

  for (guint i = 0; i < N_PAGES; i++)
    {
      sd_page_remember (self->pages[i], self->settings);
      sd_page_set_run (self->pages[i], self->run);
    }
}

/* The run's threads (the trust store's load, the certificate checks, the
 * handshakes) allocate in glibc arenas of their own, and glibc keeps what
 * they free inside an arena until it is asked for it (about 4 MiB after
 * Check Everything when GnuTLS parsed the store whole). Low priority: after the engine's own clean-up at the
 * end of a run and after the pages have drawn what it found. */
static gboolean
trim_memory_cb (gpointer data)
{
#if HAVE_MALLOC_TRIM
  malloc_trim (0);
#endif
  return G_SOURCE_REMOVE;
}

static void
page_run_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SdWindow) self = user_data;   /* a reference: the window may be closing */
  g_autoptr(GError) error = NULL;
  gboolean cancelled;

  sd_page_run_finish (SD_PAGE (source), result, &error);
  cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (error != NULL && !cancelled)
    g_warning ("Checks stopped: %s", error->message);
  if (self->disposed)
    return;

  if (self->busy_page == SD_PAGE (source))
    self->busy_page = NULL;
  g_idle_add_full (G_PRIORITY_LOW, trim_memory_cb, NULL, NULL);
  if (!cancelled)
    g_clear_object (&self->cancellable);

  if (self->run_pending)
    {
      self->run_pending = FALSE;
      run_current_page (self);
      return;
    }
  update_buttons (self);
}

static void
run_current_page (SdWindow *self)
{
  SdPage *page = self->pages[self->current];

  if (self->busy_page != NULL)
    {
      /* The previous page is still stopping; go on when it has. */
      self->run_pending = TRUE;
      return;
    }

  ensure_run (self);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->busy_page = page;
  gtk_label_set_text (self->progress_label, _("Starting the checks…"));
  sd_page_run_async (page, self->cancellable, page_run_cb, g_object_ref (self));
  update_buttons (self);
}

static void
cancel_running (SdWindow *self)
{
  self->run_pending = FALSE;
  if (self->cancellable == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  update_buttons (self);
}

static void
go_to (SdWindow *self, guint index)
{
  g_return_if_fail (index < N_PAGES);

  cancel_running (self);
  self->current = index;
  gtk_stack_set_visible_child (self->stack, GTK_WIDGET (get_page (self, index)));
  update_buttons (self);
  sd_page_shown (self->pages[index]);
  if (page_needs_run (self, index))
    run_current_page (self);
}

static void
back_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SdWindow *self = SD_WINDOW (user_data);

  if (self->current > 0)
    go_to (self, self->current - 1);
}

static void
next_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SdWindow *self = SD_WINDOW (user_data);

  if (!gtk_widget_is_sensitive (GTK_WIDGET (self->next_button))
      || !gtk_widget_get_visible (GTK_WIDGET (self->next_button)))
    return;
  go_to (self, self->current + 1);
}

static void
cancel_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SdWindow *self = SD_WINDOW (user_data);

  cancel_running (self);
}

static void
back_clicked_cb (SdWindow *self)
{
  back_action_cb (NULL, NULL, self);
}

static void
next_clicked_cb (SdWindow *self)
{
  next_action_cb (NULL, NULL, self);
}

static void
cancel_clicked_cb (SdWindow *self)
{
  cancel_running (self);
}

static void
check_everything_cb (SdWindow *self)
{
  go_to (self, SUMMARY_PAGE);
}

static void
run_again_cb (SdWindow *self)
{
  cancel_running (self);
  self->force_new_run = TRUE;
  run_current_page (self);
}

/* Built when first asked for, not with every window as GtkApplication does
 * with a gtk/help-overlay.ui resource: that cost the first window a
 * GtkBuilder pass over every shortcut, for a window few people open. */
static void
show_help_overlay_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplicationWindow *window = GTK_APPLICATION_WINDOW (user_data);
  GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (window);

  if (overlay == NULL)
    {
      g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource (RESOURCE_PREFIX "/sd-shortcuts-window.ui");

      overlay = GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "help_overlay"));
      gtk_application_window_set_help_overlay (window, overlay);
    }
  gtk_widget_show (GTK_WIDGET (overlay));
}

static const GActionEntry win_entries[] = {
  { "back", back_action_cb },
  { "next", next_action_cb },
  { "cancel", cancel_action_cb },
  { "show-help-overlay", show_help_overlay_action_cb },
};

static void
sd_window_size_allocate (GtkWidget *widget, GtkAllocation *allocation)
{
  SdWindow *self = SD_WINDOW (widget);

  GTK_WIDGET_CLASS (sd_window_parent_class)->size_allocate (widget, allocation);
  if (!self->maximized)
    gtk_window_get_size (GTK_WINDOW (self), &self->width, &self->height);
}

static gboolean
sd_window_window_state_event (GtkWidget *widget, GdkEventWindowState *event)
{
  SdWindow *self = SD_WINDOW (widget);

  self->maximized = (event->new_window_state & GDK_WINDOW_STATE_MAXIMIZED) != 0;
  return GTK_WIDGET_CLASS (sd_window_parent_class)->window_state_event (widget, event);
}

static void
sd_window_dispose (GObject *object)
{
  SdWindow *self = SD_WINDOW (object);

  if (!self->disposed && self->settings != NULL)
    {
      g_settings_set_int (self->settings, "window-width", self->width);
      g_settings_set_int (self->settings, "window-height", self->height);
      g_settings_set_boolean (self->settings, "window-maximized", self->maximized);
    }
  self->disposed = TRUE;
  self->run_pending = FALSE;
  g_clear_handle_id (&self->build_rest_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->run != NULL)
    g_signal_handlers_disconnect_by_data (self->run, self);
  g_clear_object (&self->run);
  g_clear_pointer (&self->run_config, sd_config_free);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (sd_window_parent_class)->dispose (object);
}

static void
sd_window_class_init (SdWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sd_window_dispose;
  widget_class->realize = sd_window_realize;
  widget_class->size_allocate = sd_window_size_allocate;
  widget_class->window_state_event = sd_window_window_state_event;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/sipdoctor/SipDoctor/sd-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SdWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, SdWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, SdWindow, next_button);
  gtk_widget_class_bind_template_child (widget_class, SdWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, SdWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SdWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, SdWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, SdWindow, progress_label);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, next_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
}

static void
sd_window_init (SdWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries), self);

  self->settings = g_settings_new (BASE_APPLICATION_ID);
  self->width = g_settings_get_int (self->settings, "window-width");
  self->height = g_settings_get_int (self->settings, "window-height");
  self->maximized = g_settings_get_boolean (self->settings, "window-maximized");
  gtk_window_set_default_size (GTK_WINDOW (self), self->width, self->height);
  if (self->maximized)
    gtk_window_maximize (GTK_WINDOW (self));

  if (g_str_has_suffix (APPLICATION_ID, ".Devel"))
    gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (self)), "devel");

  get_page (self, 0);
  self->current = 0;
  update_buttons (self);
  sd_page_shown (self->pages[0]);
}

SdWindow *
sd_window_new (GtkApplication *application)
{
  return g_object_new (SD_TYPE_WINDOW, "application", application, NULL);
}

void
sd_window_set_address (SdWindow *self, const char *address)
{
  g_return_if_fail (SD_IS_WINDOW (self));

  sd_account_page_set_address (SD_ACCOUNT_PAGE (self->pages[0]), address);
  go_to (self, 0);
}
