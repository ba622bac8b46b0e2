/* fast-server.c: a minimal HTTP/1.1 server that answers every request with
 * the same chat completion, for measuring a client's own throughput.
 *
 * One thread, epoll, keep-alive, no parsing beyond Content-Length: next to
 * the client it measures, it costs little. Use the libsoup fake server
 * (fake-server.h) for anything that needs rules, faults or latency.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE  /* accept4 */
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fast-server.h"

#define REPLY_BODY \
  "{\"id\":\"chatcmpl-fast\",\"object\":\"chat.completion\",\"model\":\"fast\"," \
  "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"}," \
  "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":1," \
  "\"total_tokens\":13,\"prompt_tokens_details\":{\"cached_tokens\":0}}}"

typedef struct {
  int fd;
  gboolean want_out;
  GByteArray *in;
  GByteArray *out;
} Conn;

struct _FastServer
{
  int listen_fd;
  int wake_fd;
  int epoll_fd;
  guint port;
  char *base_url;
  GThread *thread;
  GString *reply;
  gint request_count;           /* atomic */
  GHashTable *conns;            /* fd → Conn */
};

static void
conn_free (Conn *conn)
{
  close (conn->fd);
  g_byte_array_unref (conn->in);
  g_byte_array_unref (conn->out);
  g_free (conn);
}

/* Length of the first complete request in @in, or 0 when it is not all here. */
static gsize
complete_request (GByteArray *in)
{
  const char *data = (const char *) in->data;
  const char *end = g_strstr_len (data, in->len, "\r\n\r\n");
  gsize head, body = 0;

  if (end == NULL)
    return 0;
  head = end + 4 - data;
  for (const char *line = data; line < end; )
    {
      const char *next = g_strstr_len (line, end + 2 - line, "\r\n");
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        body = g_ascii_strtoull (line + 15, NULL, 10);
      line = next + 2;
    }
  return in->len >= head + body ? head + body : 0;
}

static gboolean
flush_out (Conn *conn)
{
  while (conn->out->len > 0)
    {
      ssize_t n = write (conn->fd, conn->out->data, conn->out->len);
      if (n < 0)
        return errno == EAGAIN || errno == EINTR;
      g_byte_array_remove_range (conn->out, 0, n);
    }
  return TRUE;
}

/* Reads what arrived and answers every complete request; FALSE on close. */
static gboolean
serve (FastServer *self,
       Conn       *conn)
{
  guint8 buf[16384];
  ssize_t n;
  gsize len;

  while ((n = read (conn->fd, buf, sizeof buf)) > 0)
    g_byte_array_append (conn->in, buf, n);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    return FALSE;
  while ((len = complete_request (conn->in)) > 0)
    {
      g_byte_array_remove_range (conn->in, 0, len);
      g_byte_array_append (conn->out, (const guint8 *) self->reply->str, self->reply->len);
      g_atomic_int_inc (&self->request_count);
    }
  return flush_out (conn);
}

static void
watch (FastServer *self,
       int         fd,
       guint32     events)
{
  struct epoll_event ev = { .events = events, .data.fd = fd };

  epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static void
accept_all (FastServer *self)
{
  int fd, one = 1;

  while ((fd = accept4 (self->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
    {
      Conn *conn = g_new0 (Conn, 1);

      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conn->fd = fd;
      conn->in = g_byte_array_new ();
      conn->out = g_byte_array_new ();
      g_hash_table_insert (self->conns, GINT_TO_POINTER (fd), conn);
      watch (self, fd, EPOLLIN);
    }
}

static gpointer
server_thread (gpointer user_data)
{
  FastServer *self = user_data;
  struct epoll_event events[64];

  for (;;)
    {
      int n = epoll_wait (self->epoll_fd, events, G_N_ELEMENTS (events), -1);

      for (int i = 0; i < n; i++)
        {
          int fd = events[i].data.fd;
          Conn *conn;

          if (fd == self->wake_fd)
            return NULL;
          if (fd == self->listen_fd)
            {
              accept_all (self);
              continue;
            }
          conn = g_hash_table_lookup (self->conns, GINT_TO_POINTER (fd));
          if (conn == NULL)
            continue;
          if (!serve (self, conn))
            g_hash_table_remove (self->conns, GINT_TO_POINTER (fd));
          else if (conn->want_out != (conn->out->len > 0))
            {
              /* A full socket buffer: write the rest when it drains. */
              struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
              conn->want_out = conn->out->len > 0;
              if (conn->want_out)
                ev.events |= EPOLLOUT;
              epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
            }
        }
    }
}

FastServer *
fast_server_new (void)
{
  FastServer *self = g_new0 (FastServer, 1);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t addr_len = sizeof addr;

  self->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (self->listen_fd < 0
      || bind (self->listen_fd, (struct sockaddr *) &addr, sizeof addr) != 0
      || listen (self->listen_fd, 1024) != 0
      || getsockname (self->listen_fd, (struct sockaddr *) &addr, &addr_len) != 0)
    g_error ("fast server: cannot listen on 127.0.0.1: %s", g_strerror (errno));
  self->port = ntohs (addr.sin_port);
  self->base_url = g_strdup_printf ("http://127.0.0.1:%u/v1", self->port);
  self->reply = g_string_new (NULL);
  g_string_printf (self->reply, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n%s", strlen (REPLY_BODY), REPLY_BODY);
  self->conns = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) conn_free);
  self->wake_fd = eventfd (0, EFD_CLOEXEC);
  self->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (self->wake_fd < 0 || self->epoll_fd < 0)
    g_error ("fast server: %s", g_strerror (errno));
  watch (self, self->listen_fd, EPOLLIN);
  watch (self, self->wake_fd, EPOLLIN);
  self->thread = g_thread_new ("fast-server", server_thread, self);
  return self;
}

void
fast_server_free (FastServer *self)
{
  guint64 one = 1;

  if (self == NULL)
    return;
  if (write (self->wake_fd, &one, sizeof one) != sizeof one)
    g_error ("fast server: cannot stop: %s", g_strerror (errno));
  g_thread_join (self->thread);
  g_hash_table_unref (self->conns);
  close (self->listen_fd);
  close (self->wake_fd);
  close (self->epoll_fd);
  g_string_free (self->reply, TRUE);
  g_free (self->base_url);
  g_free (self);
}

const char *
fast_server_get_base_url (FastServer *self)
{
  return self->base_url;
}

guint
fast_server_get_request_count (FastServer *self)
{
  return g_atomic_int_get (&self->request_count);
}
