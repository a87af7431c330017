/* sd-deadline.c: a GCancellable with a timer, chained to a parent.
 *
 * The timer and the parent's "cancelled" handler reach the deadline
 * through a GWeakRef: the last reference may be dropped on a GIO worker
 * thread (a TLS handshake holds the cancellable there), and a callback
 * then finds nothing instead of freed memory.
 *
 * Finalizing must not take GCancellable's global lock: GIO drops its
 * reference to a cancellable from inside a GCancellableSource's dispose,
 * which holds that lock (GLib 2.74). So finalize neither destroys a
 * GCancellableSource nor calls g_cancellable_disconnect(): it detaches
 * from the parent with g_signal_handler_disconnect(), which is also safe
 * from inside the parent's own emission (when its handler dropped the
 * last reference).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-deadline"

#include "sd-deadline.h"

struct _SdDeadline {
  GCancellable  parent_instance;
  GCancellable *parent;
  GSource      *timer;
  gulong        parent_id;
  gint64        end_us;
  gboolean      expired;
};

G_DEFINE_FINAL_TYPE (SdDeadline, sd_deadline, G_TYPE_CANCELLABLE)

static void
weak_box_free (gpointer data)
{
  GWeakRef *box = data;

  g_weak_ref_clear (box);
  g_free (box);
}

static GWeakRef *
weak_box_new (SdDeadline *self)
{
  GWeakRef *box = g_new0 (GWeakRef, 1);

  g_weak_ref_init (box, self);
  return box;
}

static void
drop_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
sd_deadline_finalize (GObject *object)
{
  SdDeadline *self = SD_DEADLINE (object);

  drop_source (&self->timer);
  if (self->parent_id != 0)
    g_signal_handler_disconnect (self->parent, self->parent_id);
  g_clear_object (&self->parent);
  G_OBJECT_CLASS (sd_deadline_parent_class)->finalize (object);
}

static void
sd_deadline_class_init (SdDeadlineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sd_deadline_finalize;
}

static void
sd_deadline_init (SdDeadline *self)
{
}

static gboolean
timer_cb (gpointer user_data)
{
  g_autoptr(SdDeadline) self = g_weak_ref_get (user_data);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  g_clear_pointer (&self->timer, g_source_unref);
  /* Set before cancelling: "cancelled" handlers may already ask. */
  if (!g_cancellable_is_cancelled (G_CANCELLABLE (self)))
    {
      self->expired = TRUE;
      g_cancellable_cancel (G_CANCELLABLE (self));
    }
  return G_SOURCE_REMOVE;
}

static void
parent_cancelled_cb (GCancellable *parent, gpointer user_data)
{
  g_autoptr(SdDeadline) self = g_weak_ref_get (user_data);

  /* The timer is left alone: the parent may be cancelled from another
   * thread, and the timer finds the deadline cancelled and does nothing. */
  if (self != NULL)
    g_cancellable_cancel (G_CANCELLABLE (self));
}

SdDeadline *
sd_deadline_new (guint timeout_ms, GCancellable *parent)
{
  SdDeadline *self = g_object_new (SD_TYPE_DEADLINE, NULL);
  GMainContext *context = g_main_context_get_thread_default ();

  g_return_val_if_fail (parent == NULL || G_IS_CANCELLABLE (parent), self);

  self->end_us = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  if (parent != NULL)
    {
      self->parent = g_object_ref (parent);
      if (g_cancellable_is_cancelled (parent))
        {
          g_cancellable_cancel (G_CANCELLABLE (self));
          return self;
        }
      self->parent_id = g_cancellable_connect (parent, G_CALLBACK (parent_cancelled_cb),
                                               weak_box_new (self), weak_box_free);
    }
  self->timer = g_timeout_source_new (timeout_ms);
  g_source_set_callback (self->timer, timer_cb, weak_box_new (self), weak_box_free);
  g_source_attach (self->timer, context);
  return self;
}

gboolean
sd_deadline_expired (SdDeadline *self)
{
  g_return_val_if_fail (SD_IS_DEADLINE (self), FALSE);
  return self->expired && (self->parent == NULL || !g_cancellable_is_cancelled (self->parent));
}

void
sd_deadline_stop (SdDeadline *self)
{
  g_return_if_fail (SD_IS_DEADLINE (self));
  drop_source (&self->timer);
}

guint
sd_deadline_remaining_ms (SdDeadline *self)
{
  gint64 left;

  g_return_val_if_fail (SD_IS_DEADLINE (self), 0);
  if (self->expired)
    return 0;
  left = self->end_us - g_get_monotonic_time ();
  return left > 0 ? (guint) ((left + 999) / 1000) : 0;
}

gboolean
sd_deadline_translate_error (SdDeadline  *self,
                             GError     **error,
                             const char  *format,
                             ...)
{
  va_list args;
  char *message;

  g_return_val_if_fail (SD_IS_DEADLINE (self), FALSE);
  if (error == NULL || *error == NULL || !sd_deadline_expired (self))
    return FALSE;
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return TRUE;
  if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_clear_error (error);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, message);
  g_free (message);
  return TRUE;
}
