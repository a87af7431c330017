/* sd-tls-trust.c: the run's trust store (see sd-tls-trust.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-tls-trust"

#include <string.h>
#include "sd-tls-trust.h"

struct _SdTlsTrust {
  gatomicrefcount ref;
  GMutex          use;   /* held by a user of @list, from acquire to release */
  char           *ca_file;
  gnutls_x509_trust_list_t list;
  int             n_system;
  int             n_file;
  guint           n_crl;
};

static gint n_loads;

/* The CA file may also hold CRLs (PEM "X509 CRL" blocks): then revocation
 * is checked against them. */
static guint
count_crls (const char *ca_file)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (ca_file == NULL || !g_file_get_contents (ca_file, &text, NULL, NULL))
    return 0;
  for (const char *p = text; (p = strstr (p, "-----BEGIN X509 CRL-----")) != NULL; p++)
    n++;
  return n;
}

SdTlsTrust *
sd_tls_trust_load (const char *ca_file)
{
  SdTlsTrust *self = g_new0 (SdTlsTrust, 1);
  gint64 start = g_get_monotonic_time ();

  g_atomic_ref_count_init (&self->ref);
  g_mutex_init (&self->use);
  self->ca_file = g_strdup (ca_file);
  self->n_crl = count_crls (ca_file);
  g_atomic_int_inc (&n_loads);
  if (gnutls_x509_trust_list_init (&self->list, 0) < 0)
    {
      self->list = NULL;
      return self;
    }
  self->n_system = gnutls_x509_trust_list_add_system_trust (self->list, 0, 0);
  if (ca_file != NULL)
    self->n_file = gnutls_x509_trust_list_add_trust_file (self->list, ca_file, self->n_crl > 0 ? ca_file : NULL,
                                                          GNUTLS_X509_FMT_PEM, GNUTLS_TL_VERIFY_CRL, 0);
  g_debug ("Trust store loaded in %.1f ms: %d system, %d from the CA file, %u CRLs",
           (g_get_monotonic_time () - start) / 1000.0, self->n_system, self->n_file, self->n_crl);
  return self;
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, sd_tls_trust_load (task_data), (GDestroyNotify) sd_tls_trust_unref);
}

void
sd_tls_trust_load_async (const char          *ca_file,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, sd_tls_trust_load_async);
  g_task_set_task_data (task, g_strdup (ca_file), g_free);
  /* Not return-on-cancel: the task returns only when the thread is done
   * with GnuTLS, so whoever waits for it can let the process exit. */
  g_task_run_in_thread (task, load_thread);
}

SdTlsTrust *
sd_tls_trust_load_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_tls_trust_load_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

SdTlsTrust *
sd_tls_trust_ref (SdTlsTrust *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
sd_tls_trust_unref (SdTlsTrust *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  if (self->list != NULL)
    gnutls_x509_trust_list_deinit (self->list, 1);
  g_mutex_clear (&self->use);
  g_free (self->ca_file);
  g_free (self);
}

const char *
sd_tls_trust_get_ca_file (SdTlsTrust *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->ca_file;
}

void
sd_tls_trust_get_counts (SdTlsTrust *self, int *n_system, int *n_file, guint *n_crl)
{
  g_return_if_fail (self != NULL);
  if (n_system != NULL)
    *n_system = self->n_system;
  if (n_file != NULL)
    *n_file = self->n_file;
  if (n_crl != NULL)
    *n_crl = self->n_crl;
}

gnutls_x509_trust_list_t
sd_tls_trust_acquire (SdTlsTrust *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_mutex_lock (&self->use);
  return self->list;
}

void
sd_tls_trust_release (SdTlsTrust *self)
{
  g_return_if_fail (self != NULL);
  g_mutex_unlock (&self->use);
}

guint
sd_tls_trust_get_n_loads (void)
{
  return (guint) g_atomic_int_get (&n_loads);
}

struct _SdTlsTrustLoader {
  gatomicrefcount ref;
  char           *ca_file;
  gboolean        done;
  SdTlsTrust     *trust;    /* once @done; NULL when cancelled */
  GPtrArray      *waiters;  /* GTask*, until @done */
};

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SdTlsTrustLoader) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);

  self->trust = sd_tls_trust_load_finish (result, &error);
  if (self->trust == NULL)
    g_debug ("Trust store not loaded: %s", error->message);
  self->done = TRUE;
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = waiters->pdata[i];
      g_task_return_pointer (task, self->trust != NULL ? sd_tls_trust_ref (self->trust) : NULL,
                             (GDestroyNotify) sd_tls_trust_unref);
    }
}

SdTlsTrustLoader *
sd_tls_trust_loader_new (const char *ca_file, GCancellable *cancellable)
{
  SdTlsTrustLoader *self = g_new0 (SdTlsTrustLoader, 1);

  g_atomic_ref_count_init (&self->ref);
  self->ca_file = g_strdup (ca_file);
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  /* The thread's callback keeps the loader: the run may let go first. */
  sd_tls_trust_load_async (ca_file, cancellable, loaded_cb, sd_tls_trust_loader_ref (self));
  return self;
}

SdTlsTrustLoader *
sd_tls_trust_loader_ref (SdTlsTrustLoader *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
sd_tls_trust_loader_unref (SdTlsTrustLoader *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_clear_pointer (&self->trust, sd_tls_trust_unref);
  g_clear_pointer (&self->waiters, g_ptr_array_unref);
  g_free (self->ca_file);
  g_free (self);
}

const char *
sd_tls_trust_loader_get_ca_file (SdTlsTrustLoader *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->ca_file;
}

gboolean
sd_tls_trust_loader_is_done (SdTlsTrustLoader *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->done;
}

SdTlsTrust *
sd_tls_trust_loader_peek (SdTlsTrustLoader *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->trust;
}

void
sd_tls_trust_loader_wait_async (SdTlsTrustLoader    *self,
                                gpointer             source_object,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (self != NULL);
  task = g_task_new (source_object, NULL, callback, user_data);
  g_task_set_source_tag (task, sd_tls_trust_loader_wait_async);
  if (self->done)
    {
      g_task_return_pointer (task, self->trust != NULL ? sd_tls_trust_ref (self->trust) : NULL,
                             (GDestroyNotify) sd_tls_trust_unref);
      g_object_unref (task);
      return;
    }
  g_ptr_array_add (self->waiters, task);
}

SdTlsTrust *
sd_tls_trust_loader_wait_finish (GAsyncResult *result)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_tls_trust_loader_wait_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), NULL);
}
