/* sd-tls-trust.c: the run's trust store (see sd-tls-trust.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-tls-trust"

#include <string.h>
#include "sd-tls-trust.h"
#include "sd-tls-pem.h"

/* More certificates than any trust store holds (Debian's: about 140). */
#define MAX_INDEXED 4096
/* A trust store file larger than this is not read whole into the index. */
#define MAX_STORE_BYTES (16 * 1024 * 1024)

struct _SdTlsTrust {
  gatomicrefcount ref;
  char           *ca_file;
  /* Indexed: raw subject Name (GBytes) → GPtrArray of DER (GBytes): the
   * system store file and the CA file's certificates. */
  GHashTable     *by_subject;
  /* Not indexed (no store file to read, or a CA file with CRLs, which
   * GnuTLS reads itself): the list GnuTLS parsed, shared by turns. */
  GMutex          use;   /* held by a user of @list, from acquire to release */
  gnutls_x509_trust_list_t list;
  gboolean        ca_file_whole;  /* the CA file is read by GnuTLS for each list */
  int             n_system;
  int             n_file;
  guint           n_crl;
};

static gint n_loads;

/* The CA file may also hold CRLs (PEM "X509 CRL" blocks): then revocation
 * is checked against them. */
static guint
count_crls (const char *text)
{
  guint n = 0;

  if (text == NULL)
    return 0;
  for (const char *p = text; (p = strstr (p, "-----BEGIN X509 CRL-----")) != NULL; p++)
    n++;
  return n;
}

typedef struct {
  GHashTable *by_subject;
  int         n;  /* certificates indexed */
} Indexing;

static void
index_cert (GBytes *der, gpointer user_data)
{
  Indexing *ix = user_data;
  const guint8 *subject;
  gsize subject_len;
  gsize len;
  const guint8 *data = g_bytes_get_data (der, &len);
  g_autoptr(GBytes) key = NULL;
  GPtrArray *same;

  if (!sd_tls_der_subject (data, len, &subject, &subject_len))
    return;
  key = g_bytes_new_from_bytes (der, (gsize) (subject - data), subject_len);
  same = g_hash_table_lookup (ix->by_subject, key);
  if (same == NULL)
    {
      same = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_hash_table_insert (ix->by_subject, g_bytes_ref (key), same);
    }
  g_ptr_array_add (same, g_bytes_ref (der));
  ix->n++;
}

/* Indexes the certificates of @text into @by_subject; returns how many
 * were indexed (a block that is not a certificate is no authority). */
static int
index_text (GHashTable *by_subject, const char *text, gsize len)
{
  Indexing ix = { by_subject, 0 };

  sd_tls_pem_foreach_cert (text, len, MAX_INDEXED, index_cert, &ix);
  return ix.n;
}

static GHashTable *
index_new (void)
{
  return g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref,
                                (GDestroyNotify) g_ptr_array_unref);
}

SdTlsTrust *
sd_tls_trust_load (const char *ca_file)
{
  SdTlsTrust *self = g_new0 (SdTlsTrust, 1);
  gint64 start = g_get_monotonic_time ();
  const char *store = SD_SYSTEM_TRUST_FILE;
  g_autofree char *ca_text = NULL;

  g_atomic_ref_count_init (&self->ref);
  g_mutex_init (&self->use);
  self->ca_file = g_strdup (ca_file);
  g_atomic_int_inc (&n_loads);
  if (ca_file != NULL)
    g_file_get_contents (ca_file, &ca_text, NULL, NULL);
  self->n_crl = count_crls (ca_text);

  /* The file GnuTLS reads for its system trust (set at build time; see
   * meson_options.txt, and test-tls-trust, which compares the two). */
  if (store[0] != '\0')
    {
      g_autofree char *text = NULL;
      gsize len = 0;

      if (g_file_get_contents (store, &text, &len, NULL) && len <= MAX_STORE_BYTES)
        {
          self->by_subject = index_new ();
          self->n_system = index_text (self->by_subject, text, len);
          if (self->n_system <= 0)
            g_clear_pointer (&self->by_subject, g_hash_table_unref);
        }
    }
  if (self->by_subject != NULL)
    {
      if (ca_file != NULL && self->n_crl > 0)
        {
          /* CRLs: GnuTLS reads the whole CA file into each list (and
           * counts its authorities here, as it would). */
          gnutls_x509_trust_list_t tl;

          self->ca_file_whole = TRUE;
          if (gnutls_x509_trust_list_init (&tl, 0) >= 0)
            {
              self->n_file = gnutls_x509_trust_list_add_trust_file (tl, ca_file, ca_file, GNUTLS_X509_FMT_PEM,
                                                                    GNUTLS_TL_VERIFY_CRL, 0);
              gnutls_x509_trust_list_deinit (tl, 1);
            }
        }
      else if (ca_text != NULL)
        self->n_file = index_text (self->by_subject, ca_text, strlen (ca_text));
      g_debug ("Trust store indexed in %.1f ms: %d system, %d from the CA file, %u CRLs",
               (g_get_monotonic_time () - start) / 1000.0, self->n_system, self->n_file, self->n_crl);
      return self;
    }

  self->n_system = 0;
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

typedef struct {
  char    *ca_file;
  gboolean warm_tls;
} LoadJob;

static void
load_job_free (LoadJob *job)
{
  g_free (job->ca_file);
  g_free (job);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadJob *job = task_data;
  GError *error = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* The run's first TLS connection would otherwise load glib-networking
   * (the GIO module, its classes, GnuTLS's priorities: 2-4 ms) on the main
   * loop just before its handshake; here it overlaps the DNS look-ups. */
  if (job->warm_tls)
    g_type_class_unref (g_type_class_ref (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ())));
  g_task_return_pointer (task, sd_tls_trust_load (job->ca_file), (GDestroyNotify) sd_tls_trust_unref);
}

static void
load_async (const char          *ca_file,
            gboolean             warm_tls,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  LoadJob *job = g_new0 (LoadJob, 1);

  g_task_set_source_tag (task, sd_tls_trust_load_async);
  job->ca_file = g_strdup (ca_file);
  job->warm_tls = warm_tls;
  g_task_set_task_data (task, job, (GDestroyNotify) load_job_free);
  /* Not return-on-cancel: the task returns only when the thread is done
   * with GnuTLS, so whoever waits for it can let the process exit. */
  g_task_run_in_thread (task, load_thread);
}

void
sd_tls_trust_load_async (const char          *ca_file,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  load_async (ca_file, FALSE, cancellable, callback, user_data);
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
  g_clear_pointer (&self->by_subject, g_hash_table_unref);
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

/* The indexed certificates named @dn, added to @tl once each. */
static void
add_named (SdTlsTrust *self, gnutls_x509_trust_list_t tl, GHashTable *added, const gnutls_datum_t *dn)
{
  g_autoptr(GBytes) key = g_bytes_new_static (dn->data, dn->size);
  GPtrArray *same = g_hash_table_lookup (self->by_subject, key);

  for (guint i = 0; same != NULL && i < same->len; i++)
    {
      GBytes *der = same->pdata[i];
      gsize len;
      gnutls_datum_t d;
      gnutls_x509_crt_t crt;

      if (!g_hash_table_add (added, der))
        continue;
      d.data = (unsigned char *) g_bytes_get_data (der, &len);
      d.size = (unsigned int) len;
      if (gnutls_x509_crt_init (&crt) < 0)
        continue;
      /* The list owns what it took. */
      if (gnutls_x509_crt_import (crt, &d, GNUTLS_X509_FMT_DER) < 0
          || gnutls_x509_trust_list_add_cas (tl, &crt, 1, 0) != 1)
        gnutls_x509_crt_deinit (crt);
    }
}

gnutls_x509_trust_list_t
sd_tls_trust_acquire_for (SdTlsTrust              *self,
                          const gnutls_x509_crt_t *crts,
                          guint                    n)
{
  gnutls_x509_trust_list_t tl = NULL;
  g_autoptr(GHashTable) added = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  if (self->by_subject == NULL)
    {
      g_mutex_lock (&self->use);
      return self->list;
    }
  if (gnutls_x509_trust_list_init (&tl, 0) < 0)
    return NULL;
  added = g_hash_table_new (NULL, NULL);
  /* An authority matters when it issued one of the certificates, or is one
   * of them (a root the server sends, a certificate trusted directly). */
  for (guint i = 0; i < n; i++)
    {
      gnutls_datum_t dn = { NULL, 0 };

      if (gnutls_x509_crt_get_raw_issuer_dn (crts[i], &dn) >= 0)
        {
          add_named (self, tl, added, &dn);
          gnutls_free (dn.data);
        }
      if (gnutls_x509_crt_get_raw_dn (crts[i], &dn) >= 0)
        {
          add_named (self, tl, added, &dn);
          gnutls_free (dn.data);
        }
    }
  if (self->ca_file_whole)
    gnutls_x509_trust_list_add_trust_file (tl, self->ca_file, self->ca_file, GNUTLS_X509_FMT_PEM,
                                           GNUTLS_TL_VERIFY_CRL, 0);
  return tl;
}

void
sd_tls_trust_release_list (SdTlsTrust *self, gnutls_x509_trust_list_t list)
{
  g_return_if_fail (self != NULL);
  if (self->by_subject == NULL)
    {
      g_mutex_unlock (&self->use);
      return;
    }
  if (list != NULL)
    gnutls_x509_trust_list_deinit (list, 1);
}

gboolean
sd_tls_trust_is_indexed (SdTlsTrust *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->by_subject != NULL;
}

GPtrArray *
sd_tls_trust_dup_indexed (SdTlsTrust *self)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (self != NULL, all);
  if (self->by_subject == NULL)
    return all;
  g_hash_table_iter_init (&iter, self->by_subject);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    for (guint i = 0; i < ((GPtrArray *) value)->len; i++)
      g_ptr_array_add (all, g_bytes_ref (((GPtrArray *) value)->pdata[i]));
  return all;
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
  load_async (ca_file, TRUE, cancellable, loaded_cb, sd_tls_trust_loader_ref (self));
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
