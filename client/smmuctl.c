/*
 * smmuctl.c - the smmud command-line tool: grammar and commands.
 *
 * The grammar lives in const tables, as in bgpctl's parser.c: a command
 * table (name, argument usage, positional counts, allowed options, the
 * handler, and an optional subcommand table for "mem VM read ..."), and
 * an option table.  Command words match by unambiguous prefix.  Results
 * are rendered through a struct ctl_output (human or --json), so the
 * handlers never print results themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smmu_client.h"
#include "smmuctl.h"

#ifndef SMMUD_VERSION
#define SMMUD_VERSION "unknown"
#endif

#define CTL_DEFAULT_TIMEOUT_MS 5000
#define CTL_MAX_POS 72		/* positional arguments (write64 values) */
#define CTL_MEM_READ_MAX (16u << 20)	/* mem read LEN */
#define CTL_LOAD_CHUNK (1u << 20)	/* mem load reads the file this way */

/* Options a command may take (bit numbers of ctl_cmd.opts). */
enum ctl_opt_id {
	CTL_O_SID,
	CTL_O_WINDOW,
	CTL_O_SSID,
	CTL_O_ACCESS,
	CTL_O_PRIV,
	CTL_O_ALL,
	CTL_O_ASID,
	CTL_O_VMID,
	CTL_O_IOVA,
	CTL_O_SIZE,
	CTL_O_LEAF,
	CTL_O_STREAMS,
	CTL_O_MAX
};

enum ctl_arg {
	CTL_ARG_NONE,		/* a flag */
	CTL_ARG_NUM,		/* decimal or 0x hex */
	CTL_ARG_SIZE,		/* a number with an optional K/M/G/T suffix */
	CTL_ARG_STR
};

struct ctl_opt {
	const char *name;	/* without the leading "--" */
	enum ctl_arg arg;
};

static const struct ctl_opt ctl_opts[CTL_O_MAX] = {
	[CTL_O_SID] = { "sid", CTL_ARG_NUM },
	[CTL_O_WINDOW] = { "dma-window", CTL_ARG_STR },
	[CTL_O_SSID] = { "ssid", CTL_ARG_NUM },
	[CTL_O_ACCESS] = { "access", CTL_ARG_STR },
	[CTL_O_PRIV] = { "priv", CTL_ARG_NONE },
	[CTL_O_ALL] = { "all", CTL_ARG_NONE },
	[CTL_O_ASID] = { "asid", CTL_ARG_NUM },
	[CTL_O_VMID] = { "vmid", CTL_ARG_NUM },
	[CTL_O_IOVA] = { "iova", CTL_ARG_NUM },
	[CTL_O_SIZE] = { "size", CTL_ARG_SIZE },
	[CTL_O_LEAF] = { "leaf", CTL_ARG_NONE },
	[CTL_O_STREAMS] = { "streams", CTL_ARG_NONE },
};

#define O(x) (1u << CTL_O_##x)

/* Continuation lines line up under the arguments of "  %-10s %s". */
#define CTL_INV_USAGE "SMMU [--all | --sid N | --asid N [--vmid N] | " \
	"--vmid N |\n             --iova A --size S [--asid N] [--vmid N] " \
	"[--leaf]]"

/* A parsed command line (after the command word). */
struct ctl_args {
	const char *pos[CTL_MAX_POS];
	unsigned nr_pos;
	bool has[CTL_O_MAX];
	uint64_t num[CTL_O_MAX];
	const char *str[CTL_O_MAX];
};

/* Program state handed to every command. */
struct ctl {
	const char *socket;
	int timeout_ms;
	const struct ctl_output *out;
	smmu_client_t *h;
	const char *cmd;	/* command name, for messages */
};

struct ctl_cmd {
	const char *name;
	const char *usage;	/* arguments after the name */
	const char *help;	/* one line for "smmuctl help" */
	unsigned min_args;	/* positional arguments */
	unsigned max_args;
	uint32_t opts;		/* O(x) mask of allowed options */
	int (*run)(struct ctl *, const struct ctl_args *);
	const struct ctl_cmd *subs; /* subcommands, {NULL} terminated */
	unsigned sub_at;	/* positional index of the subcommand word */
};

static int ctl_attach(struct ctl *, const struct ctl_args *);
static int ctl_detach(struct ctl *, const struct ctl_args *);
static int ctl_devices(struct ctl *, const struct ctl_args *);
static int ctl_translate(struct ctl *, const struct ctl_args *);
static int ctl_invalidate(struct ctl *, const struct ctl_args *);
static int ctl_stats(struct ctl *, const struct ctl_args *);
static int ctl_mem_read(struct ctl *, const struct ctl_args *);
static int ctl_mem_write(struct ctl *, const struct ctl_args *);
static int ctl_mem_write64(struct ctl *, const struct ctl_args *);
static int ctl_mem_load(struct ctl *, const struct ctl_args *);
static int ctl_version(struct ctl *, const struct ctl_args *);
static int ctl_help(struct ctl *, const struct ctl_args *);

/* "mem VM SUB ...": positional counts include VM, not the SUB word. */
static const struct ctl_cmd ctl_mem_cmds[] = {
	{ "read", "VM read GPA LEN", "read guest memory (hex dump)",
	    3, 3, 0, ctl_mem_read, NULL, 0 },
	{ "write", "VM write GPA HEXBYTES",
	    "write bytes (memory order, e.g. deadbeef)",
	    3, 3, 0, ctl_mem_write, NULL, 0 },
	{ "write64", "VM write64 GPA VALUE...",
	    "write 64-bit little-endian words",
	    3, CTL_MAX_POS, 0, ctl_mem_write64, NULL, 0 },
	{ "load", "VM load GPA FILE", "copy a file (- for stdin) into memory",
	    3, 3, 0, ctl_mem_load, NULL, 0 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, 0 }
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "attach", "SMMU DEVICE [--sid N] [--dma-window START:END]",
	    "attach a device, print its stream ID",
	    2, 2, O(SID) | O(WINDOW), ctl_attach, NULL, 0 },
	{ "detach", "SMMU DEVICE", "detach a device",
	    2, 2, 0, ctl_detach, NULL, 0 },
	{ "devices", "[SMMU]", "list attached devices",
	    0, 1, 0, ctl_devices, NULL, 0 },
	{ "translate", "SMMU SID IOVA [--ssid N] [--access r|w|x|rw] [--priv]",
	    "translate one DMA access",
	    3, 3, O(SSID) | O(ACCESS) | O(PRIV), ctl_translate, NULL, 0 },
	{ "invalidate", CTL_INV_USAGE,
	    "drop cached translations and configuration",
	    1, 1, O(ALL) | O(SID) | O(ASID) | O(VMID) | O(IOVA) | O(SIZE) |
	    O(LEAF), ctl_invalidate, NULL, 0 },
	{ "stats", "[SMMU] [--streams]", "show counters",
	    0, 1, O(STREAMS), ctl_stats, NULL, 0 },
	{ "mem", "VM read|write|write64|load ...", "guest memory access",
	    1, CTL_MAX_POS, 0, NULL, ctl_mem_cmds, 1 },
	{ "version", "", "show client and server versions",
	    0, 0, 0, ctl_version, NULL, 0 },
	{ "help", "", "show this help",
	    0, 0, 0, ctl_help, NULL, 0 },
	{ NULL, NULL, NULL, 0, 0, 0, NULL, NULL, 0 }
};

/* Print one usage line per command (and subcommand). */
static void
ctl_usage_cmds(FILE *f)
{
	const struct ctl_cmd *c, *s;

	for (c = ctl_cmds; c->name != NULL; c++) {
		if (c->subs == NULL) {
			if (*c->usage != '\0')
				fprintf(f, "  %-10s %s\n", c->name, c->usage);
			else
				fprintf(f, "  %s\n", c->name);
			continue;
		}
		for (s = c->subs; s->name != NULL; s++)
			fprintf(f, "  %-10s %s\n", c->name, s->usage);
	}
}

/* The whole usage text. */
static void
ctl_usage(FILE *f)
{
	fprintf(f, "usage: smmuctl [-s SOCKET] [-t TIMEOUT_MS] [--json] "
	    "COMMAND [ARG...]\n"
	    "commands:\n");
	ctl_usage_cmds(f);
	fprintf(f, "SMMU is VM/NAME, or NAME when unique; numbers are "
	    "decimal or 0x hex;\nsizes may end in K, M, G or T.\n");
}

static int ctl_usage_cmd(const struct ctl_cmd *, const char *, const char *,
    ...) __attribute__((format(printf, 3, 4)));

/* A usage error for one command: the message and that command's forms. */
static int
ctl_usage_cmd(const struct ctl_cmd *cmd, const char *parent,
    const char *fmt, ...)
{
	const struct ctl_cmd *s;
	va_list ap;

	fprintf(stderr, "smmuctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (cmd == NULL) {
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (cmd->subs != NULL) {
		for (s = cmd->subs; s->name != NULL; s++)
			fprintf(stderr, "usage: smmuctl %s %s\n", cmd->name,
			    s->usage);
	} else if (parent != NULL)
		fprintf(stderr, "usage: smmuctl %s %s\n", parent, cmd->usage);
	else
		fprintf(stderr, "usage: smmuctl %s%s%s\n", cmd->name,
		    *cmd->usage != '\0' ? " " : "", cmd->usage);
	return CTL_EXIT_USAGE;
}

/*
 * Find word in tab: an exact name, or a prefix of exactly one name.
 * Returns NULL (with *ambiguous set when several names match).
 */
static const struct ctl_cmd *
ctl_cmd_match(const struct ctl_cmd *tab, const char *word, bool *ambiguous)
{
	const struct ctl_cmd *c, *found = NULL;
	size_t len = strlen(word);
	unsigned n = 0;

	*ambiguous = false;
	if (len == 0)
		return NULL;
	for (c = tab; c->name != NULL; c++) {
		if (strcmp(c->name, word) == 0)
			return c;
		if (strncmp(c->name, word, len) == 0) {
			found = c;
			n++;
		}
	}
	if (n > 1) {
		*ambiguous = true;
		return NULL;
	}
	return found;
}

/* The names in tab starting with word, for an "ambiguous" message. */
static void
ctl_cmd_candidates(const struct ctl_cmd *tab, const char *word, char *buf,
    size_t len)
{
	const struct ctl_cmd *c;
	size_t off = 0;
	int n;

	buf[0] = '\0';
	for (c = tab; c->name != NULL; c++) {
		if (strncmp(c->name, word, strlen(word)) != 0)
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
		    c->name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

/* Parse an unsigned decimal or 0x-hex number (no sign, no suffix). */
static int
ctl_parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0' || (base == 10 && (*s < '0' || *s > '9')) ||
	    (base == 16 && strchr("0123456789abcdefABCDEF", *s) == NULL))
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0')
		return -1;
	*ret = v;
	return 0;
}

/* Parse a size: a number with an optional K, M, G or T (binary) suffix. */
static int
ctl_parse_size(const char *s, uint64_t *ret)
{
	char buf[64];
	size_t len = strlen(s);
	unsigned shift = 0;
	uint64_t v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	/* A hex number may end in a digit that looks like a suffix. */
	if (!(buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))) {
		switch (buf[len - 1]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: break;
		}
		if (shift != 0)
			buf[len - 1] = '\0';
	}
	if (ctl_parse_u64(buf, &v) < 0 || (shift != 0 && v >> (64 - shift)))
		return -1;
	*ret = v << shift;
	return 0;
}

/* Parse a 32-bit number. */
static int
ctl_parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v;

	if (ctl_parse_u64(s, &v) < 0 || v > UINT32_MAX)
		return -1;
	*ret = (uint32_t)v;
	return 0;
}

/*
 * Split argv into options and positional words for cmd ("--opt VALUE",
 * "--opt=VALUE", "--" ends options; --json is accepted anywhere).
 * Returns 0 or a usage exit status.
 */
static int
ctl_args_parse(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_args *a, bool *json)
{
	const char *arg, *val, *eq;
	bool opts_done = false;
	size_t nlen;
	unsigned id;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (opts_done || strncmp(arg, "--", 2) != 0) {
			if (a->nr_pos == CTL_MAX_POS)
				return ctl_usage_cmd(cmd, NULL,
				    "%s: too many arguments", cmd->name);
			a->pos[a->nr_pos++] = arg;
			continue;
		}
		if (arg[2] == '\0') {
			opts_done = true;
			continue;
		}
		if (strcmp(arg, "--json") == 0) {
			*json = true;
			continue;
		}
		eq = strchr(arg + 2, '=');
		nlen = eq != NULL ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
		for (id = 0; id < CTL_O_MAX; id++)
			if ((cmd->opts & (1u << id)) != 0 &&
			    strlen(ctl_opts[id].name) == nlen &&
			    strncmp(ctl_opts[id].name, arg + 2, nlen) == 0)
				break;
		if (id == CTL_O_MAX)
			return ctl_usage_cmd(cmd, NULL, "%s: unknown option "
			    "'%s'", cmd->name, arg);
		if (a->has[id])
			return ctl_usage_cmd(cmd, NULL, "%s: option '--%s' "
			    "given twice", cmd->name, ctl_opts[id].name);
		a->has[id] = true;
		if (ctl_opts[id].arg == CTL_ARG_NONE) {
			if (eq != NULL)
				return ctl_usage_cmd(cmd, NULL, "%s: option "
				    "'--%s' takes no value", cmd->name,
				    ctl_opts[id].name);
			continue;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return ctl_usage_cmd(cmd, NULL, "%s: option '--%s' "
			    "needs a value", cmd->name, ctl_opts[id].name);
		a->str[id] = val;
		if ((ctl_opts[id].arg == CTL_ARG_NUM &&
		    ctl_parse_u64(val, &a->num[id]) < 0) ||
		    (ctl_opts[id].arg == CTL_ARG_SIZE &&
		    ctl_parse_size(val, &a->num[id]) < 0))
			return ctl_usage_cmd(cmd, NULL, "%s: bad number '%s' "
			    "for '--%s'", cmd->name, val, ctl_opts[id].name);
	}
	return 0;
}

/* Report a failed library call; exit status 2. */
static int
ctl_fail(const struct ctl *ctl, int rc)
{
	const char *msg = smmu_client_last_error(ctl->h);

	if (*msg == '\0')
		msg = smmu_client_strerror(rc);
	fprintf(stderr, "smmuctl: %s: %s\n", ctl->cmd, msg);
	return CTL_EXIT_ERROR;
}

/* Finish a command whose result rendered with status rc_out. */
static int
ctl_done(const struct ctl *ctl, int rc_out, int status)
{
	if (rc_out < 0) {
		fprintf(stderr, "smmuctl: %s: cannot write the output\n",
		    ctl->cmd);
		return CTL_EXIT_ERROR;
	}
	return status;
}

/* A usage error inside a handler (bad value): exit status 1. */
static int
ctl_bad(const struct ctl *ctl, const char *what, const char *val)
{
	fprintf(stderr, "smmuctl: %s: bad %s '%s'\n", ctl->cmd, what, val);
	return CTL_EXIT_USAGE;
}

/*
 * Connect to the daemon once the command's arguments are known to be
 * good (a usage error must not depend on the daemon).  Returns 0 or the
 * exit status.
 */
static int
ctl_connect(struct ctl *ctl)
{
	char errbuf[256];
	int rc;

	rc = smmu_client_connect(ctl->socket, "smmuctl", ctl->timeout_ms,
	    &ctl->h, errbuf, sizeof(errbuf));
	if (rc < 0) {
		fprintf(stderr, "smmuctl: cannot connect to %s: %s\n",
		    ctl->socket, errbuf[0] != '\0' ? errbuf :
		    smmu_client_strerror(rc));
		return CTL_EXIT_ERROR;
	}
	return 0;
}

/* attach SMMU DEVICE [--sid N] [--dma-window START:END] */
static int
ctl_attach(struct ctl *ctl, const struct ctl_args *a)
{
	struct smmu_client_window win = { 0, 0 };
	const char *colon;
	uint32_t sid, req_sid = 0;
	char start[64];
	size_t len;
	int rc;

	if (a->has[CTL_O_SID]) {
		if (a->num[CTL_O_SID] > UINT32_MAX)
			return ctl_bad(ctl, "stream ID", a->str[CTL_O_SID]);
		req_sid = (uint32_t)a->num[CTL_O_SID];
	}
	if (a->has[CTL_O_WINDOW]) {
		colon = strchr(a->str[CTL_O_WINDOW], ':');
		len = colon != NULL ?
		    (size_t)(colon - a->str[CTL_O_WINDOW]) : 0;
		if (colon == NULL || len >= sizeof(start))
			return ctl_bad(ctl, "DMA window",
			    a->str[CTL_O_WINDOW]);
		memcpy(start, a->str[CTL_O_WINDOW], len);
		start[len] = '\0';
		if (ctl_parse_u64(start, &win.start) < 0 ||
		    ctl_parse_u64(colon + 1, &win.end) < 0 ||
		    win.end < win.start)
			return ctl_bad(ctl, "DMA window (START:END, "
			    "inclusive)", a->str[CTL_O_WINDOW]);
	}
	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	rc = smmu_client_attach(ctl->h, a->pos[0], a->pos[1],
	    a->has[CTL_O_SID] ? &req_sid : NULL,
	    a->has[CTL_O_WINDOW] ? &win : NULL, &sid);
	if (rc < 0)
		return ctl_fail(ctl, rc);
	return ctl_done(ctl, ctl->out->attach(a->pos[0], a->pos[1], sid),
	    CTL_EXIT_OK);
}

/* detach SMMU DEVICE */
static int
ctl_detach(struct ctl *ctl, const struct ctl_args *a)
{
	int rc;

	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	rc = smmu_client_detach(ctl->h, a->pos[0], a->pos[1]);
	if (rc < 0)
		return ctl_fail(ctl, rc);
	return ctl_done(ctl, ctl->out->detach(a->pos[0], a->pos[1]),
	    CTL_EXIT_OK);
}

/* devices [SMMU] */
static int
ctl_devices(struct ctl *ctl, const struct ctl_args *a)
{
	struct smmu_client_device *devs;
	size_t nr;
	int rc;

	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	rc = smmu_client_list_devices(ctl->h, a->nr_pos > 0 ? a->pos[0] : "",
	    &devs, &nr);
	if (rc < 0)
		return ctl_fail(ctl, rc);
	rc = ctl->out->devices(devs, nr);
	smmu_client_devices_free(devs, nr);
	return ctl_done(ctl, rc, CTL_EXIT_OK);
}

/* Parse --access: any of the letters r, w, x, each once. */
static int
ctl_parse_access(const char *s, unsigned *ret)
{
	unsigned acc = 0, bit;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		switch (*s) {
		case 'r': bit = SMMU_CLIENT_ACC_READ; break;
		case 'w': bit = SMMU_CLIENT_ACC_WRITE; break;
		case 'x': bit = SMMU_CLIENT_ACC_EXEC; break;
		default: return -1;
		}
		if (acc & bit)
			return -1;
		acc |= bit;
	}
	/* An instruction fetch is a read (InD = 1 with RnW = 1). */
	if (acc & SMMU_CLIENT_ACC_EXEC)
		acc |= SMMU_CLIENT_ACC_READ;
	*ret = acc;
	return 0;
}

/*
 * translate SMMU SID IOVA [--ssid N] [--access ...] [--priv]: exit 3 on a
 * fault.
 */
static int
ctl_translate(struct ctl *ctl, const struct ctl_args *a)
{
	struct smmu_client_txn txn;
	struct smmu_client_mapping map;
	struct smmu_client_fault f;
	int rc;

	memset(&txn, 0, sizeof(txn));
	if (ctl_parse_u32(a->pos[1], &txn.sid) < 0)
		return ctl_bad(ctl, "stream ID", a->pos[1]);
	if (ctl_parse_u64(a->pos[2], &txn.iova) < 0)
		return ctl_bad(ctl, "IOVA", a->pos[2]);
	if (a->has[CTL_O_SSID]) {
		if (a->num[CTL_O_SSID] > UINT32_MAX)
			return ctl_bad(ctl, "substream ID",
			    a->str[CTL_O_SSID]);
		txn.ssid = (uint32_t)a->num[CTL_O_SSID];
		txn.ssv = true;
	}
	txn.access = SMMU_CLIENT_ACC_READ;
	if (a->has[CTL_O_ACCESS] &&
	    ctl_parse_access(a->str[CTL_O_ACCESS], &txn.access) < 0)
		return ctl_bad(ctl, "access (r, w, x or rw)",
		    a->str[CTL_O_ACCESS]);
	if (a->has[CTL_O_PRIV])
		txn.access |= SMMU_CLIENT_ACC_PRIV;
	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	rc = smmu_client_translate(ctl->h, a->pos[0], &txn, &map, &f);
	if (rc < 0)
		return ctl_fail(ctl, rc);
	if (rc == SMMU_CLIENT_FAULT)
		return ctl_done(ctl, ctl->out->fault(a->pos[0], &txn, &f),
		    CTL_EXIT_FAULT);
	return ctl_done(ctl, ctl->out->mapping(a->pos[0], &txn, &map),
	    CTL_EXIT_OK);
}

/* invalidate SMMU [one scope]: the forms of the usage line, nothing else. */
static int
ctl_invalidate(struct ctl *ctl, const struct ctl_args *a)
{
	struct smmu_client_inv inv;
	uint64_t dropped;
	bool all = a->has[CTL_O_ALL], sid = a->has[CTL_O_SID];
	bool asid = a->has[CTL_O_ASID], vmid = a->has[CTL_O_VMID];
	bool iova = a->has[CTL_O_IOVA], size = a->has[CTL_O_SIZE];
	bool leaf = a->has[CTL_O_LEAF];
	int rc;

	memset(&inv, 0, sizeof(inv));
	if (a->num[CTL_O_SID] > UINT32_MAX || a->num[CTL_O_ASID] > UINT32_MAX ||
	    a->num[CTL_O_VMID] > UINT32_MAX)
		return ctl_bad(ctl, "identifier", sid ? a->str[CTL_O_SID] :
		    asid ? a->str[CTL_O_ASID] : a->str[CTL_O_VMID]);
	inv.sid = (uint32_t)a->num[CTL_O_SID];
	inv.asid = (uint32_t)a->num[CTL_O_ASID];
	inv.vmid = (uint32_t)a->num[CTL_O_VMID];
	/* The forms of the usage line, and nothing else. */
	if (iova || size) {
		if (!iova || !size || all || sid)
			goto usage;
		if (a->num[CTL_O_SIZE] == 0)
			return ctl_bad(ctl, "size", a->str[CTL_O_SIZE]);
		inv.scope = SMMU_CLIENT_INV_RANGE;
		inv.iova = a->num[CTL_O_IOVA];
		inv.size = a->num[CTL_O_SIZE];
		inv.has_asid = asid;
		inv.leaf = leaf;
	} else if (leaf)
		goto usage;
	else if (sid) {
		if (all || asid || vmid)
			goto usage;
		inv.scope = SMMU_CLIENT_INV_SID;
	} else if (asid) {
		if (all)
			goto usage;
		inv.scope = SMMU_CLIENT_INV_ASID;
	} else if (vmid) {
		if (all)
			goto usage;
		inv.scope = SMMU_CLIENT_INV_VMID;
	} else
		inv.scope = SMMU_CLIENT_INV_ALL;
	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	rc = smmu_client_invalidate(ctl->h, a->pos[0], &inv, &dropped);
	if (rc < 0)
		return ctl_fail(ctl, rc);
	return ctl_done(ctl, ctl->out->invalidate(a->pos[0], &inv, dropped),
	    CTL_EXIT_OK);
usage:
	fprintf(stderr, "smmuctl: invalidate: conflicting options\n");
	fprintf(stderr, "usage: smmuctl invalidate %s\n", CTL_INV_USAGE);
	return CTL_EXIT_USAGE;
}

/* stats [SMMU] [--streams] */
static int
ctl_stats(struct ctl *ctl, const struct ctl_args *a)
{
	struct smmu_client_stats *st;
	int rc;

	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	rc = smmu_client_stats(ctl->h, a->nr_pos > 0 ? a->pos[0] : "",
	    a->has[CTL_O_STREAMS], &st);
	if (rc < 0)
		return ctl_fail(ctl, rc);
	rc = ctl->out->stats(st);
	smmu_client_stats_free(st);
	return ctl_done(ctl, rc, CTL_EXIT_OK);
}

/* mem VM read GPA LEN */
static int
ctl_mem_read(struct ctl *ctl, const struct ctl_args *a)
{
	uint64_t gpa, len;
	uint8_t *buf;
	int rc;

	if (ctl_parse_u64(a->pos[1], &gpa) < 0)
		return ctl_bad(ctl, "GPA", a->pos[1]);
	if (ctl_parse_size(a->pos[2], &len) < 0 || len == 0 ||
	    len > CTL_MEM_READ_MAX)
		return ctl_bad(ctl, "length (1 to 16M)", a->pos[2]);
	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	buf = malloc(len);
	if (buf == NULL) {
		fprintf(stderr, "smmuctl: %s: out of memory\n", ctl->cmd);
		return CTL_EXIT_ERROR;
	}
	rc = smmu_client_mem_read(ctl->h, a->pos[0], gpa, buf, len);
	if (rc < 0) {
		free(buf);
		return ctl_fail(ctl, rc);
	}
	rc = ctl->out->mem_read(a->pos[0], gpa, buf, len);
	free(buf);
	return ctl_done(ctl, rc, CTL_EXIT_OK);
}

/* Value of a hex digit, or -1. */
static int
ctl_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse HEXBYTES: pairs of hex digits in memory order, optionally
 * separated by ':' (de:ad:be:ef).  Returns the byte count or -1.
 */
static ssize_t
ctl_parse_hex(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi, lo;

	while (*s != '\0') {
		if (n > 0 && *s == ':')
			s++;
		hi = ctl_hexval(s[0]);
		lo = hi >= 0 ? ctl_hexval(s[1]) : -1;
		if (hi < 0 || lo < 0 || n == cap)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n > 0 ? (ssize_t)n : -1;
}

/* mem VM write GPA HEXBYTES */
static int
ctl_mem_write(struct ctl *ctl, const struct ctl_args *a)
{
	const char *hex = a->pos[2];
	uint64_t gpa;
	uint8_t *buf;
	ssize_t n;
	int rc;

	if (ctl_parse_u64(a->pos[1], &gpa) < 0)
		return ctl_bad(ctl, "GPA", a->pos[1]);
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
		fprintf(stderr, "smmuctl: %s: HEXBYTES are bytes in memory "
		    "order without 0x (e.g. deadbeef); use write64 for "
		    "64-bit values\n", ctl->cmd);
		return CTL_EXIT_USAGE;
	}
	buf = malloc(strlen(hex) / 2 + 1);
	if (buf == NULL) {
		fprintf(stderr, "smmuctl: %s: out of memory\n", ctl->cmd);
		return CTL_EXIT_ERROR;
	}
	n = ctl_parse_hex(hex, buf, strlen(hex) / 2 + 1);
	if (n < 0) {
		free(buf);
		return ctl_bad(ctl, "HEXBYTES", hex);
	}
	if ((rc = ctl_connect(ctl)) != 0) {
		free(buf);
		return rc;
	}
	rc = smmu_client_mem_write(ctl->h, a->pos[0], gpa, buf, (size_t)n);
	free(buf);
	if (rc < 0)
		return ctl_fail(ctl, rc);
	return ctl_done(ctl, ctl->out->mem_write(a->pos[0], gpa, (size_t)n,
	    NULL), CTL_EXIT_OK);
}

/* mem VM write64 GPA VALUE...: little-endian words, as SMMU tables. */
static int
ctl_mem_write64(struct ctl *ctl, const struct ctl_args *a)
{
	uint8_t buf[8 * CTL_MAX_POS];
	uint64_t gpa, v;
	unsigned i, b, n = 0;
	int rc;

	if (ctl_parse_u64(a->pos[1], &gpa) < 0)
		return ctl_bad(ctl, "GPA", a->pos[1]);
	for (i = 2; i < a->nr_pos; i++) {
		if (ctl_parse_u64(a->pos[i], &v) < 0)
			return ctl_bad(ctl, "64-bit value", a->pos[i]);
		/* SMMUv3 tables are little-endian (SMMUV3.md conventions). */
		for (b = 0; b < 8; b++)
			buf[n++] = (uint8_t)(v >> (8 * b));
	}
	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	rc = smmu_client_mem_write(ctl->h, a->pos[0], gpa, buf, n);
	if (rc < 0)
		return ctl_fail(ctl, rc);
	return ctl_done(ctl, ctl->out->mem_write(a->pos[0], gpa, n, NULL),
	    CTL_EXIT_OK);
}

/* mem VM load GPA FILE: streamed in chunks, so any file size works. */
static int
ctl_mem_load(struct ctl *ctl, const struct ctl_args *a)
{
	const char *path = a->pos[2];
	uint64_t gpa, total = 0;
	uint8_t *buf;
	ssize_t n;
	int fd, rc = 0, status = CTL_EXIT_OK;

	if (ctl_parse_u64(a->pos[1], &gpa) < 0)
		return ctl_bad(ctl, "GPA", a->pos[1]);
	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "smmuctl: %s: %s: %s\n", ctl->cmd, path,
		    strerror(errno));
		return CTL_EXIT_ERROR;
	}
	buf = malloc(CTL_LOAD_CHUNK);
	if (buf == NULL) {
		fprintf(stderr, "smmuctl: %s: out of memory\n", ctl->cmd);
		status = CTL_EXIT_ERROR;
		goto out;
	}
	for (;;) {
		n = read(fd, buf, CTL_LOAD_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "smmuctl: %s: %s: %s\n", ctl->cmd,
			    path, strerror(errno));
			status = CTL_EXIT_ERROR;
			goto out;
		}
		if (n == 0)
			break;
		rc = smmu_client_mem_write(ctl->h, a->pos[0], gpa + total,
		    buf, (size_t)n);
		if (rc < 0) {
			status = ctl_fail(ctl, rc);
			goto out;
		}
		total += (uint64_t)n;
	}
	status = ctl_done(ctl, ctl->out->mem_write(a->pos[0], gpa, total,
	    path), CTL_EXIT_OK);
out:
	free(buf);
	if (fd != STDIN_FILENO)
		(void)close(fd);
	return status;
}

/* version: ours, the library's and the server's (from its Hello). */
static int
ctl_version(struct ctl *ctl, const struct ctl_args *a)
{
	int rc;

	if ((rc = ctl_connect(ctl)) != 0)
		return rc;
	return ctl_done(ctl, ctl->out->version(SMMUD_VERSION,
	    smmu_client_version(), smmu_client_info(ctl->h)), CTL_EXIT_OK);
}

/* help: every command with its arguments and a line about it. */
static int
ctl_help(struct ctl *ctl, const struct ctl_args *a)
{
	const struct ctl_cmd *c, *s;

	printf("usage: smmuctl [-s SOCKET] [-t TIMEOUT_MS] [--json] "
	    "COMMAND [ARG...]\n\ncommands:\n");
	for (c = ctl_cmds; c->name != NULL; c++) {
		if (c->subs == NULL) {
			printf("  %s%s%s\n\t%s\n", c->name,
			    *c->usage != '\0' ? " " : "", c->usage, c->help);
			continue;
		}
		for (s = c->subs; s->name != NULL; s++)
			printf("  %s %s\n\t%s\n", c->name, s->usage, s->help);
	}
	printf("\nSMMU is VM/NAME, or NAME when unique; numbers are "
	    "decimal or 0x hex;\nsizes may end in K, M, G or T.  The "
	    "socket is -s SOCKET, else $SMMUD_SOCKET,\nelse "
	    SMMU_CLIENT_DEFAULT_SOCKET ".\n");
	return CTL_EXIT_OK;
}

/* Resolve the socket path: -s, then $SMMUD_SOCKET, then the default. */
static const char *
ctl_socket(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	env = getenv("SMMUD_SOCKET");
	if (env != NULL && *env != '\0')
		return env;
	return SMMU_CLIENT_DEFAULT_SOCKET;
}

/* Parse the global options and the command, then run it. */
int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ctl_cmd *cmd, *sub;
	struct ctl_args args;
	struct ctl ctl;
	const char *sock_opt = NULL;
	char cand[256], cmdname[32];
	bool json = false, ambiguous;
	uint32_t t;
	unsigned i;
	int ch, status;

	memset(&ctl, 0, sizeof(ctl));
	ctl.timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	while ((ch = getopt_long(argc, argv, "+s:t:jh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			sock_opt = optarg;
			break;
		case 't':
			if (ctl_parse_u32(optarg, &t) < 0 || t > INT32_MAX) {
				fprintf(stderr, "smmuctl: bad timeout '%s'\n",
				    optarg);
				return CTL_EXIT_USAGE;
			}
			ctl.timeout_ms = (int)t;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			ctl_usage(stdout);
			return CTL_EXIT_OK;
		default:
			ctl_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		fprintf(stderr, "smmuctl: no command\n");
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}

	cmd = ctl_cmd_match(ctl_cmds, argv[0], &ambiguous);
	if (cmd == NULL) {
		if (ambiguous) {
			ctl_cmd_candidates(ctl_cmds, argv[0], cand,
			    sizeof(cand));
			fprintf(stderr, "smmuctl: ambiguous command '%s' "
			    "(%s)\n", argv[0], cand);
		} else
			fprintf(stderr, "smmuctl: unknown command '%s'\n",
			    argv[0]);
		ctl_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	status = ctl_args_parse(cmd, argc - 1, argv + 1, &args, &json);
	if (status != 0)
		return status;
	ctl.cmd = cmd->name;
	if (cmd->subs != NULL) {
		if (args.nr_pos <= cmd->sub_at)
			return ctl_usage_cmd(cmd, NULL, "%s: missing "
			    "subcommand", cmd->name);
		sub = ctl_cmd_match(cmd->subs, args.pos[cmd->sub_at],
		    &ambiguous);
		if (sub == NULL)
			return ctl_usage_cmd(cmd, NULL, "%s: %s subcommand "
			    "'%s'", cmd->name, ambiguous ? "ambiguous" :
			    "unknown", args.pos[cmd->sub_at]);
		/* Drop the subcommand word from the positionals. */
		for (i = cmd->sub_at; i + 1 < args.nr_pos; i++)
			args.pos[i] = args.pos[i + 1];
		args.nr_pos--;
		(void)snprintf(cmdname, sizeof(cmdname), "%s %s", cmd->name,
		    sub->name);
		ctl.cmd = cmdname;
		if (args.nr_pos < sub->min_args || args.nr_pos > sub->max_args)
			return ctl_usage_cmd(sub, cmd->name, "%s %s: wrong "
			    "number of arguments", cmd->name, sub->name);
		cmd = sub;
	} else if (args.nr_pos < cmd->min_args || args.nr_pos > cmd->max_args)
		return ctl_usage_cmd(cmd, NULL, "%s: wrong number of "
		    "arguments", cmd->name);

	ctl.out = json ? &ctl_output_json : &ctl_output_human;
	ctl.socket = ctl_socket(sock_opt);
	status = cmd->run(&ctl, &args);
	if (ctl.out->finish() < 0 && status == CTL_EXIT_OK) {
		fprintf(stderr, "smmuctl: cannot write the output\n");
		status = CTL_EXIT_ERROR;
	}
	smmu_client_close(ctl.h);
	return status;
}
