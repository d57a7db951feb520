/*
 * test_ctl.c - smmuctl against a real smmud: every command's human
 * output, its --json output parsed with json-c, and the exit statuses
 * (0 ok, 1 usage, 2 daemon or connection error, 3 translation fault).
 *
 * The page tables are written with `smmuctl mem VM write64`, the way an
 * operator (or `make demo`) would: SMMUV3.md sections 3-5, little-endian.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>

#include "harness.h"
#include "suites.h"

#define RAM 0x40000000ull
#define T_SID 5

/* smmu0: a pre-configured linear stream table; smmu1: disabled. */
static const char topo_ctl[] =
    "version: 1\n"
    "socket: @SOCK@\n"
    "state_dir: @DIR@\n"
    "workers: 2\n"
    "vms:\n"
    "  - name: vm0\n"
    "    memory:\n"
    "      - { name: ram, gpa: 0x40000000, size: 64MiB }\n"
    "    smmus:\n"
    "      - name: smmu0\n"
    "        sid_bits: 16\n"
    "        ssid_bits: 8\n"
    "        strtab: { base: 0x40000000, log2size: 4, fmt: linear, "
    "enabled: true }\n"
    "      - name: smmu1\n"
    "        sid_bits: 16\n"
    "        ssid_bits: 8\n";

static struct harness hs;
static char *out_s, *err_s;	/* the last run's stdout and stderr */
static struct json_object *js;	/* the last parsed --json output */

static void
setup(void)
{
	ck_assert_int_eq(harness_init(&hs, topo_ctl), 0);
	ck_assert_int_eq(harness_start(&hs, NULL, NULL), 0);
}

/* Forget the last run's output. */
static void
run_reset(void)
{
	free(out_s);
	free(err_s);
	out_s = err_s = NULL;
	json_object_put(js);
	js = NULL;
}

static void
teardown(void)
{
	run_reset();
	harness_stop(&hs);
}

/*
 * Run smmuctl with the words after env (NULL-terminated), env being extra
 * "K=V" strings (NULL-terminated, may be NULL).  Returns its exit status;
 * out_s/err_s hold what it printed.
 */
static int
run_env(const char *const *env, const char *first, ...)
{
	const char *argv[64];
	const char *w;
	va_list ap;
	int argc = 0, rc;

	run_reset();
	argv[argc++] = harness_bin("smmuctl");
	va_start(ap, first);
	for (w = first; w != NULL && argc < 63; w = va_arg(ap, const char *))
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	rc = harness_run(argv, env, &out_s, &err_s);
	ck_assert_ptr_nonnull(out_s);
	ck_assert_ptr_nonnull(err_s);
	return rc;
}

/* Run "smmuctl -s SOCK ARGS..." (the socket of this test's smmud). */
#define RUN(...) run_env(NULL, "-s", hs.sock, __VA_ARGS__, (char *)NULL)

/* Assert out contains s. */
#define OUT_HAS(s) ck_assert_msg(strstr(out_s, (s)) != NULL,		\
	"stdout lacks \"%s\":\n%s\nstderr:\n%s", (s), out_s, err_s)
#define ERR_HAS(s) ck_assert_msg(strstr(err_s, (s)) != NULL,		\
	"stderr lacks \"%s\":\n%s", (s), err_s)

/* Parse out_s as JSON into js. */
static void
json_parse(void)
{
	js = json_tokener_parse(out_s);
	ck_assert_msg(js != NULL, "not JSON:\n%s", out_s);
}

/*
 * The member at path ("a.b.0.c": object keys, array indexes) of js, or
 * NULL.
 */
static struct json_object *
jget(const char *path)
{
	struct json_object *o = js, *next;
	char buf[128], *tok, *save = NULL;

	(void)snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && o != NULL;
	    tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array)) {
			o = json_object_array_get_idx(o,
			    (size_t)strtoul(tok, NULL, 10));
			continue;
		}
		if (!json_object_object_get_ex(o, tok, &next))
			return NULL;
		o = next;
	}
	return o;
}

/* A string member; asserts it exists and is a string. */
static const char *
jstr(const char *path)
{
	struct json_object *o = jget(path);

	ck_assert_msg(o != NULL && json_object_is_type(o, json_type_string),
	    "%s is not a string in:\n%s", path, out_s);
	return json_object_get_string(o);
}

/* A number member; asserts it exists and is an integer. */
static uint64_t
jnum(const char *path)
{
	struct json_object *o = jget(path);

	ck_assert_msg(o != NULL && json_object_is_type(o, json_type_int),
	    "%s is not a number in:\n%s", path, out_s);
	return json_object_get_uint64(o);
}

/* A boolean member. */
static bool
jbool(const char *path)
{
	struct json_object *o = jget(path);

	ck_assert_msg(o != NULL && json_object_is_type(o, json_type_boolean),
	    "%s is not a boolean in:\n%s", path, out_s);
	return json_object_get_boolean(o);
}

/* "0x..." of v, in a rotating static buffer (for RUN arguments). */
static const char *
hex(uint64_t v)
{
	static char bufs[8][24];
	static unsigned n;
	char *b = bufs[n++ % 8];

	(void)snprintf(b, sizeof(bufs[0]), "0x%" PRIx64, v);
	return b;
}

/*
 * Program smmu0 for stream T_SID with smmuctl write64: STE (V, Config
 * 0b101 S1 only, S1ContextPtr), CD (T0SZ 16, TG0 4K, EPD1, V, IPS 48-bit,
 * AA64, R, A, ASID 1; TTB0) and a 4-level walk mapping IOVA 0x12345000 to
 * 0x40100000 (AF, AP RW at both levels, nG, PXN, UXN).
 */
static void
tables_write(void)
{
	uint64_t cd0 = 16 | 1ull << 30 | 1ull << 31 | 5ull << 32 |
	    1ull << 41 | 1ull << 45 | 1ull << 46 | 1ull << 48;
	uint64_t leaf = (RAM + 0x100000) | 1ull << 10 | 1ull << 6 |
	    1ull << 11 | 1ull << 53 | 1ull << 54 | 3;

	ck_assert_int_eq(RUN("mem", "vm0", "write64", hex(RAM + 64 * T_SID),
	    hex(RAM + 0x1000 + 0xb), "0", "0", "0", "0", "0", "0", "0"), 0);
	OUT_HAS("wrote 64 bytes to vm0 at 0x40000140");
	ck_assert_int_eq(RUN("mem", "vm0", "write64", hex(RAM + 0x1000),
	    hex(cd0), hex(RAM + 0x2000)), 0);
	ck_assert_int_eq(RUN("mem", "vm0", "write64", hex(RAM + 0x2000),
	    hex(RAM + 0x3003)), 0);
	ck_assert_int_eq(RUN("mem", "vm0", "write64", hex(RAM + 0x3000),
	    hex(RAM + 0x4003)), 0);
	ck_assert_int_eq(RUN("mem", "vm0", "write64",
	    hex(RAM + 0x4000 + 8 * 0x91), hex(RAM + 0x5003)), 0);
	ck_assert_int_eq(RUN("mem", "vm0", "write64",
	    hex(RAM + 0x5000 + 8 * 0x145), hex(leaf)), 0);
}

START_TEST(test_usage)
{
	ck_assert_int_eq(run_env(NULL, NULL), 1);
	ERR_HAS("usage: smmuctl");
	ERR_HAS("translate  SMMU SID IOVA");
	ck_assert_int_eq(RUN("bogus"), 1);
	ERR_HAS("smmuctl: unknown command 'bogus'");
	ck_assert_int_eq(RUN("de"), 1);
	ERR_HAS("ambiguous command 'de' (detach, devices)");
	ck_assert_int_eq(RUN("help"), 0);
	OUT_HAS("mem VM read GPA LEN");
	OUT_HAS("invalidate SMMU [--all");
	ck_assert_int_eq(run_env(NULL, "-h", (char *)NULL), 0);
	OUT_HAS("usage: smmuctl");
	ck_assert_int_eq(RUN("translate", "smmu0", "5"), 1);
	ERR_HAS("usage: smmuctl translate SMMU SID IOVA");
	ck_assert_int_eq(RUN("translate", "smmu0", "5", "0xzz"), 1);
	ERR_HAS("bad IOVA '0xzz'");
	ck_assert_int_eq(RUN("translate", "smmu0", "5", "1", "--access",
	    "q"), 1);
	ck_assert_int_eq(RUN("translate", "smmu0", "5", "1", "--bogus"), 1);
	ERR_HAS("unknown option '--bogus'");
	ck_assert_int_eq(RUN("invalidate", "smmu0", "--all", "--sid", "3"),
	    1);
	ERR_HAS("conflicting options");
	ck_assert_int_eq(RUN("invalidate", "smmu0", "--iova", "0x1000"), 1);
	ck_assert_int_eq(RUN("mem", "vm0", "frob", "0", "1"), 1);
	ERR_HAS("unknown subcommand 'frob'");
	ck_assert_int_eq(RUN("mem", "vm0", "read", "0"), 1);
	ERR_HAS("usage: smmuctl mem VM read GPA LEN");
	ck_assert_int_eq(RUN("mem", "vm0", "write", "0", "0x12"), 1);
	ck_assert_int_eq(RUN("mem", "vm0", "write", "0", "abc"), 1);
	ck_assert_int_eq(RUN("attach", "smmu0", "d", "--dma-window", "5"), 1);
	ck_assert_int_eq(run_env(NULL, "-t", "x", "version", (char *)NULL),
	    1);
	/* A usage error never reaches the daemon. */
	ck_assert_int_eq(run_env(NULL, "-s", "/nonexistent/s.sock",
	    "translate", "smmu0", "x", "1", (char *)NULL), 1);
}
END_TEST

START_TEST(test_connect_fail)
{
	struct sockaddr_un sun;
	char path[400], want[512];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/none.sock", hs.dir);
	ck_assert_int_eq(run_env(NULL, "-s", path, "version", (char *)NULL),
	    2);
	(void)snprintf(want, sizeof(want), "smmuctl: cannot connect to %s: "
	    "No such file or directory\n", path);
	ck_assert_str_eq(err_s, want);
	ck_assert_str_eq(out_s, "");

	/* A socket nobody listens on. */
	(void)snprintf(path, sizeof(path), "%s/dead.sock", hs.dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(run_env(NULL, "-s", path, "stats", (char *)NULL), 2);
	(void)snprintf(want, sizeof(want), "smmuctl: cannot connect to %s: "
	    "Connection refused\n", path);
	ck_assert_str_eq(err_s, want);
	(void)close(fd);
}
END_TEST

START_TEST(test_version)
{
	char env[400];
	const char *envp[2] = { env, NULL };

	ck_assert_int_eq(RUN("version"), 0);
	OUT_HAS("smmuctl ");
	OUT_HAS("(libsmmuclient ");
	OUT_HAS("protocol 1, max frame 1048576");
	OUT_HAS("vm vm0: smmu0 smmu1\n");

	/* The socket from the environment, and --json after the command. */
	(void)snprintf(env, sizeof(env), "SMMUD_SOCKET=%s", hs.sock);
	ck_assert_int_eq(run_env(envp, "version", "--json", (char *)NULL), 0);
	json_parse();
	ck_assert_uint_eq(jnum("server.protocol_version"), 1);
	ck_assert_uint_eq(jnum("server.max_frame"), 1048576);
	ck_assert_str_eq(jstr("server.vms.0.name"), "vm0");
	ck_assert_str_eq(jstr("server.vms.0.smmus.1"), "smmu1");
	ck_assert_str_eq(jstr("server.server_version"),
	    jstr("client.libsmmuclient"));
	ck_assert_str_eq(jstr("client.smmuctl"), jstr("client.libsmmuclient"));
}
END_TEST

START_TEST(test_devices)
{
	ck_assert_int_eq(RUN("devices"), 0);
	OUT_HAS("no devices attached");
	ck_assert_int_eq(RUN("attach", "smmu1", "pci-0000:01:00.0"), 0);
	ck_assert_str_eq(out_s, "attached pci-0000:01:00.0 to smmu1: sid 0\n");
	ck_assert_int_eq(RUN("--json", "attach", "vm0/smmu1", "dev-b",
	    "--sid", "0x7", "--dma-window", "0x1000:0x1fff"), 0);
	json_parse();
	ck_assert_uint_eq(jnum("sid"), 7);
	ck_assert_str_eq(jstr("device"), "dev-b");
	ck_assert_int_eq(RUN("attach", "smmu1", "dev-b"), 2);
	ERR_HAS("smmuctl: attach: already exists: ");

	ck_assert_int_eq(RUN("devices"), 0);
	OUT_HAS("SMMU");
	OUT_HAS("pci-0000:01:00.0");
	OUT_HAS("0x1000-0x1fff");
	ck_assert_int_eq(RUN("devices", "smmu1", "--json"), 0);
	json_parse();
	ck_assert_uint_eq(json_object_array_length(jget("devices")), 2);
	ck_assert_str_eq(jstr("devices.0.smmu"), "vm0/smmu1");
	ck_assert_str_eq(jstr("devices.1.name"), "dev-b");
	ck_assert_uint_eq(jnum("devices.1.sid"), 7);
	ck_assert_str_eq(jstr("devices.1.window.start"), "0x1000");
	ck_assert_str_eq(jstr("devices.1.window.end"), "0x1fff");
	ck_assert_ptr_null(jget("devices.0.window"));

	/* Outside its DMA window the device faults: exit 3. */
	ck_assert_int_eq(RUN("translate", "smmu1", "7", "0x2000"), 3);
	OUT_HAS("fault: F_TRANSLATION (0x10) sid 7 iova 0x2000");
	OUT_HAS("detail: outside");

	ck_assert_int_eq(RUN("detach", "smmu1", "dev-b"), 0);
	ck_assert_str_eq(out_s, "detached dev-b from smmu1\n");
	ck_assert_int_eq(RUN("--json", "detach", "smmu1", "dev-b"), 2);
	ERR_HAS("smmuctl: detach: not found");
	ck_assert_str_eq(out_s, "");
}
END_TEST

START_TEST(test_translate)
{
	/* smmu1 is disabled: GBPA bypass, an identity mapping. */
	ck_assert_int_eq(RUN("translate", "smmu1", "3", "0x1000"), 0);
	OUT_HAS("iova 0x1000 -> 0x1000\n");
	OUT_HAS("bypass");
	ck_assert_int_eq(RUN("--json", "translate", "smmu1", "3", "4096",
	    "--access", "rw", "--priv", "--ssid", "2"), 0);
	json_parse();
	ck_assert_str_eq(jstr("iova"), "0x1000");
	ck_assert_str_eq(jstr("output"), "0x1000");
	ck_assert(jbool("bypass"));
	ck_assert_uint_eq(jnum("sid"), 3);
	ck_assert_uint_eq(jnum("access"), 1 | 2 | 8);

	tables_write();
	ck_assert_int_eq(RUN("translate", "smmu0", "5", "0x12345678"), 0);
	ck_assert_str_eq(out_s, "iova 0x12345678 -> 0x40100678\n"
	    "mapping 0x12345000 size 4K (2^12) perm rw- tlb miss\n");
	ck_assert_int_eq(RUN("--json", "translate", "vm0/smmu0", "5",
	    "0x12345ffc", "--access", "w"), 0);
	json_parse();
	ck_assert_str_eq(jstr("output"), "0x40100ffc");
	ck_assert_str_eq(jstr("start"), "0x12345000");
	ck_assert_str_eq(jstr("size"), "0x1000");
	ck_assert_uint_eq(jnum("size_log2"), 12);
	ck_assert_str_eq(jstr("perm"), "rw-");
	ck_assert(jbool("tlb_hit"));
	ck_assert(!jbool("bypass"));

	/* Faults: exit 3, the type name and code. */
	ck_assert_int_eq(RUN("translate", "smmu0", "5", "0x12347000"), 3);
	OUT_HAS("fault: F_TRANSLATION (0x10) sid 5 iova 0x12347000 read "
	    "unpriv");
	ck_assert_str_eq(err_s, "");
	ck_assert_int_eq(RUN("translate", "smmu0", "5", "0x12345000",
	    "--access", "x", "--json"), 3);
	json_parse();
	ck_assert_uint_eq(jnum("fault.type"), 0x13);
	ck_assert_str_eq(jstr("fault.type_name"), "F_PERMISSION");
	ck_assert_str_eq(jstr("fault.input_addr"), "0x12345000");
	ck_assert_uint_eq(jnum("fault.sid"), 5);
	ck_assert(jbool("fault.ind"));
	ck_assert(jbool("fault.rnw"));
	ck_assert_str_eq(jstr("fault.ipa"), "0x0");
	(void)jstr("fault.detail");
	ck_assert_int_eq(RUN("translate", "smmu0", "6", "0x12345000"), 3);
	OUT_HAS("fault: C_BAD_STE (0x04) sid 6");

	ck_assert_int_eq(RUN("translate", "nosuch", "5", "0"), 2);
	ERR_HAS("smmuctl: translate: not found: ");
}
END_TEST

START_TEST(test_invalidate)
{
	static const char *const forms[][10] = {
		{ "invalidate", "smmu0", NULL },
		{ "invalidate", "smmu0", "--all", NULL },
		{ "invalidate", "smmu0", "--sid", "5", NULL },
		{ "invalidate", "smmu0", "--asid", "1", "--vmid", "0", NULL },
		{ "invalidate", "smmu0", "--vmid", "0", NULL },
		{ "invalidate", "smmu0", "--iova", "0x12345000", "--size",
		    "4K", "--asid", "1", NULL },
		{ "invalidate", "smmu0", "--iova=0x12345000", "--size=0x1000",
		    "--leaf", NULL },
	};
	static const char *const scope[] = { "all", "all", "sid", "asid",
	    "vmid", "range", "range" };
	unsigned i;

	tables_write();
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		/* Fill the TLB, drop the entry, and count it. */
		ck_assert_int_eq(RUN("translate", "smmu0", "5",
		    "0x12345000"), 0);
		ck_assert_int_eq(RUN("--json", forms[i][0], forms[i][1],
		    forms[i][2], forms[i][3], forms[i][4], forms[i][5],
		    forms[i][6], forms[i][7], forms[i][8]), 0);
		json_parse();
		ck_assert_str_eq(jstr("scope"), scope[i]);
		ck_assert_str_eq(jstr("smmu"), "smmu0");
		ck_assert_uint_ge(jnum("dropped"), 1);
		if (i == 6) {
			ck_assert_str_eq(jstr("iova"), "0x12345000");
			ck_assert_str_eq(jstr("size"), "0x1000");
			ck_assert(jbool("leaf"));
			ck_assert_ptr_null(jget("asid"));
		}
		if (i == 3)
			ck_assert_uint_eq(jnum("asid"), 1);
		ck_assert_int_eq(RUN("translate", "smmu0", "5",
		    "0x12345000"), 0);
		OUT_HAS("tlb miss");
	}
	ck_assert_int_eq(RUN("invalidate", "smmu0", "--sid", "5"), 0);
	OUT_HAS("invalidated smmu0 (sid 5): ");
	OUT_HAS(" entries dropped\n");
	ck_assert_int_eq(RUN("invalidate", "smmu0", "--iova", "0x1000",
	    "--size", "1M", "--asid", "3"), 0);
	OUT_HAS("(range 0x1000 size 0x100000 asid 3 vmid 0): 0 entries "
	    "dropped");
	ck_assert_int_eq(RUN("invalidate", "smmu0", "--vmid", "70000"), 2);
	ERR_HAS("smmuctl: invalidate: invalid argument");
}
END_TEST

START_TEST(test_stats)
{
	tables_write();
	ck_assert_int_eq(RUN("translate", "smmu0", "5", "0x12345000"), 0);
	ck_assert_int_eq(RUN("translate", "smmu0", "5", "0x12345008"), 0);
	ck_assert_int_eq(RUN("translate", "smmu0", "5", "0x12347000"), 3);

	ck_assert_int_eq(RUN("stats"), 0);
	OUT_HAS("daemon: uptime ");
	OUT_HAS("workers 2");
	OUT_HAS("smmu vm0/smmu0:\n  translations 3, tlb hits 1, "
	    "tlb misses 2, walks 2, faults 1, bypassed 0\n");
	OUT_HAS("faults by type: F_TRANSLATION (0x10) 1\n");
	OUT_HAS("smmu vm0/smmu1:\n  translations 0,");
	OUT_HAS("  tlb: entries 1/4096, hits 1, misses 2");

	ck_assert_int_eq(RUN("stats", "smmu0", "--streams", "--json"), 0);
	json_parse();
	ck_assert_uint_eq(jnum("daemon.workers"), 2);
	ck_assert_uint_ge(jnum("daemon.requests"), 1);
	ck_assert_uint_ge(jnum("daemon.clients"), 1);
	(void)jnum("daemon.rss_bytes");
	ck_assert_uint_eq(json_object_array_length(jget("smmus")), 1);
	ck_assert_str_eq(jstr("smmus.0.smmu"), "vm0/smmu0");
	ck_assert_uint_eq(jnum("smmus.0.counters.translations"), 3);
	ck_assert_uint_eq(jnum("smmus.0.counters.faults"), 1);
	ck_assert_uint_eq(jnum("smmus.0.counters.faults_by_type.0.type"),
	    0x10);
	ck_assert_str_eq(jstr("smmus.0.counters.faults_by_type.0.name"),
	    "F_TRANSLATION");
	ck_assert_uint_eq(jnum("smmus.0.tlb.capacity"), 4096);
	ck_assert_uint_eq(jnum("smmus.0.streams.0.sid"), 5);
	ck_assert_uint_eq(jnum("smmus.0.streams.0.counters.translations"), 3);

	ck_assert_int_eq(RUN("stats", "smmu0"), 0);
	OUT_HAS("smmu vm0/smmu0:");
	ck_assert_ptr_null(strstr(out_s, "stream 5"));
	ck_assert_int_eq(RUN("stats", "smmu0", "--streams"), 0);
	OUT_HAS("  stream 5:\n    translations 3,");
}
END_TEST

START_TEST(test_mem)
{
	char path[400], want[64];
	uint8_t buf[5000];
	char *hexs;
	size_t i;
	int fd;

	ck_assert_int_eq(RUN("mem", "vm0", "write", "0x40000000",
	    "de:ad:be:ef"), 0);
	ck_assert_str_eq(out_s, "wrote 4 bytes to vm0 at 0x40000000\n");
	ck_assert_int_eq(RUN("mem", "vm0", "write", "0x40000004",
	    "41424344"), 0);
	ck_assert_int_eq(RUN("mem", "vm0", "read", "0x40000000", "8"), 0);
	ck_assert_str_eq(out_s, "0000000040000000  de ad be ef 41 42 43 44"
	    "                           |....ABCD|\n");
	ck_assert_int_eq(RUN("--json", "mem", "vm0", "read", "0x40000000",
	    "0x8"), 0);
	json_parse();
	ck_assert_str_eq(jstr("data"), "deadbeef41424344");
	ck_assert_str_eq(jstr("gpa"), "0x40000000");
	ck_assert_uint_eq(jnum("len"), 8);
	ck_assert_str_eq(jstr("vm"), "vm0");

	/* write64 stores little-endian words. */
	ck_assert_int_eq(RUN("mem", "vm0", "write64", "0x40000100",
	    "0x0102030405060708", "9"), 0);
	ck_assert_int_eq(RUN("--json", "mem", "vm0", "read", "0x40000100",
	    "16"), 0);
	json_parse();
	ck_assert_str_eq(jstr("data"), "08070605040302010900000000000000");

	/* load: a file, through the library's chunking. */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 5);
	(void)snprintf(path, sizeof(path), "%s/image.bin", hs.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(RUN("mem", "vm0", "load", "0x40010000", path), 0);
	OUT_HAS("wrote 5000 bytes to vm0 at 0x40010000 from ");
	ck_assert_int_eq(RUN("--json", "mem", "vm0", "read", "0x40010000",
	    "5000"), 0);
	json_parse();
	hexs = malloc(2 * sizeof(buf) + 1);
	ck_assert_ptr_nonnull(hexs);
	for (i = 0; i < sizeof(buf); i++)
		(void)snprintf(hexs + 2 * i, 3, "%02x", buf[i]);
	ck_assert_str_eq(jstr("data"), hexs);
	free(hexs);

	/* Errors: unbacked memory, a missing file, an unknown VM. */
	ck_assert_int_eq(RUN("mem", "vm0", "read", "0x1000", "16"), 2);
	ERR_HAS("smmuctl: mem read: guest memory not backed: ");
	ck_assert_int_eq(RUN("mem", "vm0", "load", "0x40000000",
	    "/nonexistent/file"), 2);
	ERR_HAS("/nonexistent/file: No such file or directory");
	ck_assert_int_eq(RUN("mem", "vm9", "write", "0x40000000", "00"), 2);
	ERR_HAS("not found");
	(void)snprintf(want, sizeof(want), "%s", "");
	ck_assert_str_eq(out_s, want);
}
END_TEST

Suite *
ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("smmuctl");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* Dozens of smmuctl runs per test (slower under sanitizers). */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_connect_fail);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_devices);
	tcase_add_test(tc, test_translate);
	tcase_add_test(tc, test_invalidate);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_mem);
	suite_add_tcase(s, tc);
	return s;
}
