/*
 * test_daemon.c - smmud itself: lifecycle, sd-daemon, signals, access
 * rules and the wire, driven over raw sockets with the generated
 * protobuf-c code (the client library has its own suite).
 *
 * Every test starts its own smmud through the harness (a private
 * directory and socket) and the checked teardown stops it; the harness
 * also kills daemons of a test that dies (see harness.c).
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "frame.h"
#include "harness.h"
#include "smmu.pb-c.h"
#include "suites.h"

#define ST(x) SMMU__V1__STATUS__STATUS_##x
#define T_IO_TIMEOUT_MS 5000
#define T_RAM_GPA 0x40000000ull
#define T_SHARED_GPA 0x80000000ull
#define T_SHARED_SIZE (2u << 20)
#define T_CLIENTS 32
#define T_CLIENT_ROUNDS 150

static struct harness h;

/* ---- helpers --------------------------------------------------------- */

/* protobuf-c wants char * for strings it never modifies. */
static char *
t_str(const char *s)
{
	return (char *)(uintptr_t)s;
}

static long long
t_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
t_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* harness_init() + harness_start(), asserting both. */
static void
t_start(const char *yaml, const char *const *envp)
{
	ck_assert_int_eq(harness_init(&h, yaml), 0);
	ck_assert_msg(harness_start(&h, NULL, envp) == 0,
	    "smmud did not start (log above)");
}

/* The default topology with more text appended (more VMs). */
/* Write all of buf; 0 or -1. */
static int
t_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes within timeout_ms; 0, or -1 (EOF, error). */
static int
t_read_all(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long deadline = t_now_ms() + timeout_ms;
	uint8_t *p = buf;
	ssize_t n;
	int left;

	while (len > 0) {
		left = (int)(deadline - t_now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -1;
		n = recv(fd, p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send one Request frame; 0 or -1. */
static int
t_send(int fd, const Smmu__V1__Request *req)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if (frame_pack(&req->base, UINT32_MAX, &buf, &len) < 0)
		return -1;
	rc = t_write_all(fd, buf, len);
	free(buf);
	return rc;
}

/* Receive one Response (free with t_free()); NULL on EOF or error. */
static Smmu__V1__Response *
t_recv(int fd)
{
	uint8_t hdr[FRAME_HDR_LEN], *body;
	Smmu__V1__Response *r;
	uint32_t len;

	if (t_read_all(fd, hdr, sizeof(hdr), T_IO_TIMEOUT_MS) == -1)
		return NULL;
	len = frame_hdr_get(hdr);
	if (len > (64u << 20) || (body = malloc(len + 1)) == NULL)
		return NULL;
	if (t_read_all(fd, body, len, T_IO_TIMEOUT_MS) == -1) {
		free(body);
		return NULL;
	}
	r = smmu__v1__response__unpack(NULL, len, body);
	free(body);
	return r;
}

static void
t_free(Smmu__V1__Response *r)
{
	if (r != NULL)
		smmu__v1__response__free_unpacked(r, NULL);
}

/* Whether the daemon closes fd (EOF or reset) within timeout_ms. */
static bool
t_closed(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long deadline = t_now_ms() + timeout_ms;
	char buf[256];
	ssize_t n;
	int left;

	for (;;) {
		left = (int)(deadline - t_now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return true;
		if (n == -1 && errno != EINTR)
			return false;
	}
}

/* Send req and receive its response, which must carry req's id. */
static Smmu__V1__Response *
t_call(int fd, const Smmu__V1__Request *req)
{
	Smmu__V1__Response *r;

	ck_assert_int_eq(t_send(fd, req), 0);
	r = t_recv(fd);
	ck_assert_msg(r != NULL, "no response to request %u", req->id);
	ck_assert_uint_eq(r->id, req->id);
	return r;
}

/* Hello with version v as request id; returns the response. */
static Smmu__V1__Response *
t_hello_v(int fd, uint32_t id, uint32_t v)
{
	Smmu__V1__Request req;
	Smmu__V1__Hello hello;

	smmu__v1__request__init(&req);
	smmu__v1__hello__init(&hello);
	hello.protocol_version = v;
	hello.client_name = t_str("test_daemon");
	req.id = id;
	req.body_case = SMMU__V1__REQUEST__BODY_HELLO;
	req.hello = &hello;
	return t_call(fd, &req);
}

/* Connect and say Hello (asserting OK); returns the fd. */
static int
t_connect_hello(void)
{
	Smmu__V1__Response *r;
	int fd = harness_connect_raw(&h);

	ck_assert_int_ge(fd, 0);
	r = t_hello_v(fd, 1, FRAME_PROTOCOL_VERSION);
	ck_assert_msg(r->status == ST(OK), "Hello: %s", r->message);
	t_free(r);
	return fd;
}

/* A Stats request. */
static void
t_req_stats(Smmu__V1__Request *req, Smmu__V1__Stats *st, uint32_t id)
{
	smmu__v1__request__init(req);
	smmu__v1__stats__init(st);
	req->id = id;
	req->body_case = SMMU__V1__REQUEST__BODY_STATS;
	req->stats = st;
}

/* A Translate request for smmu0. */
static void
t_req_translate(Smmu__V1__Request *req, Smmu__V1__Translate *t, uint32_t id,
    uint32_t sid, uint64_t iova)
{
	smmu__v1__request__init(req);
	smmu__v1__translate__init(t);
	t->smmu = t_str("smmu0");
	t->sid = sid;
	t->iova = iova;
	req->id = id;
	req->body_case = SMMU__V1__REQUEST__BODY_TRANSLATE;
	req->translate = t;
}

/* A MemRead request. */
static void
t_req_mem_read(Smmu__V1__Request *req, Smmu__V1__MemRead *m, uint32_t id,
    const char *vm, uint64_t gpa, uint32_t len)
{
	smmu__v1__request__init(req);
	smmu__v1__mem_read__init(m);
	m->vm = t_str(vm);
	m->gpa = gpa;
	m->len = len;
	req->id = id;
	req->body_case = SMMU__V1__REQUEST__BODY_MEM_READ;
	req->mem_read = m;
}

/* Stats round trip on fd; returns the response (asserted OK). */
static Smmu__V1__Response *
t_stats(int fd, uint32_t id)
{
	Smmu__V1__Request req;
	Smmu__V1__Stats st;
	Smmu__V1__Response *r;

	t_req_stats(&req, &st, id);
	r = t_call(fd, &req);
	ck_assert_msg(r->status == ST(OK), "Stats: %s", r->message);
	ck_assert_int_eq(r->body_case, SMMU__V1__RESPONSE__BODY_STATS);
	return r;
}

/* Whether the daemon still serves a fresh connection. */
static void
t_assert_alive(void)
{
	Smmu__V1__Response *r;
	int fd;

	ck_assert_int_eq(kill(h.pid, 0), 0);
	fd = t_connect_hello();
	r = t_stats(fd, 2);
	t_free(r);
	(void)close(fd);
}

/* Occurrences of needle in the daemon's log. */
static unsigned
t_log_count(const char *needle)
{
	char *buf = NULL, *p;
	size_t cap = 0;
	ssize_t n;
	unsigned count = 0;
	FILE *f = fopen(h.log, "r");

	if (f == NULL)
		return 0;
	n = getdelim(&buf, &cap, '\0', f);
	(void)fclose(f);
	if (n > 0)
		for (p = buf; (p = strstr(p, needle)) != NULL; p++)
			count++;
	free(buf);
	return count;
}

/* Wait until needle appears at least n times in the log. */
static void
t_log_wait(const char *needle, unsigned n)
{
	long long deadline = t_now_ms() + T_IO_TIMEOUT_MS;

	while (t_log_count(needle) < n) {
		ck_assert_msg(t_now_ms() < deadline, "log never said '%s' "
		    "(%u times)", needle, n);
		t_sleep_ms(10);
	}
}

/* Whether the Hello result lists VM vm. */
static bool
t_hello_has_vm(const Smmu__V1__Response *r, const char *vm)
{
	size_t i;

	for (i = 0; i < r->hello->n_vms; i++)
		if (strcmp(r->hello->vms[i]->name, vm) == 0)
			return true;
	return false;
}

/* Write text to path (replacing it). */
static void
t_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* Replace every "@KEY@" by val in *text (reallocated). */
static void
t_subst(char **text, const char *key, const char *val)
{
	char *p, *n;

	while ((p = strstr(*text, key)) != NULL) {
		*p = '\0';
		ck_assert_int_ne(asprintf(&n, "%s%s%s", *text, val,
		    p + strlen(key)), -1);
		free(*text);
		*text = n;
	}
}

/* Rewrite the topology file, with the harness's substitutions. */
static void
t_write_conf(const char *yaml)
{
	char *text = strdup(yaml);

	ck_assert_ptr_nonnull(text);
	t_subst(&text, "@SOCK@", h.sock);
	t_subst(&text, "@DIR@", h.dir);
	t_write_file(h.conf, text);
	free(text);
}

/* Copy the daemon's log to stderr (a failed test). */
static void
t_dump_log(void)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(h.log, "r");

	if (f == NULL)
		return;
	fprintf(stderr, "---- %s ----\n", h.log);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		(void)fwrite(buf, 1, n, stderr);
	fprintf(stderr, "---- end of log ----\n");
	(void)fclose(f);
}

/*
 * Stop the daemon, which must exit 0 (under SAN=1 that also means no
 * sanitizer report and no leak), and remove the directory.
 */
static void
teardown(void)
{
	int st = 0;

	if (h.pid > 0) {
		st = harness_signal_wait(&h, SIGTERM, 10000);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			t_dump_log();
	}
	harness_stop(&h);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "smmud did not exit 0 on SIGTERM (status 0x%x)", st);
}

/* ---- handshake and the basic round trip ----------------------------- */

START_TEST(test_hello_stats)
{
	Smmu__V1__Response *r;
	Smmu__V1__StatsResult *sr;
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = harness_connect_raw(&h);
	ck_assert_int_ge(fd, 0);
	r = t_hello_v(fd, 1, FRAME_PROTOCOL_VERSION);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_int_eq(r->body_case, SMMU__V1__RESPONSE__BODY_HELLO);
	ck_assert_uint_eq(r->hello->protocol_version, FRAME_PROTOCOL_VERSION);
	ck_assert_str_ne(r->hello->server_version, "");
	ck_assert_uint_eq(r->hello->max_frame, 1u << 20);
	ck_assert_uint_eq(r->hello->n_vms, 1);
	ck_assert_str_eq(r->hello->vms[0]->name, "vm0");
	ck_assert_uint_eq(r->hello->vms[0]->n_smmus, 1);
	ck_assert_str_eq(r->hello->vms[0]->smmus[0], "smmu0");
	t_free(r);

	r = t_stats(fd, 2);
	sr = r->stats;
	ck_assert_ptr_nonnull(sr->daemon);
	ck_assert_uint_eq(sr->daemon->workers, 2);
	ck_assert_uint_ge(sr->daemon->clients, 1);
	ck_assert_uint_ge(sr->daemon->requests, 1);
	ck_assert_uint_gt(sr->daemon->rss_bytes, 0);
	ck_assert_uint_eq(sr->n_smmus, 1);
	ck_assert_str_eq(sr->smmus[0]->smmu, "vm0/smmu0");
	ck_assert_ptr_nonnull(sr->smmus[0]->counters);
	ck_assert_ptr_nonnull(sr->smmus[0]->tlb);
	t_free(r);
	(void)close(fd);
}
END_TEST

START_TEST(test_before_hello)
{
	Smmu__V1__Request req;
	Smmu__V1__Stats st;
	Smmu__V1__Response *r;
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = harness_connect_raw(&h);
	ck_assert_int_ge(fd, 0);
	t_req_stats(&req, &st, 41);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(FAILED_PRECONDITION));
	ck_assert_ptr_nonnull(strstr(r->message, "Hello"));
	ck_assert_int_eq(r->body_case, SMMU__V1__RESPONSE__BODY__NOT_SET);
	t_free(r);
	/* The connection survives: Hello, then Stats, work. */
	r = t_hello_v(fd, 42, FRAME_PROTOCOL_VERSION);
	ck_assert_int_eq(r->status, ST(OK));
	t_free(r);
	t_free(t_stats(fd, 43));
	(void)close(fd);
}
END_TEST

START_TEST(test_bad_version)
{
	Smmu__V1__Response *r;
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = harness_connect_raw(&h);
	ck_assert_int_ge(fd, 0);
	r = t_hello_v(fd, 7, FRAME_PROTOCOL_VERSION + 1);
	ck_assert_int_eq(r->status, ST(UNSUPPORTED_VERSION));
	ck_assert_ptr_nonnull(strstr(r->message, "version 2"));
	t_free(r);
	ck_assert(t_closed(fd, T_IO_TIMEOUT_MS));
	(void)close(fd);
	t_assert_alive();
}
END_TEST

/* ---- bad frames ------------------------------------------------------ */

START_TEST(test_unknown_member)
{
	/*
	 * Request { id: 7, <field 99>: empty message }, hand-encoded: a
	 * oneof member this server does not know (a newer client).
	 * 0x08 0x07: field 1 varint 7; 0x9a 0x06: field 99, wire type 2
	 * ((99 << 3) | 2 = 794); 0x00: length 0.
	 */
	static const uint8_t body[] = { 0x08, 0x07, 0x9a, 0x06, 0x00 };
	uint8_t frame[FRAME_HDR_LEN + sizeof(body)];
	Smmu__V1__Response *r;
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = t_connect_hello();
	frame_hdr_put(frame, sizeof(body));
	memcpy(frame + FRAME_HDR_LEN, body, sizeof(body));
	ck_assert_int_eq(t_write_all(fd, frame, sizeof(frame)), 0);
	r = t_recv(fd);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, 7);
	ck_assert_int_eq(r->status, ST(UNIMPLEMENTED));
	t_free(r);
	/* The connection is still good. */
	t_free(t_stats(fd, 8));
	(void)close(fd);
}
END_TEST

START_TEST(test_malformed)
{
	/* Field 1 as a varint that never ends: not a Request. */
	static const uint8_t body[] = { 0x08, 0xff, 0xff, 0xff };
	uint8_t frame[FRAME_HDR_LEN + sizeof(body)];
	Smmu__V1__Response *r;
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = t_connect_hello();
	frame_hdr_put(frame, sizeof(body));
	memcpy(frame + FRAME_HDR_LEN, body, sizeof(body));
	ck_assert_int_eq(t_write_all(fd, frame, sizeof(frame)), 0);
	r = t_recv(fd);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, 0);
	ck_assert_int_eq(r->status, ST(INVALID_ARGUMENT));
	ck_assert_str_eq(r->message, "malformed request (4 bytes)");
	t_free(r);
	ck_assert(t_closed(fd, T_IO_TIMEOUT_MS));
	(void)close(fd);
	t_assert_alive();
}
END_TEST

START_TEST(test_oversize)
{
	uint8_t hdr[FRAME_HDR_LEN];
	Smmu__V1__Response *r;
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = t_connect_hello();
	/* Only the header: the daemon must not wait for the body. */
	frame_hdr_put(hdr, (1u << 20) + 1);
	ck_assert_int_eq(t_write_all(fd, hdr, sizeof(hdr)), 0);
	r = t_recv(fd);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, 0);
	ck_assert_int_eq(r->status, ST(RESOURCE_EXHAUSTED));
	ck_assert_str_eq(r->message,
	    "frame of 1048577 bytes exceeds max_frame 1048576");
	t_free(r);
	ck_assert(t_closed(fd, T_IO_TIMEOUT_MS));
	(void)close(fd);
	t_assert_alive();
}
END_TEST

START_TEST(test_truncated)
{
	uint8_t frame[FRAME_HDR_LEN + 10];
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = t_connect_hello();
	/* The header promises 100 bytes; 10 come, then the client leaves. */
	memset(frame, 0, sizeof(frame));
	frame_hdr_put(frame, 100);
	ck_assert_int_eq(t_write_all(fd, frame, sizeof(frame)), 0);
	(void)close(fd);
	/* Also before any Hello. */
	fd = harness_connect_raw(&h);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(t_write_all(fd, frame, 3), 0);
	(void)close(fd);
	t_assert_alive();
	t_log_wait("incomplete frame", 1);
}
END_TEST

START_TEST(test_pipelined)
{
	enum { N = 60 };
	Smmu__V1__Request req;
	Smmu__V1__Translate t;
	Smmu__V1__Stats st;
	Smmu__V1__MemRead m;
	Smmu__V1__Response *r;
	uint8_t *all = NULL, *buf;
	size_t total = 0, len;
	unsigned i;
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = t_connect_hello();
	/* N requests of three kinds in one write, then read N replies. */
	for (i = 0; i < N; i++) {
		if (i % 3 == 0)
			t_req_translate(&req, &t, 100 + i, i, 0x1000 * i);
		else if (i % 3 == 1)
			t_req_stats(&req, &st, 100 + i);
		else
			t_req_mem_read(&req, &m, 100 + i, "vm0", 0x10, 8);
		ck_assert_int_eq(frame_pack(&req.base, UINT32_MAX, &buf, &len),
		    0);
		all = realloc(all, total + len);
		ck_assert_ptr_nonnull(all);
		memcpy(all + total, buf, len);
		total += len;
		free(buf);
	}
	ck_assert_int_eq(t_write_all(fd, all, total), 0);
	free(all);
	for (i = 0; i < N; i++) {
		r = t_recv(fd);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(r->id, 100 + i);
		if (i % 3 == 0) {
			ck_assert_int_eq(r->status, ST(OK));
			ck_assert_int_eq(r->translate->outcome_case,
			    SMMU__V1__TRANSLATE_RESULT__OUTCOME_MAPPING);
			ck_assert_uint_eq(r->translate->mapping->output,
			    0x1000 * i);
		} else if (i % 3 == 1) {
			ck_assert_int_eq(r->status, ST(OK));
			ck_assert_int_eq(r->body_case,
			    SMMU__V1__RESPONSE__BODY_STATS);
		} else {
			/* 0x10 is below RAM: an error, in its place. */
			ck_assert_int_eq(r->status, ST(BAD_ADDRESS));
		}
		t_free(r);
	}
	(void)close(fd);
}
END_TEST

/* ---- many clients, one vanishing ------------------------------------- */

/* One of the 32 clients: translate and read stats; count wrong answers. */
static void *
t_client_main(void *arg)
{
	uintptr_t idx = (uintptr_t)arg;
	Smmu__V1__Request req;
	Smmu__V1__Translate t;
	Smmu__V1__Stats st;
	Smmu__V1__Hello hello;
	Smmu__V1__Attach at;
	Smmu__V1__DmaWindow win;
	Smmu__V1__Response *r;
	uintptr_t bad = 0;
	char name[32];
	uint32_t id, sid = 1000 + (uint32_t)idx;
	uint64_t iova = 0;
	unsigned i;
	int fd = harness_connect_raw(&h);

	if (fd < 0)
		return (void *)(uintptr_t)1000;
	smmu__v1__request__init(&req);
	smmu__v1__hello__init(&hello);
	hello.protocol_version = FRAME_PROTOCOL_VERSION;
	req.id = 1;
	req.body_case = SMMU__V1__REQUEST__BODY_HELLO;
	req.hello = &hello;
	if (t_send(fd, &req) == -1 || (r = t_recv(fd)) == NULL) {
		(void)close(fd);
		return (void *)(uintptr_t)1000;
	}
	bad += r->status != ST(OK);
	t_free(r);
	/* A device with a 4 GiB DMA window on its own StreamID. */
	smmu__v1__request__init(&req);
	smmu__v1__attach__init(&at);
	smmu__v1__dma_window__init(&win);
	win.start = 0;
	win.end = 0xffffffffull;
	at.smmu = t_str("vm0/smmu0");
	(void)snprintf(name, sizeof(name), "pci-%02x:00.0", (unsigned)idx);
	at.device = name;
	at.sid_opt_case = SMMU__V1__ATTACH__SID_OPT_SID;
	at.sid = sid;
	at.window = &win;
	req.id = 2;
	req.body_case = SMMU__V1__REQUEST__BODY_ATTACH;
	req.attach = &at;
	if (t_send(fd, &req) == -1 || (r = t_recv(fd)) == NULL) {
		(void)close(fd);
		return (void *)(uintptr_t)1000;
	}
	bad += r->status != ST(OK) || r->attach == NULL ||
	    r->attach->sid != sid;
	t_free(r);
	for (i = 0; i < T_CLIENT_ROUNDS; i++) {
		id = 10 + i;
		if (i % 10 == 9) {
			t_req_stats(&req, &st, id);
		} else {
			/* Every 4th IOVA lies outside the window. */
			iova = ((uint64_t)idx << 24) + (uint64_t)i * 0x1000;
			if (i % 4 == 3)
				iova += 1ull << 32;
			t_req_translate(&req, &t, id, sid, iova);
		}
		if (t_send(fd, &req) == -1 || (r = t_recv(fd)) == NULL) {
			bad += 100;
			break;
		}
		if (r->id != id || r->status != ST(OK)) {
			bad++;
		} else if (i % 10 == 9) {
			bad += r->body_case != SMMU__V1__RESPONSE__BODY_STATS;
		} else if (i % 4 == 3) {
			bad += r->translate->outcome_case !=
			    SMMU__V1__TRANSLATE_RESULT__OUTCOME_FAULT ||
			    r->translate->fault->type != 0x10 ||
			    r->translate->fault->recorded ||
			    r->translate->fault->input_addr != iova;
		} else {
			/* Disabled SMMU, GBPA.ABORT = 0: identity bypass. */
			bad += r->translate->outcome_case !=
			    SMMU__V1__TRANSLATE_RESULT__OUTCOME_MAPPING ||
			    r->translate->mapping->output != iova ||
			    !r->translate->mapping->bypass;
		}
		t_free(r);
	}
	(void)close(fd);
	return (void *)bad;
}

/* Clients that leave mid-request in various ways. */
static void
t_vanish(unsigned round)
{
	Smmu__V1__Request req;
	Smmu__V1__Translate t;
	uint8_t *buf;
	size_t len;
	unsigned i;
	int fd;

	/* Half a Translate frame, then gone. */
	fd = t_connect_hello();
	t_req_translate(&req, &t, 5, 1, 0x1000);
	ck_assert_int_eq(frame_pack(&req.base, UINT32_MAX, &buf, &len), 0);
	ck_assert_int_eq(t_write_all(fd, buf, len / 2), 0);
	free(buf);
	(void)close(fd);
	/* Many pipelined requests, gone before reading any reply. */
	fd = t_connect_hello();
	for (i = 0; i < 200; i++) {
		t_req_translate(&req, &t, 100 + i, 1, 0x1000 * i);
		if (t_send(fd, &req) == -1)
			break;
	}
	if (round % 2 == 0) {
		/* Reset with unread data: the daemon sees ECONNRESET. */
		struct linger lg = { 1, 0 };

		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	(void)close(fd);
}

START_TEST(test_vanish_many_clients)
{
	pthread_t th[T_CLIENTS];
	void *ret;
	uintptr_t bad = 0;
	unsigned i;

	t_start(harness_default_yaml(), NULL);
	for (i = 0; i < T_CLIENTS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, t_client_main,
		    (void *)(uintptr_t)i), 0);
	for (i = 0; i < 8; i++)
		t_vanish(i);
	for (i = 0; i < T_CLIENTS; i++) {
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		bad += (uintptr_t)ret;
	}
	ck_assert_msg(bad == 0, "%lu wrong answers", (unsigned long)bad);
	t_assert_alive();
}
END_TEST

/* Wait until the daemon counts n clients (Stats over fd). */
static void
t_wait_clients(int fd, unsigned n)
{
	long long deadline = t_now_ms() + T_IO_TIMEOUT_MS;
	Smmu__V1__Response *r;
	unsigned now;

	for (;;) {
		r = t_stats(fd, 99);
		now = r->stats->daemon->clients;
		t_free(r);
		if (now == n)
			return;
		ck_assert_msg(t_now_ms() < deadline, "%u clients, not %u", now,
		    n);
		t_sleep_ms(10);
	}
}

START_TEST(test_max_clients)
{
	Smmu__V1__Response *r;
	int fd[4], extra;
	char *yaml;
	unsigned i;

	ck_assert_int_ne(asprintf(&yaml, "max_clients: 3\n%s",
	    harness_default_yaml()), -1);
	t_start(yaml, NULL);
	free(yaml);
	fd[0] = t_connect_hello();
	/* The harness's readiness probe may still be counted: wait. */
	t_wait_clients(fd[0], 1);
	fd[1] = t_connect_hello();
	fd[2] = t_connect_hello();
	fd[3] = harness_connect_raw(&h);
	ck_assert_int_ge(fd[3], 0);
	r = t_recv(fd[3]);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->status, ST(RESOURCE_EXHAUSTED));
	ck_assert_str_eq(r->message, "too many clients (max_clients 3)");
	t_free(r);
	ck_assert(t_closed(fd[3], T_IO_TIMEOUT_MS));
	/* A place frees up when a client leaves. */
	(void)close(fd[0]);
	t_wait_clients(fd[1], 2);
	extra = t_connect_hello();
	(void)close(extra);
	for (i = 1; i < 4; i++)
		(void)close(fd[i]);
}
END_TEST

START_TEST(test_backpressure)
{
	enum { N = 200, LEN = 60000 };
	Smmu__V1__Request req;
	Smmu__V1__MemRead m;
	Smmu__V1__Response *r;
	uint8_t *buf;
	size_t len;
	char *yaml;
	unsigned i;
	int fd;

	/* 200 replies of 60 KB (12 MB) to requests sent without reading. */
	ck_assert_int_ne(asprintf(&yaml, "max_frame: 64KiB\n%s",
	    harness_default_yaml()), -1);
	t_start(yaml, NULL);
	free(yaml);
	fd = t_connect_hello();
	for (i = 0; i < N; i++) {
		t_req_mem_read(&req, &m, 10 + i, "vm0", T_RAM_GPA + i, LEN);
		ck_assert_int_eq(frame_pack(&req.base, UINT32_MAX, &buf, &len),
		    0);
		ck_assert_int_eq(t_write_all(fd, buf, len), 0);
		free(buf);
	}
	/* The daemon stopped reading rather than queueing 12 MB. */
	t_log_wait("pausing", 1);
	for (i = 0; i < N; i++) {
		r = t_recv(fd);
		ck_assert_msg(r != NULL, "reply %u missing", i);
		ck_assert_uint_eq(r->id, 10 + i);
		ck_assert_int_eq(r->status, ST(OK));
		ck_assert_uint_eq(r->mem_read->data.len, LEN);
		t_free(r);
	}
	t_log_wait("resuming", 1);
	t_free(t_stats(fd, 5));
	(void)close(fd);
}
END_TEST

START_TEST(test_too_many_fds)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 20)];
	} cbuf;
	Smmu__V1__Request req;
	Smmu__V1__Stats st;
	Smmu__V1__Response *r;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	uint8_t *buf;
	size_t len;
	int fds[20], fd, pfd[2];
	unsigned i;

	t_start(harness_default_yaml(), NULL);
	fd = t_connect_hello();
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	for (i = 0; i < 20; i++)
		fds[i] = pfd[0];
	t_req_stats(&req, &st, 3);
	ck_assert_int_eq(frame_pack(&req.base, UINT32_MAX, &buf, &len), 0);
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	ck_assert_int_eq(sendmsg(fd, &msg, MSG_NOSIGNAL), (ssize_t)len);
	free(buf);
	/* 20 > 16 fds in one message: refused, connection closed. */
	r = t_recv(fd);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, 0);
	ck_assert_int_eq(r->status, ST(RESOURCE_EXHAUSTED));
	t_free(r);
	ck_assert(t_closed(fd, T_IO_TIMEOUT_MS));
	(void)close(fd);
	/* The daemon closed every copy: the pipe's write end sees EPIPE. */
	(void)close(pfd[0]);
	t_assert_alive();
	ck_assert_int_eq(write(pfd[1], "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	(void)close(pfd[1]);
}
END_TEST

/* ---- requests --------------------------------------------------------- */

START_TEST(test_requests)
{
	Smmu__V1__Request req;
	Smmu__V1__Attach at;
	Smmu__V1__DmaWindow win;
	Smmu__V1__Detach de;
	Smmu__V1__ListDevices ld;
	Smmu__V1__Translate t;
	Smmu__V1__TranslateBatch tb;
	Smmu__V1__Invalidate inv;
	Smmu__V1__InvAll all;
	Smmu__V1__MmioRead mr;
	Smmu__V1__Response *r;
	uint32_t sids[3] = { 5, 5, 5 }, acc[3] = { 0, 2, 0 };
	uint64_t iovas[3] = { 0x1000, 0x2000, 0x5000000 };
	uint64_t raw[2] = { 0x4, 0 };
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = t_connect_hello();

	/* Attach with a window; the same name again; a SID out of range. */
	smmu__v1__request__init(&req);
	smmu__v1__attach__init(&at);
	smmu__v1__dma_window__init(&win);
	win.start = 0x1000;
	win.end = 0x3fff;
	at.smmu = t_str("smmu0");
	at.device = t_str("pci-0000:01:00.0");
	at.window = &win;
	req.id = 2;
	req.body_case = SMMU__V1__REQUEST__BODY_ATTACH;
	req.attach = &at;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_uint_eq(r->attach->sid, 0);	/* the lowest free SID */
	t_free(r);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(ALREADY_EXISTS));
	t_free(r);
	at.device = t_str("pci-0000:02:00.0");
	at.window = NULL;
	at.sid_opt_case = SMMU__V1__ATTACH__SID_OPT_SID;
	at.sid = 1u << 16;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(INVALID_ARGUMENT));
	t_free(r);
	at.sid = 5;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_uint_eq(r->attach->sid, 5);
	t_free(r);
	at.device = t_str("bad name!");
	at.sid_opt_case = SMMU__V1__ATTACH__SID_OPT__NOT_SET;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(INVALID_ARGUMENT));
	t_free(r);

	/* ListDevices: both, sorted by SID, with the window. */
	smmu__v1__request__init(&req);
	smmu__v1__list_devices__init(&ld);
	req.id = 3;
	req.body_case = SMMU__V1__REQUEST__BODY_LIST_DEVICES;
	req.list_devices = &ld;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_uint_eq(r->list_devices->n_devices, 2);
	ck_assert_str_eq(r->list_devices->devices[0]->name,
	    "pci-0000:01:00.0");
	ck_assert_str_eq(r->list_devices->devices[0]->smmu, "vm0/smmu0");
	ck_assert_ptr_nonnull(r->list_devices->devices[0]->window);
	ck_assert_uint_eq(r->list_devices->devices[0]->window->end, 0x3fff);
	ck_assert_uint_eq(r->list_devices->devices[1]->sid, 5);
	ck_assert_ptr_null(r->list_devices->devices[1]->window);
	t_free(r);

	/* Translate outside SID 0's window: a fault, engine untouched. */
	t_req_translate(&req, &t, 4, 0, 0x4000);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_int_eq(r->translate->outcome_case,
	    SMMU__V1__TRANSLATE_RESULT__OUTCOME_FAULT);
	ck_assert_uint_eq(r->translate->fault->type, 0x10);
	ck_assert_str_eq(r->translate->fault->type_name, "F_TRANSLATION");
	ck_assert_str_eq(r->translate->fault->detail,
	    "outside the device's DMA window");
	ck_assert(!r->translate->fault->recorded);
	ck_assert(r->translate->fault->abort);
	ck_assert(r->translate->fault->rnw);
	t_free(r);
	t.access = 0x10;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(INVALID_ARGUMENT));
	t_free(r);
	t.access = 0;
	t.smmu = t_str("vm0/smmu9");
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(NOT_FOUND));
	ck_assert_str_eq(r->message, "no SMMU 'smmu9' among vm0's SMMUs");
	t_free(r);

	/* TranslateBatch: results in order; unequal arrays refused. */
	smmu__v1__request__init(&req);
	smmu__v1__translate_batch__init(&tb);
	tb.smmu = t_str("smmu0");
	tb.n_sid = tb.n_iova = tb.n_access = 3;
	tb.sid = sids;
	tb.iova = iovas;
	tb.access = acc;
	req.id = 5;
	req.body_case = SMMU__V1__REQUEST__BODY_TRANSLATE_BATCH;
	req.translate_batch = &tb;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_uint_eq(r->translate_batch->n_output, 3);
	ck_assert_uint_eq(r->translate_batch->output[2], 0x5000000);
	ck_assert_uint_eq(r->translate_batch->n_faults, 0);
	t_free(r);
	tb.n_access = 2;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(INVALID_ARGUMENT));
	t_free(r);

	/* Invalidate all; raw commands are for later. */
	smmu__v1__request__init(&req);
	smmu__v1__invalidate__init(&inv);
	smmu__v1__inv_all__init(&all);
	inv.smmu = t_str("smmu0");
	inv.scope_case = SMMU__V1__INVALIDATE__SCOPE_ALL;
	inv.all = &all;
	req.id = 6;
	req.body_case = SMMU__V1__REQUEST__BODY_INVALIDATE;
	req.invalidate = &inv;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_int_eq(r->body_case, SMMU__V1__RESPONSE__BODY_INVALIDATE);
	t_free(r);
	inv.n_raw_commands = 2;
	inv.raw_commands = raw;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(UNIMPLEMENTED));
	t_free(r);

	/* Reserved requests. */
	smmu__v1__request__init(&req);
	smmu__v1__mmio_read__init(&mr);
	req.id = 7;
	req.body_case = SMMU__V1__REQUEST__BODY_MMIO_READ;
	req.mmio_read = &mr;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(UNIMPLEMENTED));
	ck_assert_str_eq(r->message, "not implemented yet: MmioRead");
	t_free(r);

	/* Detach, twice. */
	smmu__v1__request__init(&req);
	smmu__v1__detach__init(&de);
	de.smmu = t_str("smmu0");
	de.device = t_str("pci-0000:01:00.0");
	req.id = 8;
	req.body_case = SMMU__V1__REQUEST__BODY_DETACH;
	req.detach = &de;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	t_free(r);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(NOT_FOUND));
	t_free(r);
	(void)close(fd);
}
END_TEST

/* ---- guest memory ----------------------------------------------------- */

START_TEST(test_mem)
{
	static const char text[] = "hello, guest";
	Smmu__V1__Request req;
	Smmu__V1__MemWrite w;
	Smmu__V1__MemRead m;
	Smmu__V1__Response *r;
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = t_connect_hello();
	smmu__v1__request__init(&req);
	smmu__v1__mem_write__init(&w);
	w.vm = t_str("vm0");
	w.gpa = T_RAM_GPA + 0x1234;
	w.data.data = (uint8_t *)(uintptr_t)text;
	w.data.len = sizeof(text);
	req.id = 2;
	req.body_case = SMMU__V1__REQUEST__BODY_MEM_WRITE;
	req.mem_write = &w;
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	t_free(r);

	t_req_mem_read(&req, &m, 3, "vm0", T_RAM_GPA + 0x1234, sizeof(text));
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_uint_eq(r->mem_read->data.len, sizeof(text));
	ck_assert_mem_eq(r->mem_read->data.data, text, sizeof(text));
	t_free(r);

	/* Outside RAM, across its end, too long, unknown VM. */
	t_req_mem_read(&req, &m, 4, "vm0", 0x1000, 16);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(BAD_ADDRESS));
	ck_assert_ptr_nonnull(strstr(r->message, "0x1000"));
	t_free(r);
	t_req_mem_read(&req, &m, 5, "vm0", T_RAM_GPA + (64u << 20) - 8, 16);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(BAD_ADDRESS));
	t_free(r);
	t_req_mem_read(&req, &m, 6, "vm0", T_RAM_GPA, 1u << 20);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(INVALID_ARGUMENT));
	t_free(r);
	t_req_mem_read(&req, &m, 7, "vm7", T_RAM_GPA, 16);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(NOT_FOUND));
	ck_assert_str_eq(r->message, "no VM 'vm7'");
	t_free(r);
	(void)close(fd);
}
END_TEST

/* Send a ShareMemory for one region with nfd copies of fd attached. */
static void
t_send_share(int sock, uint32_t id, int fd, unsigned nfd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 2)];
	} cbuf;
	Smmu__V1__Request req;
	Smmu__V1__ShareMemory sm;
	Smmu__V1__SharedRegion reg, *regs[1] = { &reg };
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	uint8_t *buf;
	size_t len;
	int fds[2] = { fd, fd };

	smmu__v1__request__init(&req);
	smmu__v1__share_memory__init(&sm);
	smmu__v1__shared_region__init(&reg);
	reg.gpa = T_SHARED_GPA;
	reg.size = T_SHARED_SIZE;
	reg.offset = 0;
	sm.vm = t_str("vm0");
	sm.n_regions = 1;
	sm.regions = regs;
	req.id = id;
	req.body_case = SMMU__V1__REQUEST__BODY_SHARE_MEMORY;
	req.share_memory = &sm;
	ck_assert_int_eq(frame_pack(&req.base, UINT32_MAX, &buf, &len), 0);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfd > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfd);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfd);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfd);
	}
	ck_assert_int_eq(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)len);
	free(buf);
}

START_TEST(test_share_memory)
{
	static const char before[] = "written by the VMM";
	static const char after[] = "changed in place";
	Smmu__V1__Request req;
	Smmu__V1__MemRead m;
	Smmu__V1__Response *r;
	uint8_t *map;
	char *yaml;
	int fd, mfd;

	/* vm0 with a second, `backing: shared` region. */
	ck_assert_int_ne(asprintf(&yaml,
	    "version: 1\n"
	    "socket: @SOCK@\n"
	    "workers: 1\n"
	    "vms:\n"
	    "  - name: vm0\n"
	    "    memory:\n"
	    "      - { name: ram, gpa: 0x40000000, size: 64MiB }\n"
	    "      - { name: vmm, gpa: 0x80000000, size: 2MiB, "
	    "backing: shared }\n"
	    "    smmus:\n"
	    "      - { name: smmu0, mode: guest, stages: [s1, s2], "
	    "sid_bits: 16, ssid_bits: 8 }\n"), -1);
	t_start(yaml, NULL);
	free(yaml);
	fd = t_connect_hello();

	/* Unbacked until shared. */
	t_req_mem_read(&req, &m, 2, "vm0", T_SHARED_GPA + 0x1000, 32);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(BAD_ADDRESS));
	t_free(r);

	mfd = memfd_create("t-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(ftruncate(mfd, T_SHARED_SIZE), 0);
	map = mmap(NULL, T_SHARED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    mfd, 0);
	ck_assert(map != MAP_FAILED);
	memcpy(map + 0x1000, before, sizeof(before));

	/* No fd with the request: refused, nothing shared. */
	t_send_share(fd, 3, mfd, 0);
	r = t_recv(fd);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, 3);
	ck_assert_int_eq(r->status, ST(INVALID_ARGUMENT));
	ck_assert_str_eq(r->message,
	    "ShareMemory names 1 regions but 0 fds arrived");
	t_free(r);

	/* A memfd that could shrink under the daemon is refused. */
	t_send_share(fd, 5, mfd, 1);
	r = t_recv(fd);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, 5);
	ck_assert_int_eq(r->status, ST(INVALID_ARGUMENT));
	ck_assert_msg(strstr(r->message, "not sealed against shrinking") !=
	    NULL, "message: %s", r->message);
	t_free(r);
	ck_assert_int_eq(fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);

	t_send_share(fd, 4, mfd, 1);
	r = t_recv(fd);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, 4);
	ck_assert_msg(r->status == ST(OK), "ShareMemory: %s", r->message);
	ck_assert_uint_eq(r->share_memory->regions, 1);
	t_free(r);

	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_mem_eq(r->mem_read->data.data, before, sizeof(before));
	t_free(r);
	/* Live: a change in the VMM's mapping is seen at once. */
	memcpy(map + 0x1000, after, sizeof(after));
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_mem_eq(r->mem_read->data.data, after, sizeof(after));
	t_free(r);

	(void)munmap(map, T_SHARED_SIZE);
	(void)close(mfd);
	(void)close(fd);
}
END_TEST

/* ---- access rules ------------------------------------------------------ */

START_TEST(test_auth_refused)
{
	Smmu__V1__Response *r;
	char *yaml;
	int fd;

	/* This suite runs as root; the rules admit only uid 4242. */
	ck_assert_int_ne(asprintf(&yaml, "%saccess:\n  - { uid: 4242, vms: "
	    "[vm0] }\n", harness_default_yaml()), -1);
	ck_assert_int_eq(harness_init(&h, yaml), 0);
	free(yaml);
	ck_assert_int_eq(harness_start(&h, NULL, NULL), 0);
	fd = harness_connect_raw(&h);
	ck_assert_int_ge(fd, 0);
	r = t_recv(fd);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->status, ST(PERMISSION_DENIED));
	ck_assert_ptr_nonnull(strstr(r->message, "is not allowed by the "
	    "access rules"));
	t_free(r);
	ck_assert(t_closed(fd, T_IO_TIMEOUT_MS));
	(void)close(fd);
}
END_TEST

START_TEST(test_auth_visibility)
{
	Smmu__V1__Request req;
	Smmu__V1__MemRead m;
	Smmu__V1__Response *r;
	char *yaml;
	int fd;

	/* Our uid may use vm1 only. */
	ck_assert_int_ne(asprintf(&yaml, "%s"
	    "  - name: vm1\n"
	    "    memory:\n"
	    "      - { name: ram, gpa: 0x40000000, size: 16MiB }\n"
	    "    smmus:\n"
	    "      - { name: smmu0, mode: guest, stages: [s1, s2], "
	    "sid_bits: 16, ssid_bits: 8 }\n"
	    "access:\n"
	    "  - { uid: %u, vms: [vm1] }\n", harness_default_yaml(),
	    (unsigned)getuid()), -1);
	t_start(yaml, NULL);
	free(yaml);
	fd = harness_connect_raw(&h);
	ck_assert_int_ge(fd, 0);
	r = t_hello_v(fd, 1, FRAME_PROTOCOL_VERSION);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert_uint_eq(r->hello->n_vms, 1);
	ck_assert_str_eq(r->hello->vms[0]->name, "vm1");
	t_free(r);
	t_req_mem_read(&req, &m, 2, "vm0", T_RAM_GPA, 8);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(PERMISSION_DENIED));
	t_free(r);
	t_req_mem_read(&req, &m, 3, "vm1", T_RAM_GPA, 8);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	t_free(r);
	/* "smmu0" is unique among the VMs this client may use. */
	r = t_stats(fd, 4);
	ck_assert_uint_eq(r->stats->n_smmus, 1);
	ck_assert_str_eq(r->stats->smmus[0]->smmu, "vm1/smmu0");
	t_free(r);
	(void)close(fd);
}
END_TEST

/* ---- command line ------------------------------------------------------ */

START_TEST(test_check_config)
{
	const char *argv[] = { harness_bin("smmud"), "-n", "-c", NULL, NULL };
	char *out = NULL, *err = NULL, *expect;
	int rc;

	ck_assert_int_eq(harness_init(&h, harness_default_yaml()), 0);
	argv[3] = h.conf;
	rc = harness_run(argv, NULL, &out, &err);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, "configuration OK\n");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);

	/* An unknown key on line 2, column 1. */
	t_write_file(h.conf, "version: 1\nbogus: 3\nvms: []\n");
	rc = harness_run(argv, NULL, &out, &err);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, "");
	ck_assert_int_ne(asprintf(&expect, "%s:2:1: ", h.conf), -1);
	ck_assert_msg(strstr(err, expect) != NULL, "stderr: %s", err);
	free(expect);
	free(out);
	free(err);

	/* A missing file is an error too, and so is a bad option. */
	argv[3] = "/nonexistent/smmud.yaml";
	rc = harness_run(argv, NULL, NULL, &err);
	ck_assert_int_eq(rc, 1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/smmud.yaml"));
	free(err);
	argv[1] = "--bogus";
	rc = harness_run(argv, NULL, NULL, NULL);
	ck_assert_int_eq(rc, 1);
}
END_TEST

START_TEST(test_start_bad_config)
{
	const char *argv[] = { harness_bin("smmud"), "-f", "-c", NULL, "-s",
	    NULL, NULL };
	char *err = NULL;
	int rc;

	ck_assert_int_eq(harness_init(&h, "version: 1\nvms: [\n"), 0);
	argv[3] = h.conf;
	argv[5] = h.sock;
	rc = harness_run(argv, NULL, NULL, &err);
	ck_assert_int_eq(rc, 1);
	ck_assert_ptr_nonnull(strstr(err, h.conf));
	ck_assert_int_eq(access(h.sock, F_OK), -1);
	free(err);
}
END_TEST

/* ---- signals ----------------------------------------------------------- */

START_TEST(test_sigterm)
{
	int st, fd;

	t_start(harness_default_yaml(), NULL);
	/* A client still connected does not hold the exit up. */
	fd = t_connect_hello();
	st = harness_signal_wait(&h, SIGTERM, T_IO_TIMEOUT_MS);
	ck_assert_msg(st != -1, "smmud did not exit on SIGTERM");
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert(t_closed(fd, T_IO_TIMEOUT_MS));
	(void)close(fd);
	ck_assert_int_eq(t_log_count("stopped"), 1);
	/* The socket it bound is gone. */
	ck_assert_int_eq(access(h.sock, F_OK), -1);
}
END_TEST

START_TEST(test_sighup)
{
	Smmu__V1__Response *r;
	char *good;
	int fd;

	t_start(harness_default_yaml(), NULL);
	fd = t_connect_hello();
	/* A broken file: reported, the running topology stays. */
	t_write_file(h.conf, "version: 1\nvms:\n  - name: [\n");
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	t_log_wait("reload failed, keeping the running topology", 1);
	r = t_stats(fd, 2);
	ck_assert_uint_eq(r->stats->n_smmus, 1);
	t_free(r);
	t_assert_alive();

	/* A good file with a new VM: the VM appears, vm0 keeps running. */
	ck_assert_int_ne(asprintf(&good, "%s"
	    "  - name: vm1\n"
	    "    memory:\n"
	    "      - { name: ram, gpa: 0x0, size: 16MiB }\n"
	    "    smmus:\n"
	    "      - { name: smmu1, mode: managed, stages: [s1], "
	    "sid_bits: 8, ssid_bits: 0 }\n", harness_default_yaml()), -1);
	t_write_conf(good);
	free(good);
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	t_log_wait("reload: applied", 1);
	/* The old connection sees it in Stats, a new one in Hello. */
	r = t_stats(fd, 3);
	ck_assert_uint_eq(r->stats->n_smmus, 2);
	ck_assert_str_eq(r->stats->smmus[1]->smmu, "vm1/smmu1");
	t_free(r);
	(void)close(fd);
	fd = harness_connect_raw(&h);
	ck_assert_int_ge(fd, 0);
	r = t_hello_v(fd, 1, FRAME_PROTOCOL_VERSION);
	ck_assert_int_eq(r->status, ST(OK));
	ck_assert(t_hello_has_vm(r, "vm0"));
	ck_assert(t_hello_has_vm(r, "vm1"));
	t_free(r);

	/*
	 * vm1 removed, vm0 changed (its RAM doubled): both keep running as
	 * they are, with a warning and a notice; the reload itself applies.
	 */
	t_write_conf("version: 1\n"
	    "socket: @SOCK@\n"
	    "workers: 2\n"
	    "vms:\n"
	    "  - name: vm0\n"
	    "    memory:\n"
	    "      - { name: ram, gpa: 0x40000000, size: 128MiB }\n"
	    "    smmus:\n"
	    "      - { name: smmu0, mode: guest, stages: [s1, s2], "
	    "sid_bits: 16, ssid_bits: 8 }\n");
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	t_log_wait("reload: applied", 2);
	ck_assert_uint_eq(t_log_count("vm0: changes need a restart, "
	    "ignoring"), 1);
	ck_assert_uint_eq(t_log_count("vm1: removed from the configuration "
	    "but still running until restart"), 1);
	r = t_stats(fd, 4);
	ck_assert_uint_eq(r->stats->n_smmus, 2);
	t_free(r);
	(void)close(fd);
}
END_TEST

/* ---- systemd ----------------------------------------------------------- */

/* Receive notify datagrams until one contains want; false on timeout. */
static bool
t_notify_wait(int nfd, const char *want, int timeout_ms, unsigned *ret_wd)
{
	struct pollfd pfd = { .fd = nfd, .events = POLLIN };
	long long deadline = t_now_ms() + timeout_ms;
	char buf[4096];
	ssize_t n;
	int left;

	for (;;) {
		left = (int)(deadline - t_now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return false;
		n = recv(nfd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (ret_wd != NULL && strstr(buf, "WATCHDOG=1") != NULL)
			(*ret_wd)++;
		if (want != NULL && strstr(buf, want) != NULL)
			return true;
	}
}

/* Bind an AF_UNIX datagram socket at dir/notify.sock. */
static int
t_notify_socket(char *path, size_t len)
{
	struct sockaddr_un sun;
	int fd;

	(void)snprintf(path, len, "%s/notify.sock", h.dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

START_TEST(test_notify)
{
	char path[300], env_notify[320];
	const char *envp[] = { env_notify, "WATCHDOG_USEC=200000", NULL };
	unsigned wd = 0;
	int nfd, st;

	ck_assert_int_eq(harness_init(&h, harness_default_yaml()), 0);
	nfd = t_notify_socket(path, sizeof(path));
	(void)snprintf(env_notify, sizeof(env_notify), "NOTIFY_SOCKET=%s",
	    path);
	ck_assert_int_eq(harness_start(&h, NULL, envp), 0);
	ck_assert_msg(t_notify_wait(nfd, "READY=1", T_IO_TIMEOUT_MS, &wd),
	    "no READY=1");
	/* WATCHDOG=1 every 100 ms: at least 3 more within 1 s. */
	wd = 0;
	(void)t_notify_wait(nfd, NULL, 1000, &wd);
	ck_assert_uint_ge(wd, 3);
	ck_assert_uint_le(wd, 15);
	/* Reload: RELOADING=1, then READY=1 again. */
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	ck_assert(t_notify_wait(nfd, "RELOADING=1", T_IO_TIMEOUT_MS, NULL));
	ck_assert(t_notify_wait(nfd, "READY=1", T_IO_TIMEOUT_MS, NULL));
	st = harness_signal_wait(&h, SIGTERM, T_IO_TIMEOUT_MS);
	ck_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_msg(t_notify_wait(nfd, "STOPPING=1", 1000, NULL),
	    "no STOPPING=1");
	(void)close(nfd);
}
END_TEST

START_TEST(test_socket_activation)
{
	char wrap[512], comm[64];
	Smmu__V1__Response *r;
	FILE *f;
	int fd, st;

	if (access("/usr/bin/systemd-socket-activate", X_OK) == -1 &&
	    access("/bin/systemd-socket-activate", X_OK) == -1)
		return;
	ck_assert_int_eq(harness_init(&h, harness_default_yaml()), 0);
	/*
	 * systemd-socket-activate binds h.sock and execs smmud in place on
	 * the first connection (the harness's readiness probe).
	 */
	(void)snprintf(wrap, sizeof(wrap), "systemd-socket-activate -l %s "
	    "--fdname=smmud", h.sock);
	ck_assert_int_eq(setenv("SMMU_TEST_WRAPPER", wrap, 1), 0);
	st = harness_start(&h, NULL, NULL);
	(void)unsetenv("SMMU_TEST_WRAPPER");
	ck_assert_int_eq(st, 0);
	fd = t_connect_hello();
	r = t_stats(fd, 2);
	t_free(r);
	(void)close(fd);
	t_log_wait("listening on the socket passed by systemd", 1);
	/* Same process, now smmud. */
	(void)snprintf(wrap, sizeof(wrap), "/proc/%d/comm", (int)h.pid);
	f = fopen(wrap, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(comm, sizeof(comm), f));
	(void)fclose(f);
	ck_assert_str_eq(comm, "smmud\n");
	st = harness_signal_wait(&h, SIGTERM, T_IO_TIMEOUT_MS);
	ck_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* systemd owns an activated socket: smmud leaves it in place. */
	ck_assert_int_eq(access(h.sock, F_OK), 0);
}
END_TEST

/*
 * Copy SMMU_SRC_DIR/rel to dst; with bin, point a unit's
 * "ExecStart=/usr/sbin/smmud" at bin instead.
 */
static void
t_src_copy(const char *rel, const char *dst, const char *bin)
{
	const char *srcdir = getenv("SMMU_SRC_DIR");
	char src[1024], line[1024];
	FILE *in, *out;

	(void)snprintf(src, sizeof(src), "%s/%s",
	    srcdir != NULL ? srcdir : ".", rel);
	in = fopen(src, "r");
	ck_assert_msg(in != NULL, "%s: %s", src, strerror(errno));
	out = fopen(dst, "w");
	ck_assert_ptr_nonnull(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (bin != NULL &&
		    strncmp(line, "ExecStart=/usr/sbin/smmud", 25) == 0)
			fprintf(out, "ExecStart=%s%s", bin, line + 25);
		else
			fputs(line, out);
	}
	(void)fclose(in);
	ck_assert_int_eq(fclose(out), 0);
}

START_TEST(test_systemd_units)
{
	const char *analyze = "/usr/bin/systemd-analyze";
	char sock[1024], svc[1024], man[1024], manpath[1100];
	const char *verify[] = { analyze, "verify", sock, svc, NULL };
	const char *security[] = { analyze, "security", "--offline=yes", svc,
	    NULL };
	const char *envp[] = { manpath, NULL };
	char *out = NULL, *err = NULL, *p;
	double exposure;
	int rc;

	if (access(analyze, X_OK) == -1)
		return;
	ck_assert_int_eq(harness_init(&h, harness_default_yaml()), 0);
	(void)snprintf(sock, sizeof(sock), "%s/smmud.socket", h.dir);
	(void)snprintf(svc, sizeof(svc), "%s/smmud.service", h.dir);
	t_src_copy("systemd/smmud.socket", sock, NULL);
	t_src_copy("systemd/smmud.service", svc, harness_bin("smmud"));
	/* Documentation=man:smmud(8) must resolve: our page, via MANPATH. */
	(void)snprintf(man, sizeof(man), "%s/man", h.dir);
	ck_assert_int_eq(mkdir(man, 0755), 0);
	(void)snprintf(man, sizeof(man), "%s/man/man8", h.dir);
	ck_assert_int_eq(mkdir(man, 0755), 0);
	(void)snprintf(man, sizeof(man), "%s/man/man8/smmud.8", h.dir);
	t_src_copy("daemon/smmud.8", man, NULL);
	(void)snprintf(manpath, sizeof(manpath), "MANPATH=%s/man", h.dir);

	rc = harness_run(verify, envp, &out, &err);
	ck_assert_msg(rc == 0 && *out == '\0' && *err == '\0',
	    "systemd-analyze verify: rc %d: %s%s", rc, out, err);
	free(out);
	free(err);
	rc = harness_run(security, NULL, &out, &err);
	ck_assert_msg(rc == 0, "systemd-analyze security: rc %d: %s", rc,
	    err);
	p = strstr(out, "Overall exposure level for smmud.service: ");
	ck_assert_msg(p != NULL, "no exposure level in: %s", out);
	exposure = strtod(p + strlen("Overall exposure level for "
	    "smmud.service: "), NULL);
	ck_assert_msg(exposure <= 2.0, "exposure %.1f > 2.0", exposure);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_man_page)
{
	const char *srcdir = getenv("SMMU_SRC_DIR");
	char page[1024];
	const char *argv[] = { "/usr/bin/man", "--warnings", "-l", page,
	    NULL };
	const char *envp[] = { "MANWIDTH=80", NULL };
	char *out = NULL, *err = NULL;
	int rc;

	if (access(argv[0], X_OK) == -1)
		return;
	(void)snprintf(page, sizeof(page), "%s/daemon/smmud.8",
	    srcdir != NULL ? srcdir : ".");
	rc = harness_run(argv, envp, &out, &err);
	ck_assert_msg(rc == 0 && *err == '\0', "man: rc %d: %s", rc, err);
	ck_assert_ptr_nonnull(strstr(out, "smmud"));
	free(out);
	free(err);
}
END_TEST

/* ---- valgrind ---------------------------------------------------------- */

START_TEST(test_valgrind_sigterm)
{
	const char *vg = "/usr/bin/valgrind";
	Smmu__V1__Request req;
	Smmu__V1__Translate t;
	Smmu__V1__Response *r;
	uint8_t junk[FRAME_HDR_LEN + 2] = { 2, 0, 0, 0, 0xff, 0xff };
	char exe[64], target[512];
	ssize_t n;
	int fd, idle, st;

	/*
	 * A sanitizer build of smmud (built alongside this test binary,
	 * with the same flags) cannot run under valgrind.
	 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return;
#endif
	if (access(vg, X_OK) == -1)
		return;
	ck_assert_int_eq(harness_init(&h, harness_default_yaml()), 0);
	ck_assert_int_eq(setenv("SMMU_TEST_WRAPPER", "/usr/bin/valgrind -q "
	    "--leak-check=full --errors-for-leak-kinds=definite "
	    "--error-exitcode=99", 1), 0);
	st = harness_start(&h, NULL, NULL);
	(void)unsetenv("SMMU_TEST_WRAPPER");
	ck_assert_int_eq(st, 0);
	/* It really is valgrind's memcheck running smmud. */
	(void)snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)h.pid);
	n = readlink(exe, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	ck_assert_msg(strstr(target, "memcheck") != NULL, "exe is %s", target);
	/* Exercise the paths that allocate: requests, errors, closes. */
	fd = t_connect_hello();
	t_free(t_stats(fd, 2));
	t_req_translate(&req, &t, 3, 1, 0x1000);
	r = t_call(fd, &req);
	ck_assert_int_eq(r->status, ST(OK));
	t_free(r);
	ck_assert_int_eq(t_write_all(fd, junk, sizeof(junk)), 0);
	r = t_recv(fd);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->status, ST(INVALID_ARGUMENT));
	t_free(r);
	(void)close(fd);
	(void)kill(h.pid, SIGHUP);
	t_log_wait("reload: applied", 1);
	/* One client stays connected through the shutdown. */
	idle = t_connect_hello();
	st = harness_signal_wait(&h, SIGTERM, 60000);
	(void)close(idle);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "smmud under valgrind: status 0x%x (99: errors or leaks; see "
	    "the log)", st);
	ck_assert_int_eq(t_log_count("stopped"), 1);
}
END_TEST

Suite *
daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc;

	tc = tcase_create("wire");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hello_stats);
	tcase_add_test(tc, test_before_hello);
	tcase_add_test(tc, test_bad_version);
	tcase_add_test(tc, test_unknown_member);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_vanish_many_clients);
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_mem);
	tcase_add_test(tc, test_share_memory);
	tcase_add_test(tc, test_max_clients);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_too_many_fds);
	suite_add_tcase(s, tc);

	tc = tcase_create("access");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_auth_refused);
	tcase_add_test(tc, test_auth_visibility);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_check_config);
	tcase_add_test(tc, test_start_bad_config);
	tcase_add_test(tc, test_sigterm);
	tcase_add_test(tc, test_sighup);
	tcase_add_test(tc, test_notify);
	tcase_add_test(tc, test_socket_activation);
	tcase_add_test(tc, test_systemd_units);
	tcase_add_test(tc, test_man_page);
	suite_add_tcase(s, tc);

	tc = tcase_create("valgrind");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_valgrind_sigterm);
	suite_add_tcase(s, tc);
	return s;
}
