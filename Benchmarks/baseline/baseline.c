/*
 * baseline: the simplest fast server that does the gateway's job, as a yardstick for
 * scripts/bench (docs/BENCHMARKS.md, "Gateway").
 *
 *   baseline PORT [--chunk-frames K] [--streams S]
 *
 * Listens on 127.0.0.1:PORT with epoll and non-blocking sockets. Any request that is a WebSocket
 * upgrade (any path) gets 101 and the RFC 6455 Sec-WebSocket-Accept; `GET /metrics` gets counters
 * in Prometheus text form; anything else gets 400. With --streams S (default 1) a client listens
 * to stream n mod S, n the number its path ends with (`/ws/call-12`: 12; none: 0). On a monotonic
 * absolute timerfd tick every K × 72 ms it builds, for each stream with a client, ONE text frame
 * shaped like the gateway's chunk message (the naive floor for many streams: one prebuilt frame
 * per stream per tick),
 *
 *   {"event":"chunk","media":{"payload":"<base64 of K 72-byte MP3 frames>","is_sync":true,
 *    "seq":N,"timestamp":N*K*72,"duration":K*72}}
 *
 * (N the tick number since start, times in media milliseconds) and writes the same bytes to every
 * client of that stream with one send() each. A client whose send would block, or takes only part of
 * the frame, is dropped and counted: the simplest slow-client rule. What clients send is read and
 * ignored, except a close frame, which is answered with a close frame and the socket closed.
 * When the process wakes late (the timerfd reports more than one expiry: the last send loop ran
 * past the next tick), the frames of every due tick go out together, back to back in one send()
 * per client, and are counted: late, but nothing lost. Past 100 due ticks (7 s) the oldest are
 * skipped and counted. SIGTERM/SIGINT print the counters to stderr and exit.
 *
 * Build: cc -O2 -o baseline baseline.c   (Linux only: epoll, timerfd, signalfd; no libraries.)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* ---- SHA-1 (FIPS 180-4), just enough for the handshake ------------------------------------- */

typedef struct {
    uint32_t h[5];
    uint64_t length; /* bytes hashed so far */
    uint8_t block[64];
    size_t used;
} sha1_ctx;

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(sha1_ctx *c, const uint8_t *p) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) { f = (b & cc) | (~b & d); k = 0x5A827999; }
        else if (i < 40) { f = b ^ cc ^ d; k = 0x6ED9EBA1; }
        else if (i < 60) { f = (b & cc) | (b & d) | (cc & d); k = 0x8F1BBCDC; }
        else { f = b ^ cc ^ d; k = 0xCA62C1D6; }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d; d = cc; cc = rol(b, 30); b = a; a = t;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d; c->h[4] += e;
}

static void sha1_init(sha1_ctx *c) {
    static const uint32_t init[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    memcpy(c->h, init, sizeof init);
    c->length = 0;
    c->used = 0;
}

static void sha1_update(sha1_ctx *c, const void *data, size_t n) {
    const uint8_t *p = data;
    c->length += n;
    while (n > 0) {
        size_t take = 64 - c->used < n ? 64 - c->used : n;
        memcpy(c->block + c->used, p, take);
        c->used += take; p += take; n -= take;
        if (c->used == 64) { sha1_block(c, c->block); c->used = 0; }
    }
}

static void sha1_final(sha1_ctx *c, uint8_t out[20]) {
    uint64_t bits = c->length * 8;
    uint8_t pad = 0x80, zero = 0, len[8];
    sha1_update(c, &pad, 1);
    while (c->used != 56) sha1_update(c, &zero, 1);
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha1_update(c, len, 8);
    for (int i = 0; i < 20; i++) out[i] = (uint8_t)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* ---- base64 ---------------------------------------------------------------------------------- */

static size_t base64(const uint8_t *in, size_t n, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

/* ---- connections ----------------------------------------------------------------------------- */

enum { REQUEST_MAX = 8192 };

typedef struct {
    int state;          /* 0 free, 1 reading the HTTP request, 2 WebSocket open */
    int stream;         /* state 2: the stream it listens to */
    int index;          /* position in its stream's open list (state 2) */
    size_t have;        /* request bytes read (state 1), or bytes of a pending frame header (state 2) */
    uint64_t skip;      /* state 2: payload bytes of the current client frame still to discard */
    int closing;        /* state 2: the current client frame is a close frame */
    uint8_t header[14]; /* state 2: a client frame header being read */
    char *request;      /* state 1: the request so far */
} client;

static client *clients;      /* indexed by fd */
static int clients_size;
typedef struct {
    int *fds;           /* the stream's WebSocket clients, dense, for the broadcast loop */
    int count, capacity;
} stream_clients;
static stream_clients *streams; /* indexed by stream number */
static int stream_count = 1;
static int open_count;       /* WebSocket clients over all streams */
static int epoll_fd;

static unsigned long long accepted_total, upgraded_total, dropped_total, closed_total, messages_total,
    bytes_total, ticks_total, ticks_late_total, ticks_skipped_total;
static double broadcast_seconds_total, broadcast_seconds_max;

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static client *slot(int fd) {
    if (fd >= clients_size) {
        int size = clients_size ? clients_size : 1024;
        while (size <= fd) size *= 2;
        clients = realloc(clients, (size_t)size * sizeof *clients);
        if (!clients) die("realloc");
        memset(clients + clients_size, 0, (size_t)(size - clients_size) * sizeof *clients);
        clients_size = size;
    }
    return &clients[fd];
}

static void close_client(int fd) {
    client *c = &clients[fd];
    if (c->state == 2) {
        stream_clients *list = &streams[c->stream];
        int last = list->fds[--list->count];
        list->fds[c->index] = last;
        clients[last].index = c->index;
        open_count--;
    }
    free(c->request);
    memset(c, 0, sizeof *c);
    close(fd); /* also removes it from epoll */
    closed_total++;
}

static void send_all_or_close(int fd, const char *text, size_t n) {
    /* Handshake replies are small and the socket is fresh: one send either takes all or the peer is gone. */
    ssize_t sent = send(fd, text, n, MSG_NOSIGNAL);
    (void)sent;
}

static void answer_request(int fd, client *c) {
    char *request = c->request;
    /* Headers are case-insensitive; find Sec-WebSocket-Key and an Upgrade: websocket. */
    char *key = NULL;
    size_t key_length = 0;
    int upgrade = 0;
    for (char *line = strstr(request, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
        char *name = line + 2;
        if (strncasecmp(name, "Sec-WebSocket-Key:", 18) == 0) {
            key = name + 18;
            while (*key == ' ' || *key == '\t') key++;
            char *end = strstr(key, "\r\n");
            while (end > key && (end[-1] == ' ' || end[-1] == '\t')) end--;
            key_length = (size_t)(end - key);
        } else if (strncasecmp(name, "Upgrade:", 8) == 0) {
            char *end = strstr(name, "\r\n");
            for (char *p = name + 8; p + 9 <= end; p++)
                if (strncasecmp(p, "websocket", 9) == 0) upgrade = 1;
        }
    }
    if (upgrade && key && key_length > 0 && key_length < 100) {
        static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        uint8_t digest[20];
        char accept[32], reply[256];
        sha1_ctx s;
        sha1_init(&s);
        sha1_update(&s, key, key_length);
        sha1_update(&s, guid, sizeof guid - 1);
        sha1_final(&s, digest);
        base64(digest, 20, accept);
        int n = snprintf(reply, sizeof reply,
                         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
        send_all_or_close(fd, reply, (size_t)n);
        c->state = 2;
        /* The stream: the number the request path ends with, modulo the stream count (read from the request
         * before it is freed: reading it after once crashed the baseline at 5,000 clients). */
        unsigned long number = 0;
        char *path = strchr(request, ' ');
        char *path_end = path ? strchr(path + 1, ' ') : NULL;
        if (path_end) {
            char *digits = path_end;
            while (digits > path + 1 && digits[-1] >= '0' && digits[-1] <= '9') digits--;
            if (digits < path_end) number = strtoul(digits, NULL, 10);
        }
        c->stream = (int)(number % (unsigned long)stream_count);
        free(c->request);
        c->request = NULL;
        c->have = 0;
        stream_clients *list = &streams[c->stream];
        if (list->count == list->capacity) {
            list->capacity = list->capacity ? list->capacity * 2 : 4;
            list->fds = realloc(list->fds, (size_t)list->capacity * sizeof *list->fds);
            if (!list->fds) die("realloc");
        }
        c->index = list->count;
        list->fds[list->count++] = fd;
        open_count++;
        upgraded_total++;
        return;
    }
    char body[1024], reply[1400];
    int n;
    if (strncmp(request, "GET /metrics ", 13) == 0) {
        int b = snprintf(body, sizeof body,
                         "baseline_clients %d\nbaseline_connections_accepted_total %llu\n"
                         "baseline_upgrades_total %llu\nbaseline_connections_closed_total %llu\n"
                         "baseline_slow_clients_dropped_total %llu\nbaseline_messages_sent_total %llu\n"
                         "baseline_bytes_sent_total %llu\nbaseline_ticks_total %llu\n"
                         "baseline_ticks_late_total %llu\nbaseline_ticks_skipped_total %llu\n"
                         "baseline_broadcast_seconds_total %.6f\n"
                         "baseline_broadcast_seconds_max %.6f\n",
                         open_count, accepted_total, upgraded_total, closed_total, dropped_total, messages_total,
                         bytes_total, ticks_total, ticks_late_total, ticks_skipped_total, broadcast_seconds_total,
                         broadcast_seconds_max);
        n = snprintf(reply, sizeof reply,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %d\r\n"
                     "Connection: close\r\n\r\n%s", b, body);
    } else {
        n = snprintf(reply, sizeof reply,
                     "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
    send_all_or_close(fd, reply, (size_t)n);
    close_client(fd);
}

/* Reads the HTTP request until \r\n\r\n, then answers it. */
static void read_request(int fd, client *c) {
    for (;;) {
        if (c->have >= REQUEST_MAX - 1) { close_client(fd); return; }
        ssize_t n = recv(fd, c->request + c->have, REQUEST_MAX - 1 - c->have, 0);
        if (n > 0) {
            c->have += (size_t)n;
            c->request[c->have] = 0;
            if (strstr(c->request, "\r\n\r\n")) { answer_request(fd, c); return; }
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            close_client(fd);
            return;
        }
    }
}

/* Reads client frames and throws them away; a close frame is answered and the socket closed. */
static void read_frames(int fd, client *c) {
    uint8_t buffer[4096];
    for (;;) {
        ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) { close_client(fd); return; }
        size_t at = 0;
        while (at < (size_t)n) {
            if (c->skip > 0) {
                size_t take = (size_t)n - at < c->skip ? (size_t)n - at : (size_t)c->skip;
                at += take;
                c->skip -= take;
                continue;
            }
            if (c->closing) break;
            c->header[c->have++] = buffer[at++];
            if (c->have < 2) continue;
            size_t length_bytes = (c->header[1] & 127) == 126 ? 2 : (c->header[1] & 127) == 127 ? 8 : 0;
            size_t need = 2 + length_bytes + ((c->header[1] & 0x80) ? 4 : 0);
            if (c->have < need) continue;
            uint64_t length = c->header[1] & 127;
            if (length_bytes) {
                length = 0;
                for (size_t i = 0; i < length_bytes; i++) length = length << 8 | c->header[2 + i];
            }
            c->closing = (c->header[0] & 0x0F) == 0x8;
            c->skip = length;
            c->have = 0;
        }
        if (c->closing && c->skip == 0) {
            static const uint8_t close_frame[] = {0x88, 0x02, 0x03, 0xE8}; /* 1000, normal closure */
            send(fd, close_frame, sizeof close_frame, MSG_NOSIGNAL);
            close_client(fd);
            return;
        }
    }
}

static void accept_all(int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) perror("accept4");
            return;
        }
        accepted_total++;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        client *c = slot(fd);
        memset(c, 0, sizeof *c);
        c->state = 1;
        c->request = malloc(REQUEST_MAX);
        if (!c->request) die("malloc");
        struct epoll_event event = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) die("epoll_ctl");
        read_request(fd, c); /* the request may already be there */
    }
}

/* ---- the tick -------------------------------------------------------------------------------- */

static uint8_t *mp3;      /* K frames of 72 bytes */
static size_t mp3_length;
static char *payload;     /* base64 of mp3 */
static size_t payload_length;
static char *outgoing;    /* the WebSocket frames sent on one wake-up (one per due tick) */
static size_t frame_capacity; /* room for one frame */
static unsigned chunk_ms;

enum { LATE_TICKS_MAX = 100 }; /* at most this many due ticks go out together; older ones are skipped */

/* Appends the text frame of chunk `tick` at `out`; returns its length. */
static size_t build_frame(uint64_t tick, char *out) {
    char json[96];
    int tail = snprintf(json, sizeof json, "\",\"is_sync\":true,\"seq\":%llu,\"timestamp\":%llu,\"duration\":%u}}",
                        (unsigned long long)tick, (unsigned long long)(tick * chunk_ms), chunk_ms);
    static const char head[] = "{\"event\":\"chunk\",\"media\":{\"payload\":\"";
    size_t text_length = sizeof head - 1 + payload_length + (size_t)tail;
    size_t at = 0;
    out[at++] = (char)0x81; /* FIN, text */
    if (text_length < 126) {
        out[at++] = (char)text_length;
    } else {
        out[at++] = 126;
        out[at++] = (char)(text_length >> 8);
        out[at++] = (char)(text_length & 0xFF);
    }
    memcpy(out + at, head, sizeof head - 1); at += sizeof head - 1;
    memcpy(out + at, payload, payload_length); at += payload_length;
    memcpy(out + at, json, (size_t)tail); at += (size_t)tail;
    return at;
}

/* Sends chunks first..first+count-1 to every client of every stream: normally one frame per
 * stream; when the process woke late, the frames of every due tick, back to back, still in one
 * send() per client. A stream without a client costs nothing. */
static void broadcast(uint64_t first, unsigned count) {
    double start = now_seconds();
    for (int s = 0; s < stream_count; s++) {
        stream_clients *list = &streams[s];
        if (list->count == 0) continue;
        size_t length = 0;
        for (unsigned i = 0; i < count; i++) length += build_frame(first + i, outgoing + length);
        for (int i = 0; i < list->count;) {
            int fd = list->fds[i];
            ssize_t sent = send(fd, outgoing, length, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent == (ssize_t)length) {
                messages_total += count;
                bytes_total += length;
                i++;
            } else {
                /* Would block, took part of the frames, or the peer is gone: drop it (the last fd moves to i). */
                if (sent >= 0 || errno == EAGAIN || errno == EWOULDBLOCK) dropped_total++;
                close_client(fd);
            }
        }
    }
    double took = now_seconds() - start;
    broadcast_seconds_total += took;
    if (took > broadcast_seconds_max) broadcast_seconds_max = took;
}

int main(int argc, char **argv) {
    int port = -1;
    unsigned frames = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--chunk-frames") == 0 && i + 1 < argc) {
            frames = (unsigned)atoi(argv[++i]);
        } else if (strcmp(argv[i], "--streams") == 0 && i + 1 < argc) {
            stream_count = atoi(argv[++i]);
        } else if (argv[i][0] != '-' && port < 0) {
            port = atoi(argv[i]);
        } else {
            fprintf(stderr, "usage: %s PORT [--chunk-frames K] [--streams S]\n", argv[0]);
            return 2;
        }
    }
    if (port < 0 || port > 65535 || frames < 1 || frames > 100 || stream_count < 1 || stream_count > 1000000) {
        fprintf(stderr, "usage: %s PORT [--chunk-frames K] [--streams S]   (K from 1 to 100, S from 1 to 1000000)\n",
                argv[0]);
        return 2;
    }
    streams = calloc((size_t)stream_count, sizeof *streams);
    if (!streams) die("calloc");
    chunk_ms = 72 * frames;

    /* As many sockets as the hard limit allows. */
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }

    /* K copies of the golden 72-byte MPEG-2.5 frame of docs/PROTOCOL.md: FF E3 18 C4 00, then each byte its offset. */
    mp3_length = 72 * frames;
    mp3 = malloc(mp3_length);
    payload = malloc(mp3_length / 3 * 4 + 8);
    frame_capacity = mp3_length / 3 * 4 + 256;
    outgoing = malloc(frame_capacity * LATE_TICKS_MAX);
    for (size_t i = 0; i < mp3_length; i++) mp3[i] = (uint8_t)(i % 72);
    for (size_t f = 0; f < frames; f++) memcpy(mp3 + 72 * f, "\xFF\xE3\x18\xC4\x00", 5);
    payload_length = base64(mp3, mp3_length, payload);

    signal(SIGPIPE, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigprocmask(SIG_BLOCK, &signals, NULL);
    int signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
    if (listen(listener, 4096) < 0) die("listen");

    /* Tick k is due at start + k × chunk: an absolute monotonic timer, so no drift adds up. */
    int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct itimerspec period = {
        .it_interval = {.tv_sec = chunk_ms / 1000, .tv_nsec = (long)(chunk_ms % 1000) * 1000000L},
        .it_value = start,
    };
    period.it_value.tv_nsec += 1000; /* tick 0 at once */
    if (period.it_value.tv_nsec >= 1000000000L) { period.it_value.tv_sec++; period.it_value.tv_nsec -= 1000000000L; }
    if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &period, NULL) < 0) die("timerfd_settime");

    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
    event.data.fd = timer_fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &event);
    event.data.fd = signal_fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, signal_fd, &event);
    fprintf(stderr, "baseline: listening on 127.0.0.1:%d, one %u-byte chunk every %u ms\n", port,
            (unsigned)mp3_length, chunk_ms);

    uint64_t next_tick = 0; /* the number of the next tick to send */
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(epoll_fd, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == timer_fd) {
                uint64_t expirations = 0;
                if (read(timer_fd, &expirations, sizeof expirations) != sizeof expirations) continue;
                /* Every due tick goes out, late ones together (counted); past LATE_TICKS_MAX the oldest are skipped. */
                uint64_t skip = expirations > LATE_TICKS_MAX ? expirations - LATE_TICKS_MAX : 0;
                ticks_total++;
                ticks_late_total += expirations - 1 - skip;
                ticks_skipped_total += skip;
                broadcast(next_tick + skip, (unsigned)(expirations - skip));
                next_tick += expirations;
            } else if (fd == listener) {
                accept_all(listener);
            } else if (fd == signal_fd) {
                fprintf(stderr,
                        "baseline: clients %d, accepted %llu, upgraded %llu, messages %llu, dropped slow %llu, "
                        "wake-ups %llu (late ticks sent together %llu, skipped %llu), broadcast max %.2f ms, mean %.2f ms\n",
                        open_count, accepted_total, upgraded_total, messages_total, dropped_total, ticks_total,
                        ticks_late_total, ticks_skipped_total, broadcast_seconds_max * 1e3,
                        ticks_total ? broadcast_seconds_total * 1e3 / (double)ticks_total : 0.0);
                return 0;
            } else if (fd < clients_size && clients[fd].state != 0) {
                client *c = &clients[fd];
                if (c->state == 1) read_request(fd, c);
                else if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_frames(fd, c);
            }
        }
    }
}
