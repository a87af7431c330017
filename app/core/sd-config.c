/* sd-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-config"

#include <string.h>
#include <locale.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include "sd-config.h"
#include "sd-error.h"
#include "sd-uri.h"

G_DEFINE_BOXED_TYPE (SdConfig, sd_config, sd_config_copy, sd_config_free)

void
sd_secret_wipe (gpointer mem, gsize length)
{
  if (mem != NULL && length > 0)
    explicit_bzero (mem, length);
}

void
sd_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  sd_secret_wipe (secret, strlen (secret));
  g_free (secret);
}

void
sd_secret_protect_process (void)
{
  const struct rlimit none = { 0, 0 };

  /* Both are best effort: a sandbox may forbid them, and the program must
   * still run there. */
  (void) setrlimit (RLIMIT_CORE, &none);
  (void) prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void
sd_program_init (void)
{
  const char *localedir;

  sd_secret_protect_process ();
  setlocale (LC_ALL, "");
  localedir = g_getenv ("SIP_DOCTOR_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

static const char * const auth_choices[] = { "auto", "digest", "ntlm", "kerberos" };

gboolean
sd_auth_choice_from_string (const char *text, SdAuthChoice *out)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (auth_choices); i++)
    if (g_ascii_strcasecmp (text, auth_choices[i]) == 0)
      {
        *out = (SdAuthChoice) i;
        return TRUE;
      }
  return FALSE;
}

const char *
sd_auth_choice_to_string (SdAuthChoice choice)
{
  return (guint) choice < G_N_ELEMENTS (auth_choices) ? auth_choices[choice] : "auto";
}

SdConfig *
sd_config_new (void)
{
  SdConfig *self = g_new0 (SdConfig, 1);

  self->transport = SD_TRANSPORT_AUTO;
  self->client = SD_CLIENT_GENERIC;
  self->timeout_s = SD_DEFAULT_TIMEOUT_S;
  return self;
}

const char *
sd_config_control_name (const SdConfig *config, SdControl control)
{
  static const char *const options[SD_N_CONTROLS] = {
    [SD_CONTROL_ADDRESS] = N_("the SIP address"),  /* an argument, not an option */
    [SD_CONTROL_SIGN_IN] = "--sign-in",
    [SD_CONTROL_PASSWORD] = "--password-file",
    [SD_CONTROL_CLIENT] = "--client",
    [SD_CONTROL_SERVER] = "--server",
    [SD_CONTROL_TRANSPORT] = "--transport",
    [SD_CONTROL_CA_FILE] = "--ca-file",
    [SD_CONTROL_DNS_SERVER] = "--dns-server",
    [SD_CONTROL_STRICT_DNS_NAMING] = "--strict-dns-naming",
    [SD_CONTROL_ALLOW_UNTRUSTED] = "--allow-untrusted",
    [SD_CONTROL_TIMEOUT] = "--timeout",
  };
  /* The labels and pages of ui/sd-account-page.ui and ui/sd-server-page.ui. */
  static const char *const controls[SD_N_CONTROLS] = {
    [SD_CONTROL_ADDRESS] = N_("the SIP address field"),
    [SD_CONTROL_SIGN_IN] = N_("the Sign-in name field"),
    [SD_CONTROL_PASSWORD] = N_("the Password field"),
    [SD_CONTROL_CLIENT] = N_("the Client profile setting"),
    [SD_CONTROL_SERVER] = N_("the Server field"),
    [SD_CONTROL_TRANSPORT] = N_("the Transport setting"),
    [SD_CONTROL_CA_FILE] = N_("the CA file setting on the Server page"),
    [SD_CONTROL_DNS_SERVER] = N_("the DNS server field"),
    [SD_CONTROL_STRICT_DNS_NAMING] = N_("“Strict DNS naming” on the Server page"),
    [SD_CONTROL_ALLOW_UNTRUSTED] = N_("“Sign in despite certificate problems” on the Server page"),
    [SD_CONTROL_TIMEOUT] = N_("the Timeout setting"),
  };

  g_return_val_if_fail ((guint) control < SD_N_CONTROLS, "");

  if (config != NULL && config->face == SD_FACE_GUI)
    return _(controls[control]);
  return control == SD_CONTROL_ADDRESS ? _(options[control]) : options[control];
}

SdConfig *
sd_config_copy (const SdConfig *config)
{
  SdConfig *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_new0 (SdConfig, 1);
  *self = *config;
  self->address = g_strdup (config->address);
  self->sign_in = g_strdup (config->sign_in);
  self->password = g_strdup (config->password);
  self->server = g_strdup (config->server);
  self->ca_file = g_strdup (config->ca_file);
  self->dns_server = g_strdup (config->dns_server);
  return self;
}

void
sd_config_free (SdConfig *self)
{
  if (self == NULL)
    return;
  g_free (self->address);
  g_free (self->sign_in);
  sd_secret_free (self->password);
  g_free (self->server);
  g_free (self->ca_file);
  g_free (self->dns_server);
  g_free (self);
}

void
sd_config_set_password (SdConfig *self, const char *password)
{
  sd_secret_free (self->password);
  self->password = (password != NULL && *password != '\0') ? g_strdup (password) : NULL;
}

static gboolean
is_host_name (const char *host)
{
  gsize len = strlen (host);
  const char *label = host;

  if (len == 0 || len > 253)
    return FALSE;
  if (host[len - 1] == '.')
    len--;
  for (gsize i = 0; i <= len; i++)
    {
      if (i == len || host[i] == '.')
        {
          gsize label_len = (gsize) (host + i - label);
          if (label_len == 0 || label_len > 63)
            return FALSE;
          if (label[0] == '-' || host[i - 1] == '-')
            return FALSE;
          label = host + i + 1;
          continue;
        }
      if (!g_ascii_isalnum (host[i]) && host[i] != '-' && host[i] != '_')
        return FALSE;
    }
  return TRUE;
}

gboolean
sd_parse_host_port (const char  *text,
                    char       **host_out,
                    guint16     *port_out,
                    GError     **error)
{
  g_autofree char *copy = NULL;
  g_autofree char *host = NULL;
  const char *port_str = NULL;
  char *s;
  guint64 port = 0;

  g_return_val_if_fail (text != NULL, FALSE);

  copy = g_strstrip (g_strdup (text));
  s = copy;

  if (*s == '\0')
    {
      g_set_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT,
                   _("The server is empty. Type a host name or an IP address, optionally with a port, "
                     "such as sip.example.com or 192.0.2.10:5061."));
      return FALSE;
    }

  if (*s == '[')
    {
      char *end = strchr (s, ']');
      if (end == NULL)
        goto bad;
      *end = '\0';
      host = g_strdup (s + 1);
      if (end[1] == ':')
        port_str = end + 2;
      else if (end[1] != '\0')
        goto bad;
      if (!g_hostname_is_ip_address (host) || strchr (host, ':') == NULL)
        goto bad;
    }
  else
    {
      char *colon = strchr (s, ':');
      if (colon != NULL && strchr (colon + 1, ':') != NULL)
        {
          /* More than one colon: a bare IPv6 address, no port. */
          host = g_strdup (s);
          if (!g_hostname_is_ip_address (host))
            goto bad;
        }
      else
        {
          if (colon != NULL)
            {
              *colon = '\0';
              port_str = colon + 1;
            }
          host = g_strdup (s);
          if (!g_hostname_is_ip_address (host) && !is_host_name (host))
            goto bad;
        }
    }

  if (port_str != NULL)
    {
      if (*port_str == '\0'
          || !g_ascii_string_to_unsigned (port_str, 10, 1, 65535, &port, NULL))
        {
          g_set_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT,
                       _("“%s” is not a valid port. Use a number from 1 to 65535, such as 5061 for TLS "
                         "or 5060 for TCP and UDP."), port_str);
          return FALSE;
        }
    }

  if (host_out != NULL)
    *host_out = g_ascii_strdown (host, -1);
  if (port_out != NULL)
    *port_out = (guint16) port;
  return TRUE;

bad:
  g_set_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT,
               _("“%s” is not a server address. Type a host name or an IP address, optionally with a "
                 "port: sip.example.com, sip.example.com:5061, 192.0.2.10 or [2001:db8::1]:5061."),
               text);
  return FALSE;
}

static gboolean
check_readable_file (const char *path, const char *what, GError **error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                   /* TRANSLATORS: first %s is "CA file" or "password file" */
                   _("Cannot open the %s “%s”: %s. Check the path and that the file exists."),
                   what, path, g_strerror (saved));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                   _("The %s “%s” is not a regular file. Give the path of a file."), what, path);
      return FALSE;
    }
  if (g_access (path, R_OK) != 0)
    {
      int saved = errno;
      g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                   _("Cannot read the %s “%s”: %s. Check its permissions."),
                   what, path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
sd_config_validate (const SdConfig *self, GError **error)
{
  g_autoptr(SdSipUri) uri = NULL;
  g_autoptr(SdSignIn) sign_in = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->address == NULL || *(self->address + strspn (self->address, " \t\r\n")) == '\0')
    {
      g_set_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT,
                   _("No SIP address was given. Type the address you sign in with, "
                     "such as alice@example.com."));
      return FALSE;
    }
  uri = sd_sip_uri_parse (self->address, error);
  if (uri == NULL)
    return FALSE;
  sign_in = sd_sign_in_parse (self->sign_in, uri, error);
  if (sign_in == NULL)
    return FALSE;

  if (self->server != NULL && !sd_parse_host_port (self->server, NULL, NULL, error))
    return FALSE;

  if (self->dns_server != NULL && !sd_parse_dns_server (self->dns_server, NULL, NULL, error))
    return FALSE;

  if (self->timeout_s < 1 || self->timeout_s > SD_MAX_TIMEOUT_S)
    {
      g_set_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT,
                   _("The timeout must be a whole number of seconds from 1 to %d."), SD_MAX_TIMEOUT_S);
      return FALSE;
    }

  if (self->ca_file != NULL && !check_readable_file (self->ca_file, _("CA file"), error))
    return FALSE;

  return TRUE;
}

/* Reads from @fd into @buf until a line end, end of file, or @size bytes;
 * returns the length, or -1 with errno set. */
static gssize
read_line (int fd, char *buf, gsize size)
{
  gsize len = 0;

  while (len < size)
    {
      ssize_t n = read (fd, buf + len, size - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      /* The first line is all we need; stop at once for interactive use. */
      if (memchr (buf + len, '\n', (gsize) n) != NULL)
        return (gssize) (len + (gsize) n);
      len += (gsize) n;
    }
  return (gssize) len;
}

/* Turns what was read into the password: the first line without "\n" or
 * "\r\n". @buf has room for @len + 1 bytes and is wiped by the caller. */
static char *
password_from_buffer (char *buf, gsize len, const char *name, GError **error)
{
  char *nl;

  buf[len] = '\0';
  nl = memchr (buf, '\n', len);
  if (nl == NULL && len > SD_PASSWORD_MAX - 1)
    {
      g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                   _("The password file “%s” is too large. Put only the password in it, on one line."),
                   name);
      return NULL;
    }
  if (nl != NULL)
    {
      if (nl > buf && nl[-1] == '\r')
        nl--;
      *nl = '\0';
      len = (gsize) (nl - buf);
    }
  if (len == 0)
    {
      g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                   _("The password file “%s” is empty. Put the password on its first line."), name);
      return NULL;
    }
  if (memchr (buf, '\0', len) != NULL || !g_utf8_validate (buf, (gssize) len, NULL))
    {
      g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                   _("The password in “%s” is not valid UTF-8 text. Save the file as UTF-8."), name);
      return NULL;
    }
  return g_strndup (buf, len);
}

char *
sd_read_password_fd (int fd, const char *name, GError **error)
{
  /* One byte more than allowed tells "too large" from "just fits". */
  char buf[SD_PASSWORD_MAX + 1];
  gssize len;
  char *password = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  len = read_line (fd, buf, SD_PASSWORD_MAX);
  if (len < 0)
    {
      int saved = errno;
      if (g_str_equal (name, "-"))
        g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                     _("Cannot read the password from standard input: %s."), g_strerror (saved));
      else
        g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                     _("Cannot read the %s “%s”: %s. Check its permissions."),
                     _("password file"), name, g_strerror (saved));
    }
  else
    password = password_from_buffer (buf, (gsize) len, name, error);
  sd_secret_wipe (buf, sizeof buf);
  return password;
}

char *
sd_read_password_file (const char *path, guint *mode, GError **error)
{
  struct stat st;
  char *password;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  if (mode != NULL)
    *mode = 0;
  if (g_str_equal (path, "-"))
    return sd_read_password_fd (STDIN_FILENO, path, error);

  /* open and read, not stdio or g_file_get_contents: no copy of the
   * password in buffers this code cannot wipe. O_NONBLOCK keeps a FIFO
   * from blocking the open; it is refused below. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      int saved = errno;
      if (saved == EACCES || saved == EPERM)
        g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                     _("Cannot read the %s “%s”: %s. Check its permissions."),
                     _("password file"), path, g_strerror (saved));
      else
        g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                     _("Cannot open the %s “%s”: %s. Check the path and that the file exists."),
                     _("password file"), path, g_strerror (saved));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                   _("The %s “%s” is not a regular file. Give the path of a file."), _("password file"), path);
      close (fd);
      return NULL;
    }
  /* A password is at most a line: refuse big files without reading them. */
  if (st.st_size > SD_PASSWORD_MAX)
    {
      g_set_error (error, SD_ERROR, SD_ERROR_FILE,
                   _("The password file “%s” is too large. Put only the password in it, on one line."),
                   path);
      close (fd);
      return NULL;
    }
  password = sd_read_password_fd (fd, path, error);
  close (fd);
  if (password != NULL && mode != NULL)
    *mode = st.st_mode & 07777;
  return password;
}

gboolean
sd_parse_dns_server (const char  *text,
                     char       **host,
                     guint16     *port,
                     GError     **error)
{
  g_autofree char *parsed = NULL;

  g_return_val_if_fail (text != NULL, FALSE);

  if (!sd_parse_host_port (text, &parsed, port, error))
    return FALSE;
  /* A name would need a resolver to find the resolver. */
  if (!g_hostname_is_ip_address (parsed))
    {
      g_set_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT,
                   _("The DNS server “%s” must be an IP address (optionally with a port), "
                     "such as 192.0.2.53 or 127.0.0.1:5353."), text);
      return FALSE;
    }
  if (host != NULL)
    *host = g_steal_pointer (&parsed);
  return TRUE;
}
