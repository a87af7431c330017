/* sd-page.c: the base of every page of the wizard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-page.h"
#include "sd-gui-util.h"

typedef struct {
  char     *title;
  gboolean  complete;
  gboolean  applying;
  int         last_step;
  SdRun      *run;
  SdRunWatch  watch;
  SdStepId    first_step;
  GtkListBox *steps_list;
  GtkWidget  *findings_box;
  GtkListBox *findings_list;
} SdPagePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (SdPage, sd_page, GTK_TYPE_BIN)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_COMPLETE,
  PROP_APPLYING,
  PROP_LAST_STEP,
  PROP_RUN,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

static void
execute_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* Only the task is touched here: it keeps the page alive. */
  if (!sd_run_execute_finish (SD_RUN (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
sd_page_real_run_async (SdPage              *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, sd_page_real_run_async);
  if (priv->last_step == SD_PAGE_NO_STEP || priv->run == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  sd_run_execute_async (priv->run, (SdStepId) priv->last_step, cancellable, execute_cb, task);
}

static gboolean
sd_page_real_run_finish (SdPage        *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sd_page_dispose (GObject *object)
{
  SdPagePrivate *priv = sd_page_get_instance_private (SD_PAGE (object));

  sd_run_watch_clear (&priv->watch);
  G_OBJECT_CLASS (sd_page_parent_class)->dispose (object);
}

static void
sd_page_finalize (GObject *object)
{
  SdPagePrivate *priv = sd_page_get_instance_private (SD_PAGE (object));

  g_free (priv->title);
  g_clear_object (&priv->run);
  G_OBJECT_CLASS (sd_page_parent_class)->finalize (object);
}

static void
sd_page_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  SdPagePrivate *priv = sd_page_get_instance_private (SD_PAGE (object));

  switch (prop_id)
    {
    case PROP_TITLE: g_value_set_string (value, priv->title); break;
    case PROP_COMPLETE: g_value_set_boolean (value, priv->complete); break;
    case PROP_APPLYING: g_value_set_boolean (value, priv->applying); break;
    case PROP_LAST_STEP: g_value_set_int (value, priv->last_step); break;
    case PROP_RUN: g_value_set_object (value, priv->run); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sd_page_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  SdPage *self = SD_PAGE (object);

  switch (prop_id)
    {
    case PROP_TITLE: sd_page_set_title (self, g_value_get_string (value)); break;
    case PROP_COMPLETE: sd_page_set_complete (self, g_value_get_boolean (value)); break;
    case PROP_LAST_STEP: sd_page_set_last_step (self, g_value_get_int (value)); break;
    case PROP_RUN: sd_page_set_run (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sd_page_class_init (SdPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sd_page_dispose;
  object_class->finalize = sd_page_finalize;
  object_class->get_property = sd_page_get_property;
  object_class->set_property = sd_page_set_property;

  klass->run_async = sd_page_real_run_async;
  klass->run_finish = sd_page_real_run_finish;

  props[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL,
                                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_COMPLETE] = g_param_spec_boolean ("complete", NULL, NULL, FALSE,
                                               G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_APPLYING] = g_param_spec_boolean ("applying", NULL, NULL, FALSE,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_LAST_STEP] = g_param_spec_int ("last-step", NULL, NULL, SD_PAGE_NO_STEP, SD_N_STEPS - 1,
                                            SD_PAGE_NO_STEP,
                                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_RUN] = g_param_spec_object ("run", NULL, NULL, SD_TYPE_RUN,
                                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
sd_page_init (SdPage *self)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);

  priv->last_step = SD_PAGE_NO_STEP;
}

const char *
sd_page_get_title (SdPage *self)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);
  return priv->title;
}

void
sd_page_set_title (SdPage *self, const char *title)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);

  if (g_strcmp0 (priv->title, title) == 0)
    return;
  g_free (priv->title);
  priv->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TITLE]);
}

gboolean
sd_page_get_complete (SdPage *self)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);
  return priv->complete;
}

void
sd_page_set_complete (SdPage *self, gboolean complete)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);

  complete = !!complete;
  if (priv->complete == complete)
    return;
  priv->complete = complete;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_COMPLETE]);
}

gboolean
sd_page_get_applying (SdPage *self)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);
  return priv->applying;
}

static void
set_applying (SdPage *self, gboolean applying)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);

  if (priv->applying == applying)
    return;
  priv->applying = applying;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_APPLYING]);
}

int
sd_page_get_last_step (SdPage *self)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);
  return priv->last_step;
}

void
sd_page_set_last_step (SdPage *self, int last_step)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);

  if (priv->last_step == last_step)
    return;
  priv->last_step = last_step;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LAST_STEP]);
}

SdRun *
sd_page_get_run (SdPage *self)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);
  return priv->run;
}

static void
watch_refresh_cb (gpointer data)
{
  SdPage *self = data;
  SdPagePrivate *priv = sd_page_get_instance_private (self);

  if (priv->steps_list != NULL && priv->last_step != SD_PAGE_NO_STEP)
    sd_gui_fill_steps (priv->steps_list, priv->run, priv->first_step, (SdStepId) priv->last_step);
  if (priv->findings_list != NULL && priv->last_step != SD_PAGE_NO_STEP)
    {
      guint n = sd_gui_fill_findings (priv->findings_list, priv->run, priv->first_step,
                                      (SdStepId) priv->last_step);
      gtk_widget_set_visible (priv->findings_box, n > 0);
    }
  if (SD_PAGE_GET_CLASS (self)->refresh != NULL)
    SD_PAGE_GET_CLASS (self)->refresh (self);
}

void
sd_page_set_run (SdPage *self, SdRun *run)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);

  if (!g_set_object (&priv->run, run))
    return;
  if (SD_PAGE_GET_CLASS (self)->run_changed != NULL)
    SD_PAGE_GET_CLASS (self)->run_changed (self);
  if (SD_PAGE_GET_CLASS (self)->refresh != NULL || priv->steps_list != NULL)
    sd_run_watch_set (&priv->watch, run, watch_refresh_cb, self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUN]);
}

void
sd_page_set_step_views (SdPage     *self,
                        SdStepId    first_step,
                        GtkListBox *steps_list,
                        GtkWidget  *findings_box,
                        GtkListBox *findings_list)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);

  g_return_if_fail (first_step < SD_N_STEPS);
  g_return_if_fail ((findings_box == NULL) == (findings_list == NULL));

  /* Template children: the template holds them as long as the page. */
  priv->first_step = first_step;
  priv->steps_list = steps_list;
  priv->findings_box = findings_box;
  priv->findings_list = findings_list;
}

void
sd_page_queue_refresh (SdPage *self)
{
  SdPagePrivate *priv = sd_page_get_instance_private (self);

  if (priv->watch.refresh != NULL)
    sd_run_watch_queue (&priv->watch);
}

static void
run_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SdPage *self = SD_PAGE (source);
  GError *error = NULL;

  /* The page is alive (the task holds it); it is no longer applying even
   * when cancelled. */
  set_applying (self, FALSE);
  if (!SD_PAGE_GET_CLASS (self)->run_finish (self, result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
sd_page_run_async (SdPage              *self,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (SD_IS_PAGE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sd_page_run_async);
  set_applying (self, TRUE);
  SD_PAGE_GET_CLASS (self)->run_async (self, cancellable, run_done_cb, task);
}

gboolean
sd_page_run_finish (SdPage        *self,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
sd_page_fill_config (SdPage *self, SdConfig *config)
{
  if (SD_PAGE_GET_CLASS (self)->fill_config != NULL)
    SD_PAGE_GET_CLASS (self)->fill_config (self, config);
}

void
sd_page_remember (SdPage *self, GSettings *settings)
{
  if (SD_PAGE_GET_CLASS (self)->remember != NULL)
    SD_PAGE_GET_CLASS (self)->remember (self, settings);
}

void
sd_page_shown (SdPage *self)
{
  GtkWidget *child = gtk_bin_get_child (GTK_BIN (self));

  /* Keyboard focus scrolls the page so the focused field is in view. */
  if (GTK_IS_SCROLLED_WINDOW (child) && GTK_IS_BIN (gtk_bin_get_child (GTK_BIN (child))))
    {
      GtkWidget *viewport = gtk_bin_get_child (GTK_BIN (child));
      GtkWidget *content = gtk_bin_get_child (GTK_BIN (viewport));

      if (GTK_IS_CONTAINER (content))
        gtk_container_set_focus_vadjustment (GTK_CONTAINER (content),
                                             gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (child)));
    }

  if (SD_PAGE_GET_CLASS (self)->shown != NULL)
    SD_PAGE_GET_CLASS (self)->shown (self);
}
