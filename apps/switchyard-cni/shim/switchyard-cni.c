/*
 * switchyard-cni: the executable a container runtime runs as the `switchyard` CNI plugin.
 *
 * Node.js costs ~85 ms to start, the reference bridge + host-local ADD ~9 ms, so the plugin's
 * logic lives in the long-running switchyard-agent and this program only carries the call there:
 * it reads the CNI_* environment and the config on stdin, sends them over the agent's unix
 * socket, prints the agent's answer and exits with its status. When nothing listens on the socket
 * (agent down or not installed yet) it execs the standalone plugin (`node standalone.js`), which
 * answers the same call itself from the same on-disk store.
 *
 * Wire format (all integers unsigned 32-bit big-endian):
 *   request:  "SYC1" | count | count x (len | "KEY=VALUE") | len | stdin
 *             the pseudo-variables @pid and @netns_ino let the agent find this process's network
 *             and mount namespaces (it works in the caller's namespace, as an exec'd plugin does)
 *   response: "SYR1" | exit status | len | stdout | len | stderr
 *
 * Config keys read here (top level of the plugin config): agentSocket, nodeBinary,
 * standaloneScript. Static, no dependencies: `cc -O2 -static`.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef DEFAULT_SOCKET
#define DEFAULT_SOCKET "/run/switchyard/cni.sock"
#endif
#ifndef DEFAULT_NODE
#define DEFAULT_NODE "/opt/switchyard/bin/node"
#endif
#ifndef DEFAULT_STANDALONE
#define DEFAULT_STANDALONE "/opt/switchyard/lib/switchyard-cni-standalone.js"
#endif
#define MAX_INPUT (16u << 20)
#define REPLY_TIMEOUT_S 240

extern char **environ;

struct buf {
  char *p;
  size_t len, cap;
};

static void die_oom(void) {
  fputs("switchyard-cni: out of memory\n", stderr);
  exit(1);
}

static void buf_add(struct buf *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) die_oom();
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void buf_u32(struct buf *b, uint32_t v) {
  uint32_t be = htonl(v);
  buf_add(b, &be, 4);
}

static void buf_field(struct buf *b, const char *s, size_t n) {
  buf_u32(b, (uint32_t)n);
  buf_add(b, s, n);
}

/* Prints a CNI error on stdout (where libcni reads it) and exits non-zero. */
static void cni_fail(const char *version, int code, const char *msg, const char *details) {
  printf("{\"cniVersion\":\"%s\",\"code\":%d,\"msg\":\"%s\",\"details\":\"%s\"}\n",
         version, code, msg, details);
  fflush(stdout);
  exit(1);
}

/* ---- a minimal JSON reader: top-level string values by key, everything else skipped ---- */

static const char *ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* Decodes the string starting at p (after the opening quote) into out (may be NULL). */
static const char *json_string(const char *p, const char *end, char *out, size_t outsz) {
  size_t n = 0;
  while (p < end && *p != '"') {
    char c = *p++;
    if (c == '\\') {
      if (p >= end) return NULL;
      char e = *p++;
      switch (e) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'u':
          if (end - p < 4) return NULL;
          p += 4;
          c = '?'; /* non-ASCII escapes never occur in the paths we read */
          break;
        default: c = e;
      }
    }
    if (out && n + 1 < outsz) out[n++] = c;
  }
  if (p >= end) return NULL;
  if (out) out[n] = 0;
  return p + 1;
}

static const char *json_skip(const char *p, const char *end) {
  p = ws(p, end);
  if (p >= end) return NULL;
  if (*p == '"') return json_string(p + 1, end, NULL, 0);
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (p < end) {
      char c = *p++;
      if (c == '"') {
        p = json_string(p, end, NULL, 0);
        if (!p) return NULL;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return p;
      }
    }
    return NULL;
  }
  while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n') p++;
  return p;
}

struct conf {
  char version[32];
  char socket[512];
  char node[512];
  char script[1024];
};

/* Reads the keys above; returns 1 when stdin is one well-formed top-level JSON object. */
static int read_conf(const char *p, const char *end, struct conf *c) {
  p = ws(p, end);
  if (p >= end || *p != '{') return 0;
  p = ws(p + 1, end);
  if (p < end && *p == '}') return ws(p + 1, end) == end;
  for (;;) {
    char key[64];
    p = ws(p, end);
    if (p >= end || *p != '"') return 0;
    p = json_string(p + 1, end, key, sizeof key);
    if (!p) return 0;
    p = ws(p, end);
    if (p >= end || *p != ':') return 0;
    p = ws(p + 1, end);
    char *dst = NULL;
    size_t dstsz = 0;
    if (!strcmp(key, "cniVersion")) dst = c->version, dstsz = sizeof c->version;
    else if (!strcmp(key, "agentSocket")) dst = c->socket, dstsz = sizeof c->socket;
    else if (!strcmp(key, "nodeBinary")) dst = c->node, dstsz = sizeof c->node;
    else if (!strcmp(key, "standaloneScript")) dst = c->script, dstsz = sizeof c->script;
    if (dst && p < end && *p == '"') p = json_string(p + 1, end, dst, dstsz);
    else p = json_skip(p, end);
    if (!p) return 0;
    p = ws(p, end);
    if (p < end && *p == '}') return ws(p + 1, end) == end;
    if (p >= end || *p != ',') return 0;
    p++;
  }
}

/* ---- I/O ---- */

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, struct buf *b, size_t limit) {
  char chunk[65536];
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return 0;
    if (b->len + (size_t)r > limit) return -1;
    buf_add(b, chunk, (size_t)r);
  }
}

static int read_u32(const struct buf *b, size_t *off, uint32_t *v) {
  if (b->len - *off < 4) return -1;
  uint32_t be;
  memcpy(&be, b->p + *off, 4);
  *v = ntohl(be);
  *off += 4;
  return 0;
}

/* ---- the fallback: the standalone plugin, given the stdin we already consumed ---- */

/*
 * Neither the agent nor the standalone plugin can run. What needs no plugin logic is still
 * answered as the spec wants (VERSION, a missing CNI_COMMAND, undecodable stdin); anything else
 * is "plugin not available" (50), which a runtime reports and retries.
 */
static void answer_alone(const struct conf *c, int conf_ok, const char *details) {
  const char *cmd = getenv("CNI_COMMAND");
  if (cmd && !strcmp(cmd, "VERSION")) {
    static const char *const versions[] = {"0.1.0", "0.2.0", "0.3.0", "0.3.1",
                                           "0.4.0", "1.0.0", "1.1.0"};
    const char *answer = "1.1.0"; /* in the asked version when we speak it */
    for (size_t i = 0; i < sizeof versions / sizeof *versions; i++)
      if (!strcmp(c->version, versions[i])) answer = versions[i];
    printf("{\"cniVersion\":\"%s\",\"supportedVersions\":[\"0.1.0\",\"0.2.0\",\"0.3.0\","
           "\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}\n",
           answer);
    exit(0);
  }
  if (!cmd || !*cmd) cni_fail(c->version, 4, "required env variables [CNI_COMMAND] missing", "");
  if (!conf_ok) cni_fail(c->version, 6, "cannot decode the network configuration on stdin", "");
  cni_fail(c->version, 50, "switchyard plugin not available", details);
}

static void exec_standalone(const struct conf *c, int conf_ok, const struct buf *in) {
  int fd = memfd_create("switchyard-cni-stdin", 0);
  if (fd < 0 || write_all(fd, in->p ? in->p : "", in->len) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
      dup2(fd, 0) < 0)
    cni_fail(c->version, 5, "cannot hand stdin to the standalone plugin", strerror(errno));
  if (fd != 0) close(fd);
  char *argv[] = {(char *)c->node, (char *)c->script, NULL};
  execve(c->node, argv, environ);
  char details[1200];
  snprintf(details, sizeof details, "agent socket %s unavailable and %s cannot run: %s",
           c->socket, c->node, strerror(errno));
  answer_alone(c, conf_ok, details);
}

int main(void) {
  struct conf c;
  strcpy(c.version, "1.1.0");
  strcpy(c.socket, DEFAULT_SOCKET);
  strcpy(c.node, DEFAULT_NODE);
  strcpy(c.script, DEFAULT_STANDALONE);

  struct buf in = {0};
  if (!isatty(0) && read_all(0, &in, MAX_INPUT) < 0)
    cni_fail(c.version, 5, "error reading from stdin", strerror(errno));
  int conf_ok = in.len ? read_conf(in.p, in.p + in.len, &c) : 0;

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(c.socket) >= sizeof addr.sun_path) exec_standalone(&c, conf_ok, &in);
  strcpy(addr.sun_path, c.socket);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
    /* Nobody listening: the call has not started anywhere, so running it here is safe. */
    if (s >= 0) close(s);
    exec_standalone(&c, conf_ok, &in);
  }

  struct buf req = {0};
  buf_add(&req, "SYC1", 4);
  uint32_t count = 2;
  for (char **e = environ; *e; e++)
    if (!strncmp(*e, "CNI_", 4)) count++;
  buf_u32(&req, count);
  char line[64];
  int n = snprintf(line, sizeof line, "@pid=%ld", (long)getpid());
  buf_field(&req, line, (size_t)n);
  struct stat st;
  unsigned long long ino = stat("/proc/self/ns/net", &st) == 0 ? (unsigned long long)st.st_ino : 0;
  n = snprintf(line, sizeof line, "@netns_ino=%llu", ino);
  buf_field(&req, line, (size_t)n);
  for (char **e = environ; *e; e++)
    if (!strncmp(*e, "CNI_", 4)) buf_field(&req, *e, strlen(*e));
  buf_field(&req, in.p ? in.p : "", in.len);

  struct timeval tv = {.tv_sec = REPLY_TIMEOUT_S};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct buf resp = {0};
  /* From here on the agent may have acted: never fall back, let the runtime retry. */
  if (write_all(s, req.p, req.len) < 0 || shutdown(s, SHUT_WR) < 0 ||
      read_all(s, &resp, MAX_INPUT) < 0)
    cni_fail(c.version, 11, "lost the connection to switchyard-agent; try again", strerror(errno));
  close(s);

  size_t off = 4;
  uint32_t status, outlen, errlen;
  if (resp.len < 4 || memcmp(resp.p, "SYR1", 4) || read_u32(&resp, &off, &status) ||
      read_u32(&resp, &off, &outlen) || resp.len - off < outlen)
    cni_fail(c.version, 11, "switchyard-agent ended the call without an answer; try again", "");
  const char *out = resp.p + off;
  off += outlen;
  if (read_u32(&resp, &off, &errlen) || resp.len - off < errlen)
    cni_fail(c.version, 11, "switchyard-agent sent a truncated answer; try again", "");
  write_all(2, resp.p + off, errlen);
  if (write_all(1, out, outlen) < 0) return 1;
  return (int)(status & 0xff);
}
