/* sd-config.h: everything a person gives for one diagnosis run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include "sd-types.h"

G_BEGIN_DECLS

#define SD_DEFAULT_TIMEOUT_S 5
#define SD_MAX_TIMEOUT_S     600

/* Which program the person uses: advice names the controls they see there. */
typedef enum {
  SD_FACE_CLI = 0,  /* sip-doctor-cli: command-line options */
  SD_FACE_GUI,      /* the wizard: its fields, switches and pages */
} SdFace;

/* The person's controls, each named once per face by
 * sd_config_control_name (). */
typedef enum {
  SD_CONTROL_ADDRESS,
  SD_CONTROL_SIGN_IN,
  SD_CONTROL_PASSWORD,
  SD_CONTROL_CLIENT,
  SD_CONTROL_SERVER,
  SD_CONTROL_TRANSPORT,
  SD_CONTROL_CA_FILE,
  SD_CONTROL_DNS_SERVER,
  SD_CONTROL_STRICT_DNS_NAMING,
  SD_CONTROL_ALLOW_UNTRUSTED,
  SD_CONTROL_TIMEOUT,
  SD_N_CONTROLS
} SdControl;

/* --auth: which sign-in methods to test. */
typedef enum {
  SD_AUTH_AUTO = 0,  /* every method the server offers that the tool can perform */
  SD_AUTH_DIGEST,
  SD_AUTH_NTLM,
  SD_AUTH_KERBEROS,
} SdAuthChoice;

gboolean    sd_auth_choice_from_string (const char *text, SdAuthChoice *out);
const char *sd_auth_choice_to_string (SdAuthChoice choice);

typedef struct {
  char            *address;          /* SIP address as typed */
  char            *sign_in;          /* sign-in name as typed, or NULL */
  char            *password;         /* never written anywhere; wiped on free */
  char            *server;           /* HOST[:PORT], or NULL for autoconfiguration */
  SdTransport      transport;
  SdClientProfile  client;
  char            *ca_file;          /* absolute path of extra trusted CAs, or NULL */
  gboolean         strict_dns_naming;
  char            *dns_server;       /* IP[:PORT], or NULL for the system resolver */
  guint            timeout_s;        /* per operation */
  gboolean         allow_untrusted;  /* send credentials even if the certificate failed */
  SdFace           face;             /* whose controls advice names */
  gboolean         no_revocation;    /* fetch no CRL, OCSP answer or AIA certificate (offline use) */
  SdAuthChoice     auth;             /* --auth */
} SdConfig;

#define SD_TYPE_CONFIG (sd_config_get_type ())
GType     sd_config_get_type (void) G_GNUC_CONST;

SdConfig *sd_config_new (void);
SdConfig *sd_config_copy (const SdConfig *config);
void      sd_config_free (SdConfig *config);
/* Replaces the password, wiping the old one. */
void      sd_config_set_password (SdConfig *config, const char *password);

/* The name of @control as the person sees it in @config's face (the CLI's
 * for a NULL @config): "--server", or (translated) "the Server field". Made
 * to fill a %s of an advice sentence. */
const char *sd_config_control_name (const SdConfig *config, SdControl control);

/* Checks every field; the error (SD_ERROR_INVALID_INPUT or SD_ERROR_FILE)
 * names the field and says what form is expected. */
gboolean  sd_config_validate (const SdConfig *config, GError **error);

/* The most bytes a password file (or a typed password) may hold. */
#define SD_PASSWORD_MAX 4096

/* Reads a password from a file ('-' = standard input): the first line,
 * without its line end ("\n" or "\r\n"). Never logs the content; wipes
 * every buffer it used. Sets @mode (when not NULL) to the file's permission
 * bits, 0 for standard input, so the caller can warn when others may read it. */
char     *sd_read_password_file (const char  *path,
                                 guint       *mode,
                                 GError     **error);

/* The same from an open descriptor (a pipe, or a terminal with echo off),
 * read up to the first line end; @name stands for it in messages. */
char     *sd_read_password_fd (int          fd,
                               const char  *name,
                               GError     **error);

/* Overwrites @length bytes at @mem in a way the compiler may not drop as a
 * dead store. The one way to wipe a secret or anything derived from it. */
void      sd_secret_wipe (gpointer mem, gsize length);

/* Wipes and frees a secret string. */
void      sd_secret_free (char *secret);

/* Keeps secrets out of core dumps and away from other processes of the same
 * user: no core file, not dumpable (so no ptrace, /proc/PID/mem or
 * /proc/PID/environ by others). Call first thing in main(). */
void      sd_secret_protect_process (void);

/* What both programs do first in main(): protect the process (above), then
 * the person's locale and this program's translations (from
 * SIP_DOCTOR_LOCALEDIR in development and tests, see HACKING.md). */
void      sd_program_init (void);

/* Parses HOST[:PORT], [IPv6]:PORT or a bare IPv6 address. @port is 0 when
 * absent. @host is returned without brackets, lower-cased. */
gboolean  sd_parse_host_port (const char  *text,
                              char       **host,
                              guint16     *port,
                              GError     **error);

/* Parses a DNS server as --dns-server and the DNS server field take it:
 * an IP address, optionally with a port (IP, IP:PORT, [IPv6]:PORT).
 * @port is 0 when absent. The one check of that input for every face. */
gboolean  sd_parse_dns_server (const char  *text,
                               char       **host,
                               guint16     *port,
                               GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdConfig, sd_config_free)

G_END_DECLS
