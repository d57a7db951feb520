/*
 * smmu_client.h - libsmmuclient, the client library of smmud.
 *
 * A VMM (or a tool such as smmuctl) links libsmmuclient to ask smmud, the
 * SMMUv3 emulation daemon, for DMA translations over its Unix socket.
 * The wire format (protobuf frames, proto/smmu.proto) stays inside the
 * library: this header exposes no protobuf type.
 *
 * Conventions
 *   - Functions returning int return 0 (or a positive value where stated)
 *     on success and a negative enum smmu_client_err on failure.  Output
 *     parameters (ret_*) are written only on success.
 *   - After a failure, smmu_client_last_error() describes it, with the
 *     server's own message when the server refused the request.
 *   - A translation fault is not an error: smmu_client_translate()
 *     returns SMMU_CLIENT_FAULT (1) and fills a struct smmu_client_fault.
 *   - Every call blocks until the answer arrives or the handle's timeout
 *     (smmu_client_set_timeout()) expires.  A call that times out before
 *     sending anything leaves the connection usable; its late answer is
 *     recognised by its request id and discarded.  A request that could
 *     be sent only partly, an oversize frame or a closed connection make
 *     the handle unusable: every later call fails with SMMU_CLIENT_E_IO
 *     and the caller should smmu_client_close() it and reconnect.
 *   - Strings passed in are borrowed for the duration of the call.
 *     Strings returned inside library-owned structures are owned by the
 *     library; each function says how long they stay valid.
 *
 * Thread-safety
 *   A handle may be used from several threads: calls on one handle are
 *   serialized by an internal mutex, so one caller waits while another's
 *   request is on the wire.  For throughput, give each thread its own
 *   handle (connections are cheap and smmud serves them on its worker
 *   threads in parallel).  smmu_client_close() must not race with any
 *   other call on the same handle.  smmu_client_last_error() describes
 *   the most recent failed call of any thread; with several threads per
 *   handle it may describe another thread's call.
 *   The library has no global state, installs no signal handler (writes
 *   use MSG_NOSIGNAL, so a vanished daemon gives SMMU_CLIENT_E_IO, not
 *   SIGPIPE), never logs and never exits.  Its descriptors are
 *   close-on-exec.
 */
#ifndef SMMU_CLIENT_H
#define SMMU_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SMMU_CLIENT_EXPORT __attribute__((visibility("default")))
#else
#define SMMU_CLIENT_EXPORT
#endif

/* The default socket of a system-wide smmud. */
#define SMMU_CLIENT_DEFAULT_SOCKET "/run/smmud/smmud.sock"

/* The connection to smmud (opaque). */
typedef struct smmu_client smmu_client_t;

/*
 * Return codes.  Negative values are errors; the SERVER_INVAL ..
 * BAD_ADDRESS group mirrors the server's Status of the same meaning.
 */
enum smmu_client_err {
	SMMU_CLIENT_OK = 0,
	SMMU_CLIENT_E_IO = -1,		/* connect/send/receive failed, or the
					   server closed the connection */
	SMMU_CLIENT_E_PROTO = -2,	/* the server sent a malformed frame
					   or an unexpected answer */
	SMMU_CLIENT_E_TIMEOUT = -3,	/* no answer within the timeout */
	SMMU_CLIENT_E_NOMEM = -4,	/* out of memory */
	SMMU_CLIENT_E_INVAL = -5,	/* bad argument (checked locally,
					   nothing was sent) */
	SMMU_CLIENT_E_SERVER_INVAL = -6, /* STATUS_INVALID_ARGUMENT */
	SMMU_CLIENT_E_NOT_FOUND = -7,	/* STATUS_NOT_FOUND */
	SMMU_CLIENT_E_DENIED = -8,	/* STATUS_PERMISSION_DENIED */
	SMMU_CLIENT_E_EXISTS = -9,	/* STATUS_ALREADY_EXISTS */
	SMMU_CLIENT_E_RESOURCE = -10,	/* STATUS_RESOURCE_EXHAUSTED */
	SMMU_CLIENT_E_PRECONDITION = -11, /* STATUS_FAILED_PRECONDITION */
	SMMU_CLIENT_E_UNIMPLEMENTED = -12, /* STATUS_UNIMPLEMENTED */
	SMMU_CLIENT_E_INTERNAL = -13,	/* STATUS_INTERNAL */
	SMMU_CLIENT_E_VERSION = -14,	/* STATUS_UNSUPPORTED_VERSION, or the
					   server speaks another protocol */
	SMMU_CLIENT_E_BAD_ADDRESS = -15	/* STATUS_BAD_ADDRESS */
};

/* smmu_client_translate() result: the transaction faulted. */
#define SMMU_CLIENT_FAULT 1

/* Transaction attributes (struct smmu_client_txn.access); 0 = read. */
#define SMMU_CLIENT_ACC_READ (1u << 0)
#define SMMU_CLIENT_ACC_WRITE (1u << 1)
#define SMMU_CLIENT_ACC_EXEC (1u << 2)	/* instruction fetch (InD) */
#define SMMU_CLIENT_ACC_PRIV (1u << 3)	/* privileged (PnU) */

/* Permission bits of a mapping (struct smmu_client_mapping.perm). */
#define SMMU_CLIENT_PERM_R (1u << 0)
#define SMMU_CLIENT_PERM_W (1u << 1)
#define SMMU_CLIENT_PERM_X (1u << 2)

/* Sizes of the fixed strings in struct smmu_client_fault (with NUL). */
#define SMMU_CLIENT_FAULT_NAME_LEN 32
#define SMMU_CLIENT_FAULT_DETAIL_LEN 160
#define SMMU_CLIENT_NAME_LEN 128

/* Most events kept between two smmu_client_process_events() calls. */
#define SMMU_CLIENT_EVENT_QUEUE 64

/* Most regions (memfds) one smmu_client_share_memory() call may pass. */
#define SMMU_CLIENT_SHARE_MAX 16

/* ---- errors, version -------------------------------------------------- */

/*
 * Static English text for a return code ("not found", "translation
 * fault"); never NULL.  Thread-safe.
 */
SMMU_CLIENT_EXPORT const char *
smmu_client_strerror(int err);

/*
 * The library's version string (e.g. "0.1.0"); static.
 */
SMMU_CLIENT_EXPORT const char *
smmu_client_version(void);

/*
 * A description of the handle's most recent failure ("not found: no
 * device 'x' on vm0/smmu0"), or "" if the last call succeeded.  Owned by
 * the handle: valid until the next call on it or smmu_client_close().
 * h may be NULL (returns "").
 */
SMMU_CLIENT_EXPORT const char *
smmu_client_last_error(const smmu_client_t *h);

/* ---- connection ------------------------------------------------------- */

/* One VM the client may use, from the server's Hello answer. */
struct smmu_client_vm {
	const char *name;		/* "vm0" */
	size_t nr_smmus;
	const char *const *smmus;	/* SMMU names within the VM */
};

/* What the server said in its Hello answer. */
struct smmu_client_info {
	uint32_t protocol_version;	/* the server's wire protocol */
	const char *server_version;	/* smmud's version string */
	uint32_t max_frame;		/* largest request frame it accepts */
	size_t nr_features;
	const char *const *features;	/* features granted */
	size_t nr_vms;
	const struct smmu_client_vm *vms; /* the VMs this client may use */
};

/*
 * Connect to the smmud socket at path and say Hello (protocol version,
 * client_name for the server's logs; may be NULL).  timeout_ms bounds the
 * connect and the Hello and becomes the handle's call timeout (<= 0: no
 * limit).  On success stores a new handle in *ret_h (caller closes it with
 * smmu_client_close()) and returns 0.
 *
 * On failure returns a negative code and, if errbuf is not NULL, writes a
 * NUL-terminated description of at most errbuf_len bytes into it
 * ("Connection refused", or the server's refusal).  SMMU_CLIENT_E_IO:
 * socket or connect failed (errno is also left set); E_TIMEOUT; E_NOMEM;
 * E_INVAL: NULL path/ret_h or a path too long for a Unix socket;
 * E_VERSION: the server speaks another protocol version; E_DENIED: the
 * server refused this peer; E_PROTO: a malformed Hello answer.
 */
SMMU_CLIENT_EXPORT int
smmu_client_connect(const char *path, const char *client_name,
    int timeout_ms, smmu_client_t **ret_h, char *errbuf, size_t errbuf_len);

/*
 * Close the connection and free the handle, including every string the
 * handle owns (smmu_client_info(), smmu_client_last_error()).  Accepts
 * NULL.  No other thread may be using h.
 */
SMMU_CLIENT_EXPORT void
smmu_client_close(smmu_client_t *h);

/*
 * The server's Hello answer (NULL for a NULL h).  Owned by the handle,
 * immutable, valid until smmu_client_close(); safe to read from any
 * thread.
 */
SMMU_CLIENT_EXPORT const struct smmu_client_info *
smmu_client_info(const smmu_client_t *h);

/*
 * The connection's socket descriptor, for the caller's poll/epoll loop:
 * it becomes readable when the server pushes an event (then call
 * smmu_client_process_events()).  Owned by the handle: do not read,
 * write or close it.  Non-blocking and close-on-exec.
 */
SMMU_CLIENT_EXPORT int
smmu_client_get_fd(const smmu_client_t *h);

/*
 * Set the per-call timeout in milliseconds (<= 0: wait forever).  The
 * timeout covers a whole call: sending the request and receiving its
 * answer.  Returns 0, or SMMU_CLIENT_E_INVAL for a NULL h.
 */
SMMU_CLIENT_EXPORT int
smmu_client_set_timeout(smmu_client_t *h, int timeout_ms);

/* ---- devices ---------------------------------------------------------- */

/* A DMA window: the IOVAs start .. end, inclusive. */
struct smmu_client_window {
	uint64_t start;
	uint64_t end;
};

/*
 * Attach device (e.g. "pci-0000:01:00.0") to smmu ("VM/NAME", or "NAME"
 * when unique among the client's VMs).  sid, if not NULL, requests that
 * StreamID; NULL lets the server choose.  window, if not NULL, limits
 * the device to that DMA window.  On success stores the StreamID in
 * *ret_sid (may be NULL) and returns 0.  Errors: E_INVAL (NULL smmu or
 * device), E_NOT_FOUND (no such SMMU), E_EXISTS (device or SID already
 * attached), E_SERVER_INVAL (bad device name, SID or window out of
 * range), E_DENIED, E_RESOURCE (no free SID), and the connection errors.
 */
SMMU_CLIENT_EXPORT int
smmu_client_attach(smmu_client_t *h, const char *smmu, const char *device,
    const uint32_t *sid, const struct smmu_client_window *window,
    uint32_t *ret_sid);

/*
 * Detach device from smmu.  Returns 0, or E_NOT_FOUND (no such SMMU or
 * device attached), E_INVAL, E_DENIED and the connection errors.
 */
SMMU_CLIENT_EXPORT int
smmu_client_detach(smmu_client_t *h, const char *smmu, const char *device);

/* One attached device. */
struct smmu_client_device {
	char *smmu;			/* "VM/NAME" */
	char *name;			/* device name */
	uint32_t sid;			/* StreamID */
	bool has_window;		/* window is valid */
	struct smmu_client_window window;
};

/*
 * List the devices attached to smmu (NULL or "": every SMMU the client
 * may see).  On success stores a new array in *ret_devs (caller frees it
 * with smmu_client_devices_free()) and its length in *ret_nr, and returns
 * 0.  An empty list gives *ret_devs = NULL and *ret_nr = 0.
 */
SMMU_CLIENT_EXPORT int
smmu_client_list_devices(smmu_client_t *h, const char *smmu,
    struct smmu_client_device **ret_devs, size_t *ret_nr);

/* Free an array from smmu_client_list_devices().  Accepts NULL. */
SMMU_CLIENT_EXPORT void
smmu_client_devices_free(struct smmu_client_device *devs, size_t nr);

/* ---- translation ------------------------------------------------------ */

/* One DMA transaction to translate. */
struct smmu_client_txn {
	uint32_t sid;			/* StreamID */
	uint32_t ssid;			/* SubstreamID (PASID), if ssv */
	bool ssv;			/* ssid is valid */
	uint64_t iova;			/* input address */
	unsigned access;		/* SMMU_CLIENT_ACC_* (0 = read) */
};

/*
 * A successful translation: iova maps to output, and the whole mapping
 * start .. start + 2^size_log2 - 1 translates linearly with the same
 * permissions (the caller may cache it until it invalidates).
 */
struct smmu_client_mapping {
	uint64_t output;		/* output address of iova */
	uint64_t start;			/* first IOVA of the mapping */
	unsigned size_log2;		/* the mapping covers 2^size_log2 B */
	unsigned perm;			/* SMMU_CLIENT_PERM_* at the
					   transaction's privilege */
	bool tlb_hit;			/* answered from smmud's TLB */
	bool bypass;			/* both stages bypassed (identity) */
};

/* A translation fault: the fields of the SMMUv3 event record (7.3). */
struct smmu_client_fault {
	uint32_t type;			/* event type code, e.g. 0x10 */
	char type_name[SMMU_CLIENT_FAULT_NAME_LEN]; /* "F_TRANSLATION" */
	uint32_t sid;
	uint32_t ssid;
	bool ssv;
	uint64_t input_addr;
	uint64_t ipa;			/* stage-2 faults */
	uint64_t fetch_addr;		/* *_FETCH, F_WALK_EABT */
	bool rnw;			/* 1 = read */
	bool ind;			/* 1 = instruction fetch */
	bool pnu;			/* 1 = privileged */
	bool s2;			/* 1 = stage-2 fault */
	uint32_t fault_class;		/* CLASS: 0 CD, 1 TT, 2 IN */
	bool recorded;			/* written to the guest's event queue */
	bool abort;			/* aborted (else completes as RAZ/WI) */
	char detail[SMMU_CLIENT_FAULT_DETAIL_LEN]; /* which rule, for humans */
	uint32_t index;			/* batch: index of the entry */
};

/*
 * Translate one transaction through smmu.  Returns 0 with *ret_map
 * filled, SMMU_CLIENT_FAULT (1) with *ret_fault filled (if not NULL;
 * server strings are truncated to the fixed buffers), or a negative code:
 * E_INVAL (NULL arguments), E_NOT_FOUND (no such SMMU), E_SERVER_INVAL
 * (e.g. unknown access bits), E_DENIED and the connection errors.
 */
SMMU_CLIENT_EXPORT int
smmu_client_translate(smmu_client_t *h, const char *smmu,
    const struct smmu_client_txn *txn, struct smmu_client_mapping *ret_map,
    struct smmu_client_fault *ret_fault);

/* One entry of a batch translation. */
struct smmu_client_batch_entry {
	uint64_t output;		/* 0 when fault */
	unsigned size_log2;		/* 0 when fault */
	unsigned perm;			/* 0 when fault */
	bool fault;			/* see the faults array */
};

/*
 * Translate nr transactions in one round trip.  ret_entries (room for nr)
 * receives one entry per transaction, in order.  ret_faults, if not NULL,
 * must have room for nr and receives the faults in the server's order,
 * each with .index naming its entry.  ret_tlb_hits (may be NULL) receives
 * how many were answered from the TLB.  Returns the number of faulting
 * entries (>= 0) or a negative code: E_INVAL (NULL arguments, or a batch
 * too big for the server's max_frame: split it), E_PROTO (the answer's
 * arrays do not match the request), and those of smmu_client_translate().
 * nr = 0 returns 0 without a round trip.
 */
SMMU_CLIENT_EXPORT int
smmu_client_translate_batch(smmu_client_t *h, const char *smmu,
    const struct smmu_client_txn *txns, size_t nr,
    struct smmu_client_batch_entry *ret_entries,
    struct smmu_client_fault *ret_faults, uint32_t *ret_tlb_hits);

/* ---- invalidation ----------------------------------------------------- */

enum smmu_client_inv_scope {
	SMMU_CLIENT_INV_ALL,		/* every TLB entry and cached config */
	SMMU_CLIENT_INV_SID,		/* config of one stream, its TLB tags */
	SMMU_CLIENT_INV_ASID,		/* TLB entries of asid within vmid */
	SMMU_CLIENT_INV_VMID,		/* TLB entries of vmid */
	SMMU_CLIENT_INV_RANGE,		/* IOVAs iova .. iova + size - 1 */
	SMMU_CLIENT_INV_SCOPE_MAX
};

struct smmu_client_inv {
	enum smmu_client_inv_scope scope;
	uint32_t sid;			/* SID */
	uint32_t asid;			/* ASID; RANGE: only if has_asid */
	bool has_asid;			/* RANGE: limit to asid */
	uint32_t vmid;			/* ASID, VMID, RANGE */
	uint64_t iova;			/* RANGE */
	uint64_t size;			/* RANGE, bytes (> 0) */
	bool leaf;			/* RANGE: only leaf entries changed */
};

/*
 * Invalidate cached translations/configuration of smmu.  On success
 * stores the number of cached entries dropped in *ret_dropped (may be
 * NULL) and returns 0.  Errors: E_INVAL (unknown scope, RANGE with size
 * 0), E_NOT_FOUND, E_SERVER_INVAL (an identifier out of range),
 * E_PRECONDITION (a scope the SMMU's stages do not support), E_DENIED
 * and the connection errors.
 */
SMMU_CLIENT_EXPORT int
smmu_client_invalidate(smmu_client_t *h, const char *smmu,
    const struct smmu_client_inv *inv, uint64_t *ret_dropped);

/* ---- statistics ------------------------------------------------------- */

struct smmu_client_fault_count {
	uint32_t type;			/* event type code */
	char *name;			/* "F_TRANSLATION" */
	uint64_t count;
};

struct smmu_client_counters {
	uint64_t translations;
	uint64_t tlb_hits;
	uint64_t tlb_misses;
	uint64_t walks;
	uint64_t faults;
	uint64_t bypassed;
	size_t nr_faults_by_type;
	struct smmu_client_fault_count *faults_by_type;
};

struct smmu_client_cache_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t insertions;
	uint64_t evictions;
	uint64_t invalidations;
	uint64_t entries;
	uint64_t capacity;
};

struct smmu_client_stream_stats {
	uint32_t sid;
	struct smmu_client_counters counters;
};

struct smmu_client_smmu_stats {
	char *smmu;			/* "VM/NAME" */
	struct smmu_client_counters counters;
	struct smmu_client_cache_stats tlb;
	struct smmu_client_cache_stats cfg;
	size_t nr_streams;
	struct smmu_client_stream_stats *streams;
};

struct smmu_client_daemon_stats {
	uint64_t uptime_ms;
	uint32_t clients;
	uint64_t requests;
	uint64_t errors;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint32_t workers;
	uint64_t rss_bytes;
};

struct smmu_client_stats {
	struct smmu_client_daemon_stats daemon;
	size_t nr_smmus;
	struct smmu_client_smmu_stats *smmus;
};

/*
 * Fetch counters: the daemon's, and those of smmu (NULL or "": every
 * SMMU the client may see), with per-stream counters if streams is true.
 * On success stores a new result in *ret (caller frees it with
 * smmu_client_stats_free()) and returns 0.
 */
SMMU_CLIENT_EXPORT int
smmu_client_stats(smmu_client_t *h, const char *smmu, bool streams,
    struct smmu_client_stats **ret);

/* Free a result of smmu_client_stats().  Accepts NULL. */
SMMU_CLIENT_EXPORT void
smmu_client_stats_free(struct smmu_client_stats *st);

/* ---- guest memory ----------------------------------------------------- */

/*
 * Read len bytes of vm's guest memory at gpa into buf (caller's, room for
 * len).  Large reads are split into several requests that fit the
 * server's max_frame; they are not atomic with respect to other writers.
 * Returns 0, or E_INVAL, E_NOT_FOUND (no such VM), E_BAD_ADDRESS (part of
 * the range is not backed; buf may be partly written), E_DENIED and the
 * connection errors.
 */
SMMU_CLIENT_EXPORT int
smmu_client_mem_read(smmu_client_t *h, const char *vm, uint64_t gpa,
    void *buf, size_t len);

/*
 * Write len bytes from buf (borrowed) into vm's guest memory at gpa,
 * split as smmu_client_mem_read() does (on an error, a prefix may have
 * been written).  Same errors.
 */
SMMU_CLIENT_EXPORT int
smmu_client_mem_write(smmu_client_t *h, const char *vm, uint64_t gpa,
    const void *buf, size_t len);

/* One guest memory region a VMM hands to smmud. */
struct smmu_client_region {
	uint64_t gpa;			/* a `backing: shared` region's GPA */
	uint64_t size;			/* its size */
	uint64_t offset;		/* where it starts in fd */
	int fd;				/* a memfd (or any mmap-able fd) */
};

/*
 * Share the memory behind nr (1 .. SMMU_CLIENT_SHARE_MAX) `backing:
 * shared` regions of vm with smmud: the fds travel as SCM_RIGHTS with the
 * request; smmud maps them MAP_SHARED and from then on reads the guest's
 * tables live from the caller's memory.  The caller keeps its fds (smmud
 * receives duplicates) and may close them afterwards.  Each fd must be
 * sealed against shrinking (memfd_create(..., MFD_ALLOW_SEALING), then
 * fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK); QEMU's memory-backend-memfd
 * does this by default): a file truncated under smmud's mapping would
 * fault the daemon.  On success stores the number of regions now backed
 * in *ret_regions (may be NULL) and returns 0.  Errors: E_INVAL (nr out
 * of range, a negative fd), E_NOT_FOUND (no such VM or no shared region
 * at gpa), E_SERVER_INVAL (size mismatch, fd not sealed or not mappable),
 * E_DENIED and the connection errors.
 */
SMMU_CLIENT_EXPORT int
smmu_client_share_memory(smmu_client_t *h, const char *vm,
    const struct smmu_client_region *regions, size_t nr,
    uint32_t *ret_regions);

/* ---- pushed events ---------------------------------------------------- */

enum smmu_client_event_kind {
	SMMU_CLIENT_EVENT_MSI,		/* an interrupt for the VMM */
	SMMU_CLIENT_EVENT_FAULT,	/* a fault notice */
	SMMU_CLIENT_EVENT_LOST		/* events were dropped */
};

struct smmu_client_msi {
	char smmu[SMMU_CLIENT_NAME_LEN]; /* "VM/NAME" (truncated) */
	uint32_t source;		/* 0 EVTQ, 1 GERROR, 2 CMD_SYNC,
					   3 PRIQ */
	uint64_t address;
	uint32_t data;
};

/* A message the server pushed (the member named by kind is valid). */
struct smmu_client_event {
	uint64_t seq;			/* server's sequence number (0 for a
					   LOST event made by the library) */
	enum smmu_client_event_kind kind;
	struct smmu_client_msi msi;	/* MSI */
	struct smmu_client_fault fault;	/* FAULT */
	uint64_t lost;			/* LOST: events dropped */
};

/*
 * Called by smmu_client_process_events() for each event, on the calling
 * thread, without the handle's lock held (so it may call the library,
 * even on the same handle).  ev is borrowed for the duration of the call.
 */
typedef void smmu_client_event_cb(void *arg,
    const struct smmu_client_event *ev);

/*
 * Set (or with cb = NULL clear) the event callback and its argument.
 * Pushed events can arrive while any call waits for its answer; they are
 * kept in a queue of SMMU_CLIENT_EVENT_QUEUE entries (older than the
 * overflow are kept, newer dropped and reported as one LOST event).
 */
SMMU_CLIENT_EXPORT void
smmu_client_set_event_cb(smmu_client_t *h, smmu_client_event_cb *cb,
    void *arg);

/*
 * Read whatever the server has pushed without blocking, then deliver the
 * queued events to the callback (or drop them when none is set).  Call it
 * when smmu_client_get_fd() polls readable, and after any call when
 * smmu_client_events_pending() is non-zero (events read during a call sit
 * in the queue, where poll cannot see them).  Returns the number of
 * events delivered (>= 0), or E_IO when the server closed the connection,
 * E_PROTO, E_NOMEM.
 */
SMMU_CLIENT_EXPORT int
smmu_client_process_events(smmu_client_t *h);

/* Number of events queued and not yet delivered. */
SMMU_CLIENT_EXPORT size_t
smmu_client_events_pending(smmu_client_t *h);

#ifdef __cplusplus
}
#endif

#endif /* SMMU_CLIENT_H */
