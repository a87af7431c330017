/* replay.c: runs a fuzz target's entry point over files, so every build
 * (not only libFuzzer ones) exercises the committed corpus.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
replay_path (const char *path, guint *count)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          replay_path (child, count);
        }
      return;
    }
  {
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents (path, &contents, &len, &error))
      g_error ("%s", error->message);
    LLVMFuzzerTestOneInput ((const guint8 *) contents, len);
    /* Every prefix too: truncation is the commonest malformation. */
    for (gsize i = 0; i < len && i < 512; i++)
      LLVMFuzzerTestOneInput ((const guint8 *) contents, i);
    (*count)++;
  }
}

int
main (int argc, char *argv[])
{
  guint count = 0;

  for (int i = 1; i < argc; i++)
    replay_path (argv[i], &count);
  printf ("replayed %u inputs\n", count);
  return count > 0 ? 0 : 1;
}
