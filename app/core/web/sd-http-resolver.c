/* sd-http-resolver.c: GIO's default resolver, answering the names the
 * run's resolver looked up (see sd-http-resolver.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-http"

#include <glib/gi18n-lib.h>
#include "sd-http-resolver.h"

#define SD_TYPE_HTTP_RESOLVER (sd_http_resolver_get_type ())
G_DECLARE_FINAL_TYPE (SdHttpResolver, sd_http_resolver, SD, HTTP_RESOLVER, GResolver)

struct _SdHttpResolver {
  GResolver   parent_instance;
  GResolver  *fallback;   /* the default this one replaced */
  GMutex      lock;       /* GIO may ask from its worker threads */
  GHashTable *names;      /* lower-case host → GPtrArray of GInetAddress */
};

G_DEFINE_FINAL_TYPE (SdHttpResolver, sd_http_resolver, G_TYPE_RESOLVER)

static SdHttpResolver *installed;

/* A copy of the addresses known for @host, or NULL. */
static GList *
known (SdHttpResolver *self, const char *host)
{
  g_autofree char *key = g_ascii_strdown (host, -1);
  GList *list = NULL;
  GPtrArray *addresses;

  g_mutex_lock (&self->lock);
  addresses = g_hash_table_lookup (self->names, key);
  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    list = g_list_append (list, g_object_ref (addresses->pdata[i]));
  g_mutex_unlock (&self->lock);
  return list;
}

static GList *
filter_family (GList *list, GResolverNameLookupFlags flags)
{
  GList *out = NULL;

  for (GList *l = list; l != NULL; l = l->next)
    {
      GSocketFamily family = g_inet_address_get_family (l->data);

      if (((flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY) && family != G_SOCKET_FAMILY_IPV4)
          || ((flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY) && family != G_SOCKET_FAMILY_IPV6))
        g_object_unref (l->data);
      else
        out = g_list_append (out, l->data);
    }
  g_list_free (list);
  return out;
}

static GList *
lookup_by_name_with_flags (GResolver                 *resolver,
                           const char                *hostname,
                           GResolverNameLookupFlags   flags,
                           GCancellable              *cancellable,
                           GError                   **error)
{
  SdHttpResolver *self = SD_HTTP_RESOLVER (resolver);
  GList *list = known (self, hostname);

  if (list != NULL)
    return filter_family (list, flags);
  return g_resolver_lookup_by_name_with_flags (self->fallback, hostname, flags, cancellable, error);
}

static GList *
lookup_by_name (GResolver     *resolver,
                const char    *hostname,
                GCancellable  *cancellable,
                GError       **error)
{
  return lookup_by_name_with_flags (resolver, hostname, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, cancellable, error);
}

static void
fallback_cb (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GList *list = g_resolver_lookup_by_name_with_flags_finish (G_RESOLVER (source), res, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_resolver_free_addresses);
}

static void
lookup_by_name_with_flags_async (GResolver                *resolver,
                                 const char               *hostname,
                                 GResolverNameLookupFlags  flags,
                                 GCancellable             *cancellable,
                                 GAsyncReadyCallback       callback,
                                 gpointer                  user_data)
{
  SdHttpResolver *self = SD_HTTP_RESOLVER (resolver);
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GList *list = known (self, hostname);

  g_task_set_source_tag (task, lookup_by_name_with_flags_async);
  if (list != NULL)
    {
      list = filter_family (list, flags);
      if (list == NULL)
        g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                                 _("%s has no address of the family asked for."), hostname);
      else
        g_task_return_pointer (task, list, (GDestroyNotify) g_resolver_free_addresses);
      return;
    }
  g_resolver_lookup_by_name_with_flags_async (self->fallback, hostname, flags, cancellable, fallback_cb,
                                              g_steal_pointer (&task));
}

static GList *
lookup_by_name_with_flags_finish (GResolver     *resolver,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
lookup_by_name_async (GResolver           *resolver,
                      const char          *hostname,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  lookup_by_name_with_flags_async (resolver, hostname, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, cancellable,
                                   callback, user_data);
}

/* Everything else is the replaced resolver's. */
static char *
lookup_by_address (GResolver *resolver, GInetAddress *address, GCancellable *cancellable, GError **error)
{
  return g_resolver_lookup_by_address (SD_HTTP_RESOLVER (resolver)->fallback, address, cancellable, error);
}

static void
lookup_by_address_async (GResolver *resolver, GInetAddress *address, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  g_resolver_lookup_by_address_async (SD_HTTP_RESOLVER (resolver)->fallback, address, cancellable, callback,
                                      user_data);
}

static char *
lookup_by_address_finish (GResolver *resolver, GAsyncResult *result, GError **error)
{
  return g_resolver_lookup_by_address_finish (SD_HTTP_RESOLVER (resolver)->fallback, result, error);
}

static GList *
lookup_records (GResolver *resolver, const char *rrname, GResolverRecordType type, GCancellable *cancellable,
                GError **error)
{
  return g_resolver_lookup_records (SD_HTTP_RESOLVER (resolver)->fallback, rrname, type, cancellable, error);
}

static void
lookup_records_async (GResolver *resolver, const char *rrname, GResolverRecordType type,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_resolver_lookup_records_async (SD_HTTP_RESOLVER (resolver)->fallback, rrname, type, cancellable, callback,
                                   user_data);
}

static GList *
lookup_records_finish (GResolver *resolver, GAsyncResult *result, GError **error)
{
  return g_resolver_lookup_records_finish (SD_HTTP_RESOLVER (resolver)->fallback, result, error);
}

static void
sd_http_resolver_finalize (GObject *object)
{
  SdHttpResolver *self = SD_HTTP_RESOLVER (object);

  g_clear_object (&self->fallback);
  g_hash_table_unref (self->names);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (sd_http_resolver_parent_class)->finalize (object);
}

static void
sd_http_resolver_class_init (SdHttpResolverClass *klass)
{
  GResolverClass *r = G_RESOLVER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = sd_http_resolver_finalize;
  r->lookup_by_name = lookup_by_name;
  r->lookup_by_name_async = lookup_by_name_async;
  r->lookup_by_name_finish = lookup_by_name_with_flags_finish;
  r->lookup_by_name_with_flags = lookup_by_name_with_flags;
  r->lookup_by_name_with_flags_async = lookup_by_name_with_flags_async;
  r->lookup_by_name_with_flags_finish = lookup_by_name_with_flags_finish;
  r->lookup_by_address = lookup_by_address;
  r->lookup_by_address_async = lookup_by_address_async;
  r->lookup_by_address_finish = lookup_by_address_finish;
  r->lookup_records = lookup_records;
  r->lookup_records_async = lookup_records_async;
  r->lookup_records_finish = lookup_records_finish;
}

static void
sd_http_resolver_init (SdHttpResolver *self)
{
  g_mutex_init (&self->lock);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
}

void
sd_http_resolver_install (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      installed = g_object_new (SD_TYPE_HTTP_RESOLVER, NULL);
      installed->fallback = g_resolver_get_default ();
      g_resolver_set_default (G_RESOLVER (installed));
      g_once_init_leave (&once, 1);
    }
}

void
sd_http_resolver_add (const char *host, GPtrArray *addresses)
{
  GPtrArray *copy;

  g_return_if_fail (installed != NULL);
  copy = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < addresses->len; i++)
    g_ptr_array_add (copy, g_object_ref (addresses->pdata[i]));
  g_mutex_lock (&installed->lock);
  g_hash_table_replace (installed->names, g_ascii_strdown (host, -1), copy);
  g_mutex_unlock (&installed->lock);
}
