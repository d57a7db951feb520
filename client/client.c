/*
 * client.c - libsmmuclient: blocking calls to smmud over its Unix socket.
 *
 * One handle is one connection.  Each call packs a Request (proto/
 * smmu.proto) into a frame (proto/frame.h), sends it, and reads frames
 * until the Response with the same id arrives; frames pushed by the
 * server (id 0, an Event body) are queued on the way.  The socket is
 * non-blocking and every wait is a poll() bounded by the call's deadline,
 * so a partial read survives a timeout in the handle's receive buffer.
 * Nothing the server sends is trusted: frame lengths are checked against
 * the limit before the body is read, and every body case and array length
 * is checked before use.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <protobuf-c/protobuf-c.h>

#include "frame.h"
#include "smmu.pb-c.h"
#include "smmu_client.h"

#ifndef SMMUD_VERSION
#define SMMUD_VERSION "unknown"
#endif

#define CLIENT_ERR_LEN 256
#define CLIENT_RX_INIT (64u * 1024)
#define CLIENT_MEM_OVERHEAD 64		/* MemRead: len <= max_frame - 64 */
#define CLIENT_MAX_LIST 65536		/* VMs, SMMUs, features in Hello */
#define CLIENT_MIN_FRAME 256		/* below this, max_frame is bogus */

/* The public constants are the wire's (smmu.proto), copied by value. */
_Static_assert(SMMU_CLIENT_SHARE_MAX == FRAME_MAX_FDS, "fds per request");
_Static_assert(SMMU_CLIENT_ACC_READ == SMMU__V1__ACCESS__ACCESS_READ &&
    SMMU_CLIENT_ACC_WRITE == SMMU__V1__ACCESS__ACCESS_WRITE &&
    SMMU_CLIENT_ACC_EXEC == SMMU__V1__ACCESS__ACCESS_EXEC &&
    SMMU_CLIENT_ACC_PRIV == SMMU__V1__ACCESS__ACCESS_PRIV, "Access bits");
_Static_assert(SMMU_CLIENT_PERM_R == SMMU__V1__PERM__PERM_R &&
    SMMU_CLIENT_PERM_W == SMMU__V1__PERM__PERM_W &&
    SMMU_CLIENT_PERM_X == SMMU__V1__PERM__PERM_X, "Perm bits");

struct smmu_client {
	pthread_mutex_t lock;
	int fd;
	int timeout_ms;			/* <= 0: none */
	bool broken;			/* stream can no longer be trusted */
	uint32_t last_id;		/* id of the last request sent */
	uint32_t max_frame;		/* server's request limit */
	uint32_t rx_max;		/* our limit for response bodies */

	uint8_t *rx;			/* received, not yet consumed bytes */
	size_t rx_len;
	size_t rx_cap;
	uint8_t *tx;			/* frame being sent */
	size_t tx_cap;

	char err[CLIENT_ERR_LEN];

	/* Hello answer (immutable after connect). */
	struct smmu_client_info info;
	char *server_version;
	char **features;
	struct smmu_client_vm *vms;

	/* Pushed events, a ring. */
	struct smmu_client_event evq[SMMU_CLIENT_EVENT_QUEUE];
	unsigned evq_head;
	unsigned evq_nr;
	uint64_t evq_lost;
	smmu_client_event_cb *cb;
	void *cb_arg;
};

/* protobuf-c's string fields are char *; requests only borrow ours. */
static char *
client_unconst(const char *s)
{
	union {
		const char *c;
		char *m;
	} u = { .c = s };

	return u.m;
}

static void
client_seterr(struct smmu_client *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Describe the current failure on the handle. */
static void
client_seterr(struct smmu_client *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
}

/* Mark the stream unusable: later calls fail fast with E_IO. */
static void
client_break(struct smmu_client *h)
{
	h->broken = true;
}

/* Milliseconds on the monotonic clock. */
static int64_t
client_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Deadline of a call starting now (-1: none). */
static int64_t
client_deadline(const struct smmu_client *h)
{
	if (h->timeout_ms <= 0)
		return -1;
	return client_now_ms() + h->timeout_ms;
}

/*
 * Wait until the socket is ready for events or the deadline passes.
 * Returns 0, SMMU_CLIENT_E_TIMEOUT or SMMU_CLIENT_E_IO.
 */
static int
client_wait(struct smmu_client *h, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	for (;;) {
		left = -1;
		if (deadline >= 0) {
			left = deadline - client_now_ms();
			if (left < 0)
				left = 0;
		}
		pfd.fd = h->fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(left > INT32_MAX ? INT32_MAX : left));
		if (n > 0)
			return 0;	/* errors show up in the recv/send */
		if (n == 0) {
			client_seterr(h, "timed out after %d ms",
			    h->timeout_ms);
			return SMMU_CLIENT_E_TIMEOUT;
		}
		if (errno != EINTR) {
			client_seterr(h, "poll: %s", strerror(errno));
			client_break(h);
			return SMMU_CLIENT_E_IO;
		}
	}
}

/*
 * Send len bytes, the first of them with nr_fds descriptors attached as
 * SCM_RIGHTS (the kernel ties them to the first byte sent).  A request
 * cut short leaves a partial frame on the stream, so that breaks the
 * handle; one not started (timeout before the first byte) does not.
 */
static int
client_send(struct smmu_client *h, const uint8_t *buf, size_t len,
    const int *fds, size_t nr_fds, int64_t deadline)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * SMMU_CLIENT_SHARE_MAX)];
	} cmsg;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	size_t off = 0;
	ssize_t n;
	int rc;

	while (off < len) {
		if (off == 0 && nr_fds > 0) {
			memset(&msg, 0, sizeof(msg));
			memset(&cmsg, 0, sizeof(cmsg));
			iov.iov_base = client_unconst((const char *)buf);
			iov.iov_len = len;
			msg.msg_iov = &iov;
			msg.msg_iovlen = 1;
			msg.msg_control = cmsg.buf;
			msg.msg_controllen = CMSG_SPACE(sizeof(int) * nr_fds);
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nr_fds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nr_fds);
			n = sendmsg(h->fd, &msg, MSG_NOSIGNAL);
		} else
			n = send(h->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			rc = client_wait(h, POLLOUT, deadline);
			if (rc == SMMU_CLIENT_E_TIMEOUT && off > 0) {
				client_seterr(h, "timed out after %d ms with "
				    "a request partly sent", h->timeout_ms);
				client_break(h);
			}
			if (rc < 0)
				return rc;
			continue;
		}
		client_seterr(h, "send: %s", strerror(errno));
		client_break(h);
		return SMMU_CLIENT_E_IO;
	}
	return 0;
}

/* Make room for want bytes in the receive buffer. */
static int
client_rx_reserve(struct smmu_client *h, size_t want)
{
	uint8_t *p;
	size_t cap;

	if (want <= h->rx_cap)
		return 0;
	cap = h->rx_cap != 0 ? h->rx_cap : CLIENT_RX_INIT;
	while (cap < want)
		cap *= 2;
	p = realloc(h->rx, cap);
	if (p == NULL) {
		client_seterr(h, "out of memory");
		return SMMU_CLIENT_E_NOMEM;
	}
	h->rx = p;
	h->rx_cap = cap;
	return 0;
}

/*
 * Get the next frame from the server.  Returns 1 with *ret set (caller
 * frees with smmu__v1__response__free_unpacked()), 0 when wait is false
 * and no whole frame is available, or a negative code.  The length is
 * checked against rx_max before any of the body is buffered (SMMUv3 has
 * nothing to do with it: it is the STYLE.md section 7 size cap).
 */
static int
client_recv(struct smmu_client *h, bool wait, int64_t deadline,
    Smmu__V1__Response **ret)
{
	Smmu__V1__Response *resp;
	size_t need;
	uint32_t len;
	ssize_t n;
	int rc;

	for (;;) {
		need = FRAME_HDR_LEN;
		if (h->rx_len >= FRAME_HDR_LEN) {
			len = frame_hdr_get(h->rx);
			if (len > h->rx_max) {
				client_seterr(h, "server sent a frame of %u "
				    "bytes (limit %u)", len, h->rx_max);
				client_break(h);
				return SMMU_CLIENT_E_PROTO;
			}
			need = FRAME_HDR_LEN + (size_t)len;
			if (h->rx_len >= need)
				break;
		}
		rc = client_rx_reserve(h, need);
		if (rc < 0)
			return rc;
		n = recv(h->fd, h->rx + h->rx_len, h->rx_cap - h->rx_len,
		    MSG_DONTWAIT);
		if (n > 0) {
			h->rx_len += (size_t)n;
			continue;
		}
		if (n == 0) {
			client_seterr(h, "connection closed by server");
			client_break(h);
			return SMMU_CLIENT_E_IO;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			client_seterr(h, "recv: %s", strerror(errno));
			client_break(h);
			return SMMU_CLIENT_E_IO;
		}
		if (!wait)
			return 0;
		rc = client_wait(h, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}

	resp = smmu__v1__response__unpack(NULL, len, h->rx + FRAME_HDR_LEN);
	/* The frame boundary is sound either way: consume it. */
	h->rx_len -= need;
	if (h->rx_len > 0)
		memmove(h->rx, h->rx + need, h->rx_len);
	if (resp == NULL) {
		client_seterr(h, "server sent a malformed response "
		    "(%u bytes)", len);
		return SMMU_CLIENT_E_PROTO;
	}
	*ret = resp;
	return 1;
}

/* Map a wire Status to a return code. */
static int
client_status_err(int status)
{
	switch (status) {
	case SMMU__V1__STATUS__STATUS_OK:
		return SMMU_CLIENT_OK;
	case SMMU__V1__STATUS__STATUS_INVALID_ARGUMENT:
		return SMMU_CLIENT_E_SERVER_INVAL;
	case SMMU__V1__STATUS__STATUS_NOT_FOUND:
		return SMMU_CLIENT_E_NOT_FOUND;
	case SMMU__V1__STATUS__STATUS_PERMISSION_DENIED:
		return SMMU_CLIENT_E_DENIED;
	case SMMU__V1__STATUS__STATUS_ALREADY_EXISTS:
		return SMMU_CLIENT_E_EXISTS;
	case SMMU__V1__STATUS__STATUS_RESOURCE_EXHAUSTED:
		return SMMU_CLIENT_E_RESOURCE;
	case SMMU__V1__STATUS__STATUS_FAILED_PRECONDITION:
		return SMMU_CLIENT_E_PRECONDITION;
	case SMMU__V1__STATUS__STATUS_UNIMPLEMENTED:
		return SMMU_CLIENT_E_UNIMPLEMENTED;
	case SMMU__V1__STATUS__STATUS_INTERNAL:
		return SMMU_CLIENT_E_INTERNAL;
	case SMMU__V1__STATUS__STATUS_UNSUPPORTED_VERSION:
		return SMMU_CLIENT_E_VERSION;
	case SMMU__V1__STATUS__STATUS_BAD_ADDRESS:
		return SMMU_CLIENT_E_BAD_ADDRESS;
	default:
		return SMMU_CLIENT_E_PROTO;
	}
}

/* Store a refusal from the server and return its code. */
static int
client_status_fail(struct smmu_client *h, const Smmu__V1__Response *resp)
{
	int rc = client_status_err(resp->status);
	const char *msg = resp->message != NULL ? resp->message : "";

	if (rc == SMMU_CLIENT_OK)
		rc = SMMU_CLIENT_E_PROTO;	/* id 0 without an event */
	if (rc == SMMU_CLIENT_E_PROTO && resp->status != 0)
		client_seterr(h, "unknown status %d%s%s", (int)resp->status,
		    *msg != '\0' ? ": " : "", msg);
	else if (*msg != '\0')
		client_seterr(h, "%s: %s", frame_status_name(resp->status),
		    msg);
	else
		client_seterr(h, "%s", resp->status != 0 ?
		    frame_status_name(resp->status) :
		    "server sent an unsolicited response");
	return rc;
}

/* Copy a string into a fixed buffer, truncating. */
static void
client_strlcpy(char *dst, const char *src, size_t size)
{
	(void)snprintf(dst, size, "%s", src != NULL ? src : "");
}

/* Convert a wire Fault. */
static void
client_fault_conv(const Smmu__V1__Fault *f, struct smmu_client_fault *r)
{
	memset(r, 0, sizeof(*r));
	r->type = f->type;
	client_strlcpy(r->type_name, f->type_name, sizeof(r->type_name));
	r->sid = f->sid;
	r->ssid = f->ssid;
	r->ssv = f->ssv;
	r->input_addr = f->input_addr;
	r->ipa = f->ipa;
	r->fetch_addr = f->fetch_addr;
	r->rnw = f->rnw;
	r->ind = f->ind;
	r->pnu = f->pnu;
	r->s2 = f->s2;
	r->fault_class = f->class_;
	r->recorded = f->recorded;
	r->abort = f->abort;
	client_strlcpy(r->detail, f->detail, sizeof(r->detail));
	r->index = f->index;
}

/*
 * Queue a pushed event.  Unknown kinds (a newer server) are ignored; a
 * full queue counts the event as lost.
 */
static void
client_event_queue(struct smmu_client *h, const Smmu__V1__Event *e)
{
	struct smmu_client_event *ev;

	if (e->kind_case != SMMU__V1__EVENT__KIND_MSI &&
	    e->kind_case != SMMU__V1__EVENT__KIND_FAULT &&
	    e->kind_case != SMMU__V1__EVENT__KIND_LOST)
		return;
	if (h->evq_nr == SMMU_CLIENT_EVENT_QUEUE) {
		h->evq_lost++;
		return;
	}
	ev = &h->evq[(h->evq_head + h->evq_nr) % SMMU_CLIENT_EVENT_QUEUE];
	memset(ev, 0, sizeof(*ev));
	ev->seq = e->seq;
	switch (e->kind_case) {
	case SMMU__V1__EVENT__KIND_MSI:
		ev->kind = SMMU_CLIENT_EVENT_MSI;
		client_strlcpy(ev->msi.smmu, e->msi->smmu,
		    sizeof(ev->msi.smmu));
		ev->msi.source = e->msi->source;
		ev->msi.address = e->msi->address;
		ev->msi.data = e->msi->data;
		break;
	case SMMU__V1__EVENT__KIND_FAULT:
		ev->kind = SMMU_CLIENT_EVENT_FAULT;
		client_fault_conv(e->fault, &ev->fault);
		break;
	default:
		ev->kind = SMMU_CLIENT_EVENT_LOST;
		ev->lost = e->lost;
		break;
	}
	h->evq_nr++;
}

/*
 * Handle a frame that is not the answer being waited for: queue events,
 * drop late answers to requests that timed out, and report the rest.
 * Returns 0 (consumed) or a negative code.  Frees resp.
 */
static int
client_unsolicited(struct smmu_client *h, Smmu__V1__Response *resp)
{
	int rc = 0;

	if (resp->id == 0) {
		if (resp->body_case == SMMU__V1__RESPONSE__BODY_EVENT)
			client_event_queue(h, resp->event);
		else	/* a connection-level error from the server */
			rc = client_status_fail(h, resp);
	} else if ((int32_t)(resp->id - h->last_id) > 0) {
		/* Only ids up to the last one sent can be answered. */
		client_seterr(h, "server answered request %u, which was "
		    "never sent", resp->id);
		rc = SMMU_CLIENT_E_PROTO;
	}
	smmu__v1__response__free_unpacked(resp, NULL);
	return rc;
}

/*
 * Send req (with fds as SCM_RIGHTS) and wait for its answer.  Returns 0
 * with *ret set to an OK response (caller frees), or a negative code with
 * the handle's error set (a refusal by the server included).
 */
static int
client_call(struct smmu_client *h, Smmu__V1__Request *req, const int *fds,
    size_t nr_fds, Smmu__V1__Response **ret)
{
	Smmu__V1__Response *resp = NULL;
	int64_t deadline;
	size_t size, len;
	uint8_t *p;
	uint32_t id;
	int rc;

	if (h->broken) {
		if (h->err[0] == '\0')
			client_seterr(h, "connection unusable after an "
			    "earlier error");
		return SMMU_CLIENT_E_IO;
	}
	h->err[0] = '\0';
	id = h->last_id + 1;
	if (id == 0)		/* 0 is reserved for pushed messages */
		id = 1;
	req->id = id;
	size = protobuf_c_message_get_packed_size(&req->base);
	if (size > h->max_frame) {
		client_seterr(h, "request of %zu bytes exceeds the server's "
		    "max_frame of %u", size, h->max_frame);
		return SMMU_CLIENT_E_INVAL;
	}
	if (FRAME_HDR_LEN + size > h->tx_cap) {
		p = realloc(h->tx, FRAME_HDR_LEN + size);
		if (p == NULL) {
			client_seterr(h, "out of memory");
			return SMMU_CLIENT_E_NOMEM;
		}
		h->tx = p;
		h->tx_cap = FRAME_HDR_LEN + size;
	}
	len = frame_pack_into(&req->base, h->tx);
	deadline = client_deadline(h);
	rc = client_send(h, h->tx, len, fds, nr_fds, deadline);
	if (rc < 0)
		return rc;
	h->last_id = id;
	for (;;) {
		rc = client_recv(h, true, deadline, &resp);
		if (rc < 0)
			return rc;
		if (resp->id == id)
			break;
		rc = client_unsolicited(h, resp);
		if (rc < 0)
			return rc;
	}
	if (resp->status != SMMU__V1__STATUS__STATUS_OK) {
		rc = client_status_fail(h, resp);
		smmu__v1__response__free_unpacked(resp, NULL);
		return rc;
	}
	*ret = resp;
	return 0;
}

/*
 * Check that an OK response carries the body the request asks for.
 * Returns 0, or E_PROTO (and frees resp).
 */
static int
client_expect(struct smmu_client *h, Smmu__V1__Response *resp,
    Smmu__V1__Response__BodyCase want)
{
	if (resp->body_case == want)
		return 0;
	client_seterr(h, "server answered with body %d, expected %d",
	    (int)resp->body_case, (int)want);
	smmu__v1__response__free_unpacked(resp, NULL);
	return SMMU_CLIENT_E_PROTO;
}

const char *
smmu_client_strerror(int err)
{
	switch (err) {
	case SMMU_CLIENT_OK: return "success";
	case SMMU_CLIENT_FAULT: return "translation fault";
	case SMMU_CLIENT_E_IO: return "connection error";
	case SMMU_CLIENT_E_PROTO: return "protocol error";
	case SMMU_CLIENT_E_TIMEOUT: return "timed out";
	case SMMU_CLIENT_E_NOMEM: return "out of memory";
	case SMMU_CLIENT_E_INVAL: return "invalid argument";
	case SMMU_CLIENT_E_SERVER_INVAL:
		return "invalid argument (rejected by server)";
	case SMMU_CLIENT_E_NOT_FOUND: return "not found";
	case SMMU_CLIENT_E_DENIED: return "permission denied";
	case SMMU_CLIENT_E_EXISTS: return "already exists";
	case SMMU_CLIENT_E_RESOURCE: return "resource exhausted";
	case SMMU_CLIENT_E_PRECONDITION: return "failed precondition";
	case SMMU_CLIENT_E_UNIMPLEMENTED: return "unimplemented";
	case SMMU_CLIENT_E_INTERNAL: return "internal server error";
	case SMMU_CLIENT_E_VERSION: return "unsupported protocol version";
	case SMMU_CLIENT_E_BAD_ADDRESS: return "guest memory not backed";
	default: return "unknown error";
	}
}

const char *
smmu_client_version(void)
{
	return SMMUD_VERSION;
}

const char *
smmu_client_last_error(const smmu_client_t *h)
{
	return h != NULL ? h->err : "";
}

/* Free what the Hello answer left on the handle. */
static void
client_info_free(struct smmu_client *h)
{
	size_t i, j;

	free(h->server_version);
	if (h->features != NULL)
		for (i = 0; i < h->info.nr_features; i++)
			free(h->features[i]);
	free(h->features);
	if (h->vms != NULL) {
		for (i = 0; i < h->info.nr_vms; i++) {
			free((void *)(uintptr_t)h->vms[i].name);
			if (h->vms[i].smmus == NULL)
				continue;
			for (j = 0; j < h->vms[i].nr_smmus; j++)
				free((void *)(uintptr_t)h->vms[i].smmus[j]);
			free((void *)(uintptr_t)h->vms[i].smmus);
		}
	}
	free(h->vms);
}

/* Duplicate n strings (NULL-safe) into a new array. */
static char **
client_strv_dup(char *const *src, size_t n)
{
	char **v;
	size_t i;

	v = calloc(n != 0 ? n : 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		v[i] = strdup(src[i] != NULL ? src[i] : "");
		if (v[i] == NULL) {
			while (i-- > 0)
				free(v[i]);
			free(v);
			return NULL;
		}
	}
	return v;
}

/* Copy the HelloResult into the handle's info.  Returns 0 or a code. */
static int
client_info_set(struct smmu_client *h, const Smmu__V1__HelloResult *hr)
{
	struct smmu_client_vm *vm;
	size_t i;

	if (hr->n_vms > CLIENT_MAX_LIST || hr->n_features > CLIENT_MAX_LIST) {
		client_seterr(h, "server's hello lists too many entries");
		return SMMU_CLIENT_E_PROTO;
	}
	h->info.protocol_version = hr->protocol_version;
	h->info.max_frame = hr->max_frame;
	h->server_version = strdup(hr->server_version != NULL ?
	    hr->server_version : "");
	if (h->server_version == NULL)
		goto nomem;
	h->features = client_strv_dup(hr->features, hr->n_features);
	if (h->features == NULL)
		goto nomem;
	h->info.nr_features = hr->n_features;
	h->vms = calloc(hr->n_vms != 0 ? hr->n_vms : 1, sizeof(*h->vms));
	if (h->vms == NULL)
		goto nomem;
	/* Counted now so that client_info_free() sees partial entries. */
	h->info.nr_vms = hr->n_vms;
	for (i = 0; i < hr->n_vms; i++) {
		vm = &h->vms[i];
		if (hr->vms[i]->n_smmus > CLIENT_MAX_LIST) {
			client_seterr(h, "server's hello lists too many "
			    "SMMUs");
			return SMMU_CLIENT_E_PROTO;
		}
		vm->name = strdup(hr->vms[i]->name != NULL ?
		    hr->vms[i]->name : "");
		if (vm->name == NULL)
			goto nomem;
		vm->smmus = (const char *const *)client_strv_dup(
		    hr->vms[i]->smmus, hr->vms[i]->n_smmus);
		if (vm->smmus == NULL)
			goto nomem;
		vm->nr_smmus = hr->vms[i]->n_smmus;
	}
	h->info.server_version = h->server_version;
	h->info.features = (const char *const *)h->features;
	h->info.vms = h->vms;
	return 0;
nomem:
	client_seterr(h, "out of memory");
	return SMMU_CLIENT_E_NOMEM;
}

/* Say Hello and record the answer. */
static int
client_hello(struct smmu_client *h, const char *client_name)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__Hello hello;
	Smmu__V1__Response *resp;
	const Smmu__V1__HelloResult *hr;
	int rc;

	smmu__v1__hello__init(&hello);
	hello.protocol_version = FRAME_PROTOCOL_VERSION;
	hello.client_name = client_unconst(client_name != NULL ?
	    client_name : "");
	req.body_case = SMMU__V1__REQUEST__BODY_HELLO;
	req.hello = &hello;
	rc = client_call(h, &req, NULL, 0, &resp);
	if (rc < 0)
		return rc;
	rc = client_expect(h, resp, SMMU__V1__RESPONSE__BODY_HELLO);
	if (rc < 0)
		return rc;
	hr = resp->hello;
	if (hr->protocol_version != FRAME_PROTOCOL_VERSION) {
		client_seterr(h, "server speaks protocol %u, this library %u",
		    hr->protocol_version, FRAME_PROTOCOL_VERSION);
		rc = SMMU_CLIENT_E_VERSION;
	} else if (hr->max_frame != 0 && hr->max_frame < CLIENT_MIN_FRAME) {
		client_seterr(h, "server's max_frame %u is implausible",
		    hr->max_frame);
		rc = SMMU_CLIENT_E_PROTO;
	} else
		rc = client_info_set(h, hr);
	smmu__v1__response__free_unpacked(resp, NULL);
	if (rc < 0)
		return rc;
	if (h->info.max_frame == 0)	/* an old server: assume default */
		h->info.max_frame = FRAME_DEFAULT_MAX;
	h->max_frame = h->info.max_frame;
	/* Answers may be as big as requests; never accept less than 1 MiB. */
	h->rx_max = h->max_frame > FRAME_DEFAULT_MAX ? h->max_frame :
	    FRAME_DEFAULT_MAX;
	return 0;
}

/* Connect the socket; blocking, bounded by timeout_ms via SO_SNDTIMEO. */
static int
client_sock_connect(struct smmu_client *h, const char *path, int timeout_ms)
{
	struct sockaddr_un sun;
	struct timeval tv;
	int fl, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		client_seterr(h, "socket path too long");
		errno = ENAMETOOLONG;
		return SMMU_CLIENT_E_INVAL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		client_seterr(h, "%s", strerror(errno));
		return SMMU_CLIENT_E_IO;
	}
	if (timeout_ms > 0) {
		/* A full listen backlog makes connect() wait this long. */
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		(void)setsockopt(h->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv));
	}
	while (connect(h->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EINTR)
			continue;
		saved = errno;
		client_seterr(h, "%s", strerror(saved));
		errno = saved;
		return saved == EAGAIN || saved == EINPROGRESS ?
		    SMMU_CLIENT_E_TIMEOUT : SMMU_CLIENT_E_IO;
	}
	fl = fcntl(h->fd, F_GETFL);
	if (fl < 0 || fcntl(h->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		saved = errno;
		client_seterr(h, "fcntl: %s", strerror(saved));
		errno = saved;
		return SMMU_CLIENT_E_IO;
	}
	return 0;
}

/* Connect and say Hello; see smmu_client.h for the error contract. */
int
smmu_client_connect(const char *path, const char *client_name,
    int timeout_ms, smmu_client_t **ret_h, char *errbuf, size_t errbuf_len)
{
	struct smmu_client *h;
	int rc, saved;

	if (errbuf != NULL && errbuf_len > 0)
		errbuf[0] = '\0';
	if (path == NULL || ret_h == NULL) {
		if (errbuf != NULL && errbuf_len > 0)
			(void)snprintf(errbuf, errbuf_len, "%s",
			    "no socket path or handle");
		errno = EINVAL;
		return SMMU_CLIENT_E_INVAL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		if (errbuf != NULL && errbuf_len > 0)
			(void)snprintf(errbuf, errbuf_len, "%s",
			    "out of memory");
		errno = ENOMEM;
		return SMMU_CLIENT_E_NOMEM;
	}
	h->fd = -1;
	h->timeout_ms = timeout_ms;
	h->max_frame = FRAME_DEFAULT_MAX;
	h->rx_max = FRAME_DEFAULT_MAX;
	if (pthread_mutex_init(&h->lock, NULL) != 0) {
		free(h);
		if (errbuf != NULL && errbuf_len > 0)
			(void)snprintf(errbuf, errbuf_len, "%s",
			    "out of memory");
		errno = ENOMEM;
		return SMMU_CLIENT_E_NOMEM;
	}
	rc = client_sock_connect(h, path, timeout_ms);
	if (rc == 0)
		rc = client_hello(h, client_name);
	if (rc < 0) {
		saved = errno;
		if (errbuf != NULL && errbuf_len > 0)
			(void)snprintf(errbuf, errbuf_len, "%s", h->err);
		smmu_client_close(h);
		errno = saved;
		return rc;
	}
	h->err[0] = '\0';
	*ret_h = h;
	return 0;
}

/* Close the socket and free everything the handle owns. */
void
smmu_client_close(smmu_client_t *h)
{
	if (h == NULL)
		return;
	if (h->fd >= 0)
		(void)close(h->fd);
	client_info_free(h);
	free(h->rx);
	free(h->tx);
	(void)pthread_mutex_destroy(&h->lock);
	free(h);
}

const struct smmu_client_info *
smmu_client_info(const smmu_client_t *h)
{
	return h != NULL ? &h->info : NULL;
}

int
smmu_client_get_fd(const smmu_client_t *h)
{
	return h != NULL ? h->fd : -1;
}

int
smmu_client_set_timeout(smmu_client_t *h, int timeout_ms)
{
	if (h == NULL)
		return SMMU_CLIENT_E_INVAL;
	(void)pthread_mutex_lock(&h->lock);
	h->timeout_ms = timeout_ms;
	(void)pthread_mutex_unlock(&h->lock);
	return 0;
}

/* Fail a call on a bad argument (nothing sent). */
static int
client_inval(struct smmu_client *h, const char *what)
{
	if (h != NULL)
		client_seterr(h, "%s", what);
	return SMMU_CLIENT_E_INVAL;
}

/* Attach: a device name to a StreamID (requested or the server's). */
int
smmu_client_attach(smmu_client_t *h, const char *smmu, const char *device,
    const uint32_t *sid, const struct smmu_client_window *window,
    uint32_t *ret_sid)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__Attach at;
	Smmu__V1__DmaWindow win = SMMU__V1__DMA_WINDOW__INIT;
	Smmu__V1__Response *resp;
	int rc;

	smmu__v1__attach__init(&at);
	if (h == NULL || smmu == NULL || device == NULL)
		return client_inval(h, "attach: no SMMU or device name");
	at.smmu = client_unconst(smmu);
	at.device = client_unconst(device);
	if (sid != NULL) {
		at.sid_opt_case = SMMU__V1__ATTACH__SID_OPT_SID;
		at.sid = *sid;
	}
	if (window != NULL) {
		win.start = window->start;
		win.end = window->end;
		at.window = &win;
	}
	req.body_case = SMMU__V1__REQUEST__BODY_ATTACH;
	req.attach = &at;
	(void)pthread_mutex_lock(&h->lock);
	rc = client_call(h, &req, NULL, 0, &resp);
	if (rc == 0)
		rc = client_expect(h, resp, SMMU__V1__RESPONSE__BODY_ATTACH);
	if (rc == 0) {
		if (ret_sid != NULL)
			*ret_sid = resp->attach->sid;
		smmu__v1__response__free_unpacked(resp, NULL);
	}
	(void)pthread_mutex_unlock(&h->lock);
	return rc;
}

/* Detach: the Response has no body, the status is the answer. */
int
smmu_client_detach(smmu_client_t *h, const char *smmu, const char *device)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__Detach de;
	Smmu__V1__Response *resp;
	int rc;

	smmu__v1__detach__init(&de);
	if (h == NULL || smmu == NULL || device == NULL)
		return client_inval(h, "detach: no SMMU or device name");
	de.smmu = client_unconst(smmu);
	de.device = client_unconst(device);
	req.body_case = SMMU__V1__REQUEST__BODY_DETACH;
	req.detach = &de;
	(void)pthread_mutex_lock(&h->lock);
	rc = client_call(h, &req, NULL, 0, &resp);
	/* Response has no Detach body: an OK status is the whole answer. */
	if (rc == 0)
		smmu__v1__response__free_unpacked(resp, NULL);
	(void)pthread_mutex_unlock(&h->lock);
	return rc;
}

void
smmu_client_devices_free(struct smmu_client_device *devs, size_t nr)
{
	size_t i;

	if (devs == NULL)
		return;
	for (i = 0; i < nr; i++) {
		free(devs[i].smmu);
		free(devs[i].name);
	}
	free(devs);
}

/* Copy a ListDevicesResult.  Returns 0 or E_NOMEM. */
static int
client_devices_conv(struct smmu_client *h,
    const Smmu__V1__ListDevicesResult *lr,
    struct smmu_client_device **ret_devs, size_t *ret_nr)
{
	struct smmu_client_device *devs;
	const Smmu__V1__Device *d;
	size_t i;

	*ret_devs = NULL;
	*ret_nr = 0;
	if (lr->n_devices == 0)
		return 0;
	devs = calloc(lr->n_devices, sizeof(*devs));
	if (devs == NULL)
		goto nomem;
	for (i = 0; i < lr->n_devices; i++) {
		d = lr->devices[i];
		devs[i].smmu = strdup(d->smmu != NULL ? d->smmu : "");
		devs[i].name = strdup(d->name != NULL ? d->name : "");
		if (devs[i].smmu == NULL || devs[i].name == NULL) {
			smmu_client_devices_free(devs, i + 1);
			goto nomem;
		}
		devs[i].sid = d->sid;
		if (d->window != NULL) {
			devs[i].has_window = true;
			devs[i].window.start = d->window->start;
			devs[i].window.end = d->window->end;
		}
	}
	*ret_devs = devs;
	*ret_nr = lr->n_devices;
	return 0;
nomem:
	client_seterr(h, "out of memory");
	return SMMU_CLIENT_E_NOMEM;
}

/* ListDevices, copied out of the unpacked message. */
int
smmu_client_list_devices(smmu_client_t *h, const char *smmu,
    struct smmu_client_device **ret_devs, size_t *ret_nr)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__ListDevices ld;
	Smmu__V1__Response *resp;
	struct smmu_client_device *devs;
	size_t nr;
	int rc;

	smmu__v1__list_devices__init(&ld);
	if (h == NULL || ret_devs == NULL || ret_nr == NULL)
		return client_inval(h, "list_devices: no result pointer");
	ld.smmu = client_unconst(smmu != NULL ? smmu : "");
	req.body_case = SMMU__V1__REQUEST__BODY_LIST_DEVICES;
	req.list_devices = &ld;
	(void)pthread_mutex_lock(&h->lock);
	rc = client_call(h, &req, NULL, 0, &resp);
	if (rc == 0)
		rc = client_expect(h, resp,
		    SMMU__V1__RESPONSE__BODY_LIST_DEVICES);
	if (rc == 0) {
		rc = client_devices_conv(h, resp->list_devices, &devs, &nr);
		smmu__v1__response__free_unpacked(resp, NULL);
		if (rc == 0) {
			*ret_devs = devs;
			*ret_nr = nr;
		}
	}
	(void)pthread_mutex_unlock(&h->lock);
	return rc;
}

/* Fill a Mapping result, checking what the server claims. */
static int
client_mapping_conv(struct smmu_client *h, const Smmu__V1__Mapping *m,
    struct smmu_client_mapping *r)
{
	if (m->size_log2 > 64) {
		client_seterr(h, "server sent a mapping of 2^%u bytes",
		    m->size_log2);
		return SMMU_CLIENT_E_PROTO;
	}
	memset(r, 0, sizeof(*r));
	r->output = m->output;
	r->start = m->start;
	r->size_log2 = m->size_log2;
	r->perm = m->perm;
	r->tlb_hit = m->tlb_hit;
	r->bypass = m->bypass;
	return 0;
}

/* Translate one transaction: a mapping (0) or a fault (1). */
int
smmu_client_translate(smmu_client_t *h, const char *smmu,
    const struct smmu_client_txn *txn, struct smmu_client_mapping *ret_map,
    struct smmu_client_fault *ret_fault)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__Translate tr;
	Smmu__V1__Response *resp;
	const Smmu__V1__TranslateResult *res;
	int rc;

	smmu__v1__translate__init(&tr);
	if (h == NULL || smmu == NULL || txn == NULL || ret_map == NULL)
		return client_inval(h, "translate: NULL argument");
	tr.smmu = client_unconst(smmu);
	tr.sid = txn->sid;
	tr.ssid = txn->ssid;
	tr.ssv = txn->ssv;
	tr.iova = txn->iova;
	tr.access = txn->access;
	req.body_case = SMMU__V1__REQUEST__BODY_TRANSLATE;
	req.translate = &tr;
	(void)pthread_mutex_lock(&h->lock);
	rc = client_call(h, &req, NULL, 0, &resp);
	if (rc == 0)
		rc = client_expect(h, resp, SMMU__V1__RESPONSE__BODY_TRANSLATE);
	if (rc == 0) {
		res = resp->translate;
		if (res->outcome_case ==
		    SMMU__V1__TRANSLATE_RESULT__OUTCOME_MAPPING)
			rc = client_mapping_conv(h, res->mapping, ret_map);
		else if (res->outcome_case ==
		    SMMU__V1__TRANSLATE_RESULT__OUTCOME_FAULT) {
			if (ret_fault != NULL)
				client_fault_conv(res->fault, ret_fault);
			rc = SMMU_CLIENT_FAULT;
		} else {
			client_seterr(h, "server sent a translation with "
			    "neither mapping nor fault");
			rc = SMMU_CLIENT_E_PROTO;
		}
		smmu__v1__response__free_unpacked(resp, NULL);
	}
	(void)pthread_mutex_unlock(&h->lock);
	return rc;
}

/*
 * Copy a TranslateBatchResult for nr entries.  Returns the number of
 * faults or E_PROTO when the arrays do not match the request.
 */
static int
client_batch_conv(struct smmu_client *h,
    const Smmu__V1__TranslateBatchResult *br, size_t nr,
    struct smmu_client_batch_entry *ents, struct smmu_client_fault *faults,
    uint32_t *ret_tlb_hits)
{
	size_t i;
	uint32_t idx;

	if (br->n_output != nr || br->n_size_log2 != nr || br->n_perm != nr ||
	    br->n_faults > nr) {
		client_seterr(h, "server answered a batch of %zu with "
		    "%zu/%zu/%zu entries and %zu faults", nr, br->n_output,
		    br->n_size_log2, br->n_perm, br->n_faults);
		return SMMU_CLIENT_E_PROTO;
	}
	for (i = 0; i < nr; i++) {
		if (br->size_log2[i] > 64) {
			client_seterr(h, "server sent a mapping of 2^%u bytes",
			    br->size_log2[i]);
			return SMMU_CLIENT_E_PROTO;
		}
		ents[i].output = br->output[i];
		ents[i].size_log2 = br->size_log2[i];
		ents[i].perm = br->perm[i];
		ents[i].fault = false;
	}
	for (i = 0; i < br->n_faults; i++) {
		idx = br->faults[i]->index;
		if (idx >= nr || ents[idx].fault) {
			client_seterr(h, "server sent a fault for batch entry "
			    "%u of %zu", idx, nr);
			return SMMU_CLIENT_E_PROTO;
		}
		ents[idx].fault = true;
		if (faults != NULL)
			client_fault_conv(br->faults[i], &faults[i]);
	}
	if (ret_tlb_hits != NULL)
		*ret_tlb_hits = br->tlb_hits;
	return (int)br->n_faults;
}

/* TranslateBatch: our array of structs to the wire's parallel arrays. */
int
smmu_client_translate_batch(smmu_client_t *h, const char *smmu,
    const struct smmu_client_txn *txns, size_t nr,
    struct smmu_client_batch_entry *ret_entries,
    struct smmu_client_fault *ret_faults, uint32_t *ret_tlb_hits)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__TranslateBatch tb;
	Smmu__V1__Response *resp;
	uint32_t *sid = NULL, *access = NULL, *ssid = NULL;
	uint64_t *iova = NULL;
	protobuf_c_boolean *ssv = NULL;
	bool any_ssv = false;
	size_t i;
	int rc;

	smmu__v1__translate_batch__init(&tb);
	if (h == NULL || smmu == NULL || (nr > 0 && (txns == NULL ||
	    ret_entries == NULL)))
		return client_inval(h, "translate_batch: NULL argument");
	if (nr == 0)
		return 0;
	if (nr > INT32_MAX)
		return client_inval(h, "translate_batch: batch too big");
	for (i = 0; i < nr; i++)
		any_ssv |= txns[i].ssv;
	sid = malloc(nr * sizeof(*sid));
	access = malloc(nr * sizeof(*access));
	iova = malloc(nr * sizeof(*iova));
	if (any_ssv) {
		ssid = malloc(nr * sizeof(*ssid));
		ssv = malloc(nr * sizeof(*ssv));
	}
	if (sid == NULL || access == NULL || iova == NULL ||
	    (any_ssv && (ssid == NULL || ssv == NULL))) {
		rc = SMMU_CLIENT_E_NOMEM;
		(void)pthread_mutex_lock(&h->lock);
		client_seterr(h, "out of memory");
		(void)pthread_mutex_unlock(&h->lock);
		goto out;
	}
	/* The wire takes parallel arrays; ssid/ssv only when used. */
	for (i = 0; i < nr; i++) {
		sid[i] = txns[i].sid;
		iova[i] = txns[i].iova;
		access[i] = txns[i].access;
		if (any_ssv) {
			ssid[i] = txns[i].ssid;
			ssv[i] = txns[i].ssv;
		}
	}
	tb.smmu = client_unconst(smmu);
	tb.n_sid = tb.n_iova = tb.n_access = nr;
	tb.sid = sid;
	tb.iova = iova;
	tb.access = access;
	if (any_ssv) {
		tb.n_ssid = tb.n_ssv = nr;
		tb.ssid = ssid;
		tb.ssv = ssv;
	}
	req.body_case = SMMU__V1__REQUEST__BODY_TRANSLATE_BATCH;
	req.translate_batch = &tb;
	(void)pthread_mutex_lock(&h->lock);
	rc = client_call(h, &req, NULL, 0, &resp);
	if (rc == 0)
		rc = client_expect(h, resp,
		    SMMU__V1__RESPONSE__BODY_TRANSLATE_BATCH);
	if (rc == 0) {
		rc = client_batch_conv(h, resp->translate_batch, nr,
		    ret_entries, ret_faults, ret_tlb_hits);
		smmu__v1__response__free_unpacked(resp, NULL);
	}
	(void)pthread_mutex_unlock(&h->lock);
out:
	free(sid);
	free(access);
	free(iova);
	free(ssid);
	free(ssv);
	return rc;
}

/* Invalidate one scope (the wire's oneof). */
int
smmu_client_invalidate(smmu_client_t *h, const char *smmu,
    const struct smmu_client_inv *inv, uint64_t *ret_dropped)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__Invalidate in;
	Smmu__V1__InvAll all = SMMU__V1__INV_ALL__INIT;
	Smmu__V1__InvSid isid = SMMU__V1__INV_SID__INIT;
	Smmu__V1__InvAsid iasid = SMMU__V1__INV_ASID__INIT;
	Smmu__V1__InvVmid ivmid = SMMU__V1__INV_VMID__INIT;
	Smmu__V1__InvRange irange = SMMU__V1__INV_RANGE__INIT;
	Smmu__V1__Response *resp;
	int rc;

	smmu__v1__invalidate__init(&in);
	if (h == NULL || smmu == NULL || inv == NULL)
		return client_inval(h, "invalidate: NULL argument");
	in.smmu = client_unconst(smmu);
	switch (inv->scope) {
	case SMMU_CLIENT_INV_ALL:
		in.scope_case = SMMU__V1__INVALIDATE__SCOPE_ALL;
		in.all = &all;
		break;
	case SMMU_CLIENT_INV_SID:
		isid.sid = inv->sid;
		in.scope_case = SMMU__V1__INVALIDATE__SCOPE_SID;
		in.sid = &isid;
		break;
	case SMMU_CLIENT_INV_ASID:
		iasid.asid = inv->asid;
		iasid.vmid = inv->vmid;
		in.scope_case = SMMU__V1__INVALIDATE__SCOPE_ASID;
		in.asid = &iasid;
		break;
	case SMMU_CLIENT_INV_VMID:
		ivmid.vmid = inv->vmid;
		in.scope_case = SMMU__V1__INVALIDATE__SCOPE_VMID;
		in.vmid = &ivmid;
		break;
	case SMMU_CLIENT_INV_RANGE:
		if (inv->size == 0)
			return client_inval(h, "invalidate: empty range");
		irange.iova = inv->iova;
		irange.size = inv->size;
		if (inv->has_asid) {
			irange.asid_opt_case =
			    SMMU__V1__INV_RANGE__ASID_OPT_ASID;
			irange.asid = inv->asid;
		}
		irange.vmid = inv->vmid;
		irange.leaf = inv->leaf;
		in.scope_case = SMMU__V1__INVALIDATE__SCOPE_RANGE;
		in.range = &irange;
		break;
	default:
		return client_inval(h, "invalidate: unknown scope");
	}
	req.body_case = SMMU__V1__REQUEST__BODY_INVALIDATE;
	req.invalidate = &in;
	(void)pthread_mutex_lock(&h->lock);
	rc = client_call(h, &req, NULL, 0, &resp);
	if (rc == 0)
		rc = client_expect(h, resp,
		    SMMU__V1__RESPONSE__BODY_INVALIDATE);
	if (rc == 0) {
		if (ret_dropped != NULL)
			*ret_dropped = resp->invalidate->dropped;
		smmu__v1__response__free_unpacked(resp, NULL);
	}
	(void)pthread_mutex_unlock(&h->lock);
	return rc;
}

/* Free what a counters struct owns. */
static void
client_counters_fini(struct smmu_client_counters *c)
{
	size_t i;

	if (c->faults_by_type == NULL)
		return;
	for (i = 0; i < c->nr_faults_by_type; i++)
		free(c->faults_by_type[i].name);
	free(c->faults_by_type);
}

void
smmu_client_stats_free(struct smmu_client_stats *st)
{
	struct smmu_client_smmu_stats *s;
	size_t i, j;

	if (st == NULL)
		return;
	for (i = 0; st->smmus != NULL && i < st->nr_smmus; i++) {
		s = &st->smmus[i];
		free(s->smmu);
		client_counters_fini(&s->counters);
		for (j = 0; s->streams != NULL && j < s->nr_streams; j++)
			client_counters_fini(&s->streams[j].counters);
		free(s->streams);
	}
	free(st->smmus);
	free(st);
}

/* Copy wire Counters (absent: all zero).  Returns 0 or -1 (OOM). */
static int
client_counters_conv(const Smmu__V1__Counters *w,
    struct smmu_client_counters *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	if (w == NULL)
		return 0;
	c->translations = w->translations;
	c->tlb_hits = w->tlb_hits;
	c->tlb_misses = w->tlb_misses;
	c->walks = w->walks;
	c->faults = w->faults;
	c->bypassed = w->bypassed;
	if (w->n_faults_by_type == 0)
		return 0;
	c->faults_by_type = calloc(w->n_faults_by_type,
	    sizeof(*c->faults_by_type));
	if (c->faults_by_type == NULL)
		return -1;
	/* Counted as filled so that a failure frees what was copied. */
	c->nr_faults_by_type = w->n_faults_by_type;
	for (i = 0; i < w->n_faults_by_type; i++) {
		c->faults_by_type[i].type = w->faults_by_type[i]->type;
		c->faults_by_type[i].count = w->faults_by_type[i]->count;
		c->faults_by_type[i].name = strdup(
		    w->faults_by_type[i]->name != NULL ?
		    w->faults_by_type[i]->name : "");
		if (c->faults_by_type[i].name == NULL)
			return -1;
	}
	return 0;
}

/* Copy wire CacheStats (absent: all zero). */
static void
client_cache_conv(const Smmu__V1__CacheStats *w,
    struct smmu_client_cache_stats *c)
{
	memset(c, 0, sizeof(*c));
	if (w == NULL)
		return;
	c->hits = w->hits;
	c->misses = w->misses;
	c->insertions = w->insertions;
	c->evictions = w->evictions;
	c->invalidations = w->invalidations;
	c->entries = w->entries;
	c->capacity = w->capacity;
}

/* Copy a StatsResult into a new result.  Returns 0 or E_NOMEM. */
static int
client_stats_conv(struct smmu_client *h, const Smmu__V1__StatsResult *w,
    struct smmu_client_stats **ret)
{
	struct smmu_client_stats *st;
	struct smmu_client_smmu_stats *s;
	const Smmu__V1__SmmuStats *ws;
	const Smmu__V1__DaemonStats *d = w->daemon;
	size_t i, j;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		goto nomem;
	if (d != NULL) {
		st->daemon.uptime_ms = d->uptime_ms;
		st->daemon.clients = d->clients;
		st->daemon.requests = d->requests;
		st->daemon.errors = d->errors;
		st->daemon.bytes_in = d->bytes_in;
		st->daemon.bytes_out = d->bytes_out;
		st->daemon.workers = d->workers;
		st->daemon.rss_bytes = d->rss_bytes;
	}
	if (w->n_smmus > 0) {
		st->smmus = calloc(w->n_smmus, sizeof(*st->smmus));
		if (st->smmus == NULL)
			goto nomem;
		st->nr_smmus = w->n_smmus;
	}
	for (i = 0; i < w->n_smmus; i++) {
		ws = w->smmus[i];
		s = &st->smmus[i];
		s->smmu = strdup(ws->smmu != NULL ? ws->smmu : "");
		if (s->smmu == NULL ||
		    client_counters_conv(ws->counters, &s->counters) < 0)
			goto nomem;
		client_cache_conv(ws->tlb, &s->tlb);
		client_cache_conv(ws->cfg, &s->cfg);
		if (ws->n_streams == 0)
			continue;
		s->streams = calloc(ws->n_streams, sizeof(*s->streams));
		if (s->streams == NULL)
			goto nomem;
		s->nr_streams = ws->n_streams;
		for (j = 0; j < ws->n_streams; j++) {
			s->streams[j].sid = ws->streams[j]->sid;
			if (client_counters_conv(ws->streams[j]->counters,
			    &s->streams[j].counters) < 0)
				goto nomem;
		}
	}
	*ret = st;
	return 0;
nomem:
	smmu_client_stats_free(st);
	client_seterr(h, "out of memory");
	return SMMU_CLIENT_E_NOMEM;
}

/* Stats, deep-copied into a result the caller frees. */
int
smmu_client_stats(smmu_client_t *h, const char *smmu, bool streams,
    struct smmu_client_stats **ret)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__Stats sr;
	Smmu__V1__Response *resp;
	int rc;

	smmu__v1__stats__init(&sr);
	if (h == NULL || ret == NULL)
		return client_inval(h, "stats: NULL argument");
	sr.smmu = client_unconst(smmu != NULL ? smmu : "");
	sr.streams = streams;
	req.body_case = SMMU__V1__REQUEST__BODY_STATS;
	req.stats = &sr;
	(void)pthread_mutex_lock(&h->lock);
	rc = client_call(h, &req, NULL, 0, &resp);
	if (rc == 0)
		rc = client_expect(h, resp, SMMU__V1__RESPONSE__BODY_STATS);
	if (rc == 0) {
		rc = client_stats_conv(h, resp->stats, ret);
		smmu__v1__response__free_unpacked(resp, NULL);
	}
	(void)pthread_mutex_unlock(&h->lock);
	return rc;
}

/*
 * Largest data chunk of one MemRead/MemWrite for vm: max_frame less the
 * envelope (MemRead.len is "at most max_frame - 64" per smmu.proto).
 */
static size_t
client_mem_chunk(const struct smmu_client *h, const char *vm)
{
	size_t over = CLIENT_MEM_OVERHEAD + strlen(vm);

	return h->max_frame > over ? h->max_frame - over : 0;
}

/* MemRead, in chunks that fit the server's max_frame. */
int
smmu_client_mem_read(smmu_client_t *h, const char *vm, uint64_t gpa,
    void *buf, size_t len)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__MemRead mr;
	Smmu__V1__Response *resp;
	const Smmu__V1__MemReadResult *res;
	size_t off = 0, n, chunk;
	int rc = 0;

	smmu__v1__mem_read__init(&mr);
	if (h == NULL || vm == NULL || (buf == NULL && len > 0))
		return client_inval(h, "mem_read: NULL argument");
	if (len > 0 && gpa + (len - 1) < gpa)
		return client_inval(h, "mem_read: range wraps");
	mr.vm = client_unconst(vm);
	req.body_case = SMMU__V1__REQUEST__BODY_MEM_READ;
	req.mem_read = &mr;
	(void)pthread_mutex_lock(&h->lock);
	chunk = client_mem_chunk(h, vm);
	if (chunk == 0) {
		client_seterr(h, "mem_read: VM name too long");
		rc = SMMU_CLIENT_E_INVAL;
	}
	while (rc == 0 && off < len) {
		n = len - off < chunk ? len - off : chunk;
		mr.gpa = gpa + off;
		mr.len = (uint32_t)n;
		rc = client_call(h, &req, NULL, 0, &resp);
		if (rc < 0)
			break;
		rc = client_expect(h, resp, SMMU__V1__RESPONSE__BODY_MEM_READ);
		if (rc < 0)
			break;
		res = resp->mem_read;
		if (res->data.len != n) {
			client_seterr(h, "server returned %zu bytes for a "
			    "read of %zu", res->data.len, n);
			rc = SMMU_CLIENT_E_PROTO;
		} else
			memcpy((uint8_t *)buf + off, res->data.data, n);
		smmu__v1__response__free_unpacked(resp, NULL);
		off += n;
	}
	(void)pthread_mutex_unlock(&h->lock);
	return rc;
}

/* MemWrite, in chunks that fit the server's max_frame. */
int
smmu_client_mem_write(smmu_client_t *h, const char *vm, uint64_t gpa,
    const void *buf, size_t len)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__MemWrite mw;
	Smmu__V1__Response *resp;
	size_t off = 0, n, chunk;
	int rc = 0;

	smmu__v1__mem_write__init(&mw);
	if (h == NULL || vm == NULL || (buf == NULL && len > 0))
		return client_inval(h, "mem_write: NULL argument");
	if (len > 0 && gpa + (len - 1) < gpa)
		return client_inval(h, "mem_write: range wraps");
	mw.vm = client_unconst(vm);
	req.body_case = SMMU__V1__REQUEST__BODY_MEM_WRITE;
	req.mem_write = &mw;
	(void)pthread_mutex_lock(&h->lock);
	chunk = client_mem_chunk(h, vm);
	if (chunk == 0) {
		client_seterr(h, "mem_write: VM name too long");
		rc = SMMU_CLIENT_E_INVAL;
	}
	while (rc == 0 && off < len) {
		n = len - off < chunk ? len - off : chunk;
		mw.gpa = gpa + off;
		mw.data.len = n;
		mw.data.data = (uint8_t *)(uintptr_t)((const uint8_t *)buf +
		    off);
		rc = client_call(h, &req, NULL, 0, &resp);
		if (rc < 0)
			break;
		/* An empty result may be encoded as no body at all. */
		if (resp->body_case != SMMU__V1__RESPONSE__BODY__NOT_SET)
			rc = client_expect(h, resp,
			    SMMU__V1__RESPONSE__BODY_MEM_WRITE);
		if (rc < 0)
			break;
		smmu__v1__response__free_unpacked(resp, NULL);
		off += n;
	}
	(void)pthread_mutex_unlock(&h->lock);
	return rc;
}

/* ShareMemory: the region list, with one memfd per region as SCM_RIGHTS. */
int
smmu_client_share_memory(smmu_client_t *h, const char *vm,
    const struct smmu_client_region *regions, size_t nr,
    uint32_t *ret_regions)
{
	Smmu__V1__Request req = SMMU__V1__REQUEST__INIT;
	Smmu__V1__ShareMemory sm;
	Smmu__V1__SharedRegion wr[SMMU_CLIENT_SHARE_MAX];
	Smmu__V1__SharedRegion *wrp[SMMU_CLIENT_SHARE_MAX];
	Smmu__V1__Response *resp;
	int fds[SMMU_CLIENT_SHARE_MAX];
	size_t i;
	int rc;

	smmu__v1__share_memory__init(&sm);
	if (h == NULL || vm == NULL || regions == NULL)
		return client_inval(h, "share_memory: NULL argument");
	if (nr == 0 || nr > SMMU_CLIENT_SHARE_MAX)
		return client_inval(h, "share_memory: 1 to 16 regions");
	for (i = 0; i < nr; i++) {
		if (regions[i].fd < 0)
			return client_inval(h, "share_memory: bad fd");
		smmu__v1__shared_region__init(&wr[i]);
		wr[i].gpa = regions[i].gpa;
		wr[i].size = regions[i].size;
		wr[i].offset = regions[i].offset;
		wrp[i] = &wr[i];
		fds[i] = regions[i].fd;
	}
	sm.vm = client_unconst(vm);
	sm.n_regions = nr;
	sm.regions = wrp;
	req.body_case = SMMU__V1__REQUEST__BODY_SHARE_MEMORY;
	req.share_memory = &sm;
	(void)pthread_mutex_lock(&h->lock);
	rc = client_call(h, &req, fds, nr, &resp);
	if (rc == 0)
		rc = client_expect(h, resp,
		    SMMU__V1__RESPONSE__BODY_SHARE_MEMORY);
	if (rc == 0) {
		if (ret_regions != NULL)
			*ret_regions = resp->share_memory->regions;
		smmu__v1__response__free_unpacked(resp, NULL);
	}
	(void)pthread_mutex_unlock(&h->lock);
	return rc;
}

void
smmu_client_set_event_cb(smmu_client_t *h, smmu_client_event_cb *cb,
    void *arg)
{
	if (h == NULL)
		return;
	(void)pthread_mutex_lock(&h->lock);
	h->cb = cb;
	h->cb_arg = arg;
	(void)pthread_mutex_unlock(&h->lock);
}

size_t
smmu_client_events_pending(smmu_client_t *h)
{
	size_t n;

	if (h == NULL)
		return 0;
	(void)pthread_mutex_lock(&h->lock);
	n = h->evq_nr + (h->evq_lost != 0);
	(void)pthread_mutex_unlock(&h->lock);
	return n;
}

/*
 * Take the next event to deliver off the queue (a LOST summary first when
 * events were dropped).  Returns false when the queue is empty.  Called
 * with the lock held.
 */
static bool
client_event_pop(struct smmu_client *h, struct smmu_client_event *ev)
{
	if (h->evq_lost != 0) {
		memset(ev, 0, sizeof(*ev));
		ev->kind = SMMU_CLIENT_EVENT_LOST;
		ev->lost = h->evq_lost;
		h->evq_lost = 0;
		return true;
	}
	if (h->evq_nr == 0)
		return false;
	*ev = h->evq[h->evq_head];
	h->evq_head = (h->evq_head + 1) % SMMU_CLIENT_EVENT_QUEUE;
	h->evq_nr--;
	return true;
}

/*
 * Drain pushed frames without blocking, then call the callback for each
 * queued event with the lock released.
 */
int
smmu_client_process_events(smmu_client_t *h)
{
	Smmu__V1__Response *resp;
	struct smmu_client_event ev;
	smmu_client_event_cb *cb;
	void *arg;
	int rc = 0, n = 0, budget;

	if (h == NULL)
		return SMMU_CLIENT_E_INVAL;
	(void)pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	while (!h->broken) {
		rc = client_recv(h, false, -1, &resp);
		if (rc <= 0)
			break;
		rc = client_unsolicited(h, resp);
		if (rc < 0)
			break;
	}
	if (rc == 0 && h->broken)
		rc = SMMU_CLIENT_E_IO;
	/* Deliver what was queued now (not what the callbacks cause). */
	budget = (int)h->evq_nr + 1;
	(void)pthread_mutex_unlock(&h->lock);
	while (n < budget) {
		(void)pthread_mutex_lock(&h->lock);
		if (!client_event_pop(h, &ev)) {
			(void)pthread_mutex_unlock(&h->lock);
			break;
		}
		cb = h->cb;
		arg = h->cb_arg;
		(void)pthread_mutex_unlock(&h->lock);
		if (cb != NULL)
			cb(arg, &ev);
		n++;
	}
	return rc < 0 ? rc : n;
}
