/*
 * conf.c - the smmud topology file: YAML to struct smmud_conf.
 *
 * Loading runs in two passes over the text.  conf_tree_build() drives
 * libyaml's event API (yaml_parser_parse) with a small stack machine that
 * turns events into a tree of scalars, sequences and mappings, refusing
 * what the format does not allow: anchors and aliases (a shared node
 * would let a few bytes expand into a huge walk), tags, scalars with an
 * embedded NUL, a second document and nesting deeper than 64 levels
 * (libyaml is quadratic in depth, libyaml PR #286, so the limit must
 * stop the parser itself).  libyaml never builds its own document.
 *
 * The schema walk (conf_top() and the functions it calls) then checks
 * every key and value against smmud.yaml(5) and fills a fresh
 * struct smmud_conf.  It keeps going after an error so that one run
 * reports as many problems as possible; cross-checks (duplicate names,
 * overlapping regions, stream tables, access rules) run once the parts
 * they need are known.  Errors carry their 1-based line and column and
 * are printed in file order, at most CONF_ERRORS_MAX of them.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <yaml.h>

#include "conf.h"
#include "features.h"
#include "gmem.h"

#define CONF_FILE_MAX (1u << 20)	/* bytes of YAML accepted */
#define CONF_DEPTH_MAX 64		/* nested sequences and mappings */
#define CONF_ERRORS_MAX 50		/* errors kept for the report */
#define CONF_PAGE 4096ull		/* gmem region granularity */
#define CONF_WORKERS_MAX 256
#define CONF_FRAME_MIN (4ull << 10)
#define CONF_FRAME_MAX (64ull << 20)
#define CONF_FRAME_DEFAULT (1u << 20)
#define CONF_CLIENTS_MAX 65536
#define CONF_CLIENTS_DEFAULT 1024
#define CONF_ENTRIES_MAX (1ull << 24)	/* as smmu_features_check() */
#define CONF_ID_MAX 4294967294ull	/* (uid_t)-1 means "no change" */
#define CONF_SOCKET_DEFAULT "/run/smmud/smmud.sock"
#define CONF_STATE_DIR_DEFAULT "/var/lib/smmud"

/* ------------------------------------------------------------------ */
/* The node tree built from libyaml events. */

enum conf_kind {
	CONF_SCALAR,
	CONF_SEQ,
	CONF_MAP
};

static const char *const conf_kind_names[] = {
	"scalar", "sequence", "mapping"
};

struct conf_node {
	enum conf_kind kind;
	bool plain;		/* scalar in plain style (numbers must be) */
	bool bad;		/* already reported: users skip it silently */
	unsigned line;		/* 1-based */
	unsigned col;		/* 1-based */
	char *val;		/* scalar text, NUL-terminated */
	size_t len;
	struct conf_node **kids; /* sequence: items; mapping: key, value... */
	unsigned nr_kids;
	unsigned cap_kids;
};

/* One error, kept until the report is sorted into file order. */
struct conf_error {
	unsigned line;		/* 0: the message is about the whole file */
	unsigned col;
	unsigned seq;		/* emission order, for a stable sort */
	char *msg;
};

/* State of one load. */
struct conf_parse {
	const char *name;	/* file name used in messages */
	const char *dir;	/* base of relative image paths, or NULL */
	struct conf_error errs[CONF_ERRORS_MAX];
	unsigned nr_errs;	/* kept in errs */
	unsigned nr_errors;	/* found, kept or not */
	bool oom;
};

/* A key looked up in a mapping by conf_map(). */
struct conf_kv {
	const struct conf_node *key;
	const struct conf_node *val;
};

/* A declared name, for the duplicate check. */
struct conf_named {
	const char *name;
	const struct conf_node *node;
	unsigned idx;
};

static void conf_errorf(struct conf_parse *, unsigned, unsigned,
    const char *, ...) __attribute__((format(printf, 4, 5)));
static void conf_error(struct conf_parse *, const struct conf_node *,
    const char *, ...) __attribute__((format(printf, 3, 4)));

/* Record an error at line:col; only the first CONF_ERRORS_MAX are kept. */
static void __attribute__((format(printf, 4, 0)))
conf_verror(struct conf_parse *p, unsigned line, unsigned col,
    const char *fmt, va_list ap)
{
	struct conf_error *e;

	p->nr_errors++;
	if (p->nr_errs == CONF_ERRORS_MAX)
		return;
	e = &p->errs[p->nr_errs];
	if (vasprintf(&e->msg, fmt, ap) == -1) {
		e->msg = NULL;
		p->oom = true;
		return;
	}
	e->line = line;
	e->col = col;
	e->seq = p->nr_errs++;
}

/* Record an error at line:col (line 0: about the whole file). */
static void
conf_errorf(struct conf_parse *p, unsigned line, unsigned col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(p, line, col, fmt, ap);
	va_end(ap);
}

/* Record an error at node n. */
static void
conf_error(struct conf_parse *p, const struct conf_node *n,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(p, n->line, n->col, fmt, ap);
	va_end(ap);
}

/*
 * Copy s (len bytes) into buf (at least 16 bytes) for a message: at most
 * 48 bytes of it, control characters replaced by '?' so that a config
 * cannot drive the terminal or the log, wrapped in q unless q is 0.
 */
static const char *
conf_disp_raw(const char *s, size_t len, char q, char *buf, size_t size)
{
	size_t i, o = 0, max = size - 8;

	if (max > 48)
		max = 48;
	if (q)
		buf[o++] = q;
	for (i = 0; i < len && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (i < len) {
		/* Do not cut a UTF-8 sequence in half. */
		while (o > 1 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 0 && (unsigned char)buf[o - 1] >= 0xc0)
			o--;
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	if (q)
		buf[o++] = q;
	buf[o] = '\0';
	return buf;
}

/* A scalar for a message: 'plain' or "quoted", as it was written. */
static const char *
conf_disp(const struct conf_node *n, char *buf, size_t size)
{
	return conf_disp_raw(n->val, n->len, n->plain ? '\'' : '"', buf,
	    size);
}

/* A new node at mark m; NULL (and p->oom) if out of memory. */
static struct conf_node *
conf_node_new(struct conf_parse *p, enum conf_kind kind,
    const yaml_mark_t *m)
{
	struct conf_node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		p->oom = true;
		return NULL;
	}
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

/* Free a node and everything under it (depth is at most 64). */
static void
conf_node_free(struct conf_node *n)
{
	unsigned i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nr_kids; i++)
		conf_node_free(n->kids[i]);
	free(n->kids);
	free(n->val);
	free(n);
}

/* Append kid to the collection n; false (and p->oom) if out of memory. */
static bool
conf_node_add(struct conf_parse *p, struct conf_node *n,
    struct conf_node *kid)
{
	struct conf_node **k;
	unsigned cap;

	if (n->nr_kids == n->cap_kids) {
		cap = n->cap_kids ? n->cap_kids * 2 : 8;
		if ((k = reallocarray(n->kids, cap, sizeof(*k))) == NULL) {
			p->oom = true;
			return false;
		}
		n->kids = k;
		n->cap_kids = cap;
	}
	n->kids[n->nr_kids++] = kid;
	return true;
}

/* Refuse an anchor or a tag on node n (the schema has no use for them). */
static void
conf_node_props(struct conf_parse *p, struct conf_node *n,
    const yaml_char_t *anchor, const yaml_char_t *tag)
{
	char b[64];
	const char *s;

	if (anchor != NULL) {
		s = (const char *)anchor;
		conf_error(p, n, "anchors are not allowed (&%s)",
		    conf_disp_raw(s, strlen(s), 0, b, sizeof(b)));
		n->bad = true;
	}
	if (tag != NULL) {
		/* Show "!!int" as written, not its expanded form. */
		s = (const char *)tag;
		if (strncmp(s, "tag:yaml.org,2002:", 18) == 0)
			conf_error(p, n, "tags are not allowed (!!%s)",
			    conf_disp_raw(s + 18, strlen(s + 18), 0, b,
			    sizeof(b)));
		else
			conf_error(p, n, "tags are not allowed (%s)",
			    conf_disp_raw(s, strlen(s), 0, b, sizeof(b)));
		n->bad = true;
	}
}

/* A scalar node from a scalar event. */
static struct conf_node *
conf_node_scalar(struct conf_parse *p, const yaml_event_t *ev)
{
	struct conf_node *n;
	size_t len = ev->data.scalar.length;

	if ((n = conf_node_new(p, CONF_SCALAR, &ev->start_mark)) == NULL)
		return NULL;
	if ((n->val = malloc(len + 1)) == NULL) {
		p->oom = true;
		free(n);
		return NULL;
	}
	memcpy(n->val, ev->data.scalar.value, len);
	n->val[len] = '\0';
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	conf_node_props(p, n, ev->data.scalar.anchor, ev->data.scalar.tag);
	/* "a\0b" is legal YAML; as a C string it would silently be "a". */
	if (strlen(n->val) != len) {
		conf_error(p, n, "scalar contains a NUL character");
		n->bad = true;
	}
	return n;
}

/* Report libyaml's error in the stored format. */
static void
conf_yaml_error(struct conf_parse *p, const yaml_parser_t *parser,
    const char *text, size_t len)
{
	const char *problem = parser->problem ? parser->problem :
	    "malformed YAML";
	unsigned line = 1, col = 1;
	size_t i;

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		p->oom = true;
		break;
	case YAML_READER_ERROR:
		/* The reader has only a byte offset: find its line. */
		for (i = 0; i < parser->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		if (parser->problem_value != -1)
			conf_errorf(p, line, col, "%s (0x%02x)", problem,
			    (unsigned)parser->problem_value);
		else
			conf_errorf(p, line, col, "%s", problem);
		break;
	default:
		line = (unsigned)parser->problem_mark.line + 1;
		col = (unsigned)parser->problem_mark.column + 1;
		if (parser->context != NULL)
			conf_errorf(p, line, col, "%s (%s at line %u)",
			    problem, parser->context,
			    (unsigned)parser->context_mark.line + 1);
		else
			conf_errorf(p, line, col, "%s", problem);
		break;
	}
}

/*
 * Parse text into a node tree stored in *ret_root (NULL for an empty
 * stream; freed by the caller even on failure).  Returns false if the
 * text is not acceptable YAML, in which case the error is recorded.
 */
static bool
conf_tree_build(struct conf_parse *p, const char *text, size_t len,
    struct conf_node **ret_root)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct conf_node *stack[CONF_DEPTH_MAX];
	struct conf_node *n;
	unsigned depth = 0, docs = 0;
	bool done = false, ok = true;
	char b[64];
	const char *s;

	*ret_root = NULL;
	if (!yaml_parser_initialize(&parser)) {
		p->oom = true;
		return false;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	while (!done && ok) {
		if (!yaml_parser_parse(&parser, &ev)) {
			conf_yaml_error(p, &parser, text, len);
			ok = false;
			break;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				conf_errorf(p, (unsigned)ev.start_mark.line + 1,
				    (unsigned)ev.start_mark.column + 1,
				    "only one document is allowed");
				ok = false;
			}
			break;
		case YAML_ALIAS_EVENT:
			if ((n = conf_node_new(p, CONF_SCALAR,
			    &ev.start_mark)) == NULL)
				break;
			s = (const char *)ev.data.alias.anchor;
			conf_error(p, n, "aliases are not allowed (*%s)",
			    conf_disp_raw(s, strlen(s), 0, b, sizeof(b)));
			n->bad = true;
			break;
		case YAML_SCALAR_EVENT:
			n = conf_node_scalar(p, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth == CONF_DEPTH_MAX) {
				conf_errorf(p, (unsigned)ev.start_mark.line + 1,
				    (unsigned)ev.start_mark.column + 1,
				    "nesting deeper than %u levels",
				    CONF_DEPTH_MAX);
				ok = false;
				break;
			}
			if (ev.type == YAML_SEQUENCE_START_EVENT) {
				n = conf_node_new(p, CONF_SEQ, &ev.start_mark);
				if (n != NULL)
					conf_node_props(p, n,
					    ev.data.sequence_start.anchor,
					    ev.data.sequence_start.tag);
			} else {
				n = conf_node_new(p, CONF_MAP, &ev.start_mark);
				if (n != NULL)
					conf_node_props(p, n,
					    ev.data.mapping_start.anchor,
					    ev.data.mapping_start.tag);
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (p->oom) {
			conf_node_free(n);
			ok = false;
			break;
		}
		if (n == NULL)
			continue;
		if (depth == 0) {
			conf_node_free(*ret_root);
			*ret_root = n;
		} else if (!conf_node_add(p, stack[depth - 1], n)) {
			conf_node_free(n);
			ok = false;
			break;
		}
		if (n->kind != CONF_SCALAR)
			stack[depth++] = n;
	}
	yaml_parser_delete(&parser);
	return ok;
}

/* ------------------------------------------------------------------ */
/*
 * Typed access to nodes.  Every getter is silent on a node already
 * reported (n->bad) and returns false.
 */

/* Check that n is of kind k; what names it for the message. */
static bool
conf_want(struct conf_parse *p, const struct conf_node *n,
    enum conf_kind k, const char *what)
{
	if (n->bad)
		return false;
	if (n->kind == k)
		return true;
	conf_error(p, n, "%s must be a %s, not a %s", what,
	    conf_kind_names[k], conf_kind_names[n->kind]);
	return false;
}

/*
 * Collect the values of the keys in names (NULL-terminated) from the
 * mapping n into kv[] (NULL when absent), reporting keys that are not
 * scalars, unknown ("where" says where they were found, "in tlb") or
 * repeated (libyaml accepts duplicates silently).
 */
static void
conf_map(struct conf_parse *p, const struct conf_node *n, const char *where,
    const char *const *names, struct conf_kv *kv)
{
	const struct conf_node *key;
	char list[512], b[64];
	unsigned i, k, nr;
	size_t o;

	for (nr = 0; names[nr] != NULL; nr++)
		kv[nr].key = kv[nr].val = NULL;
	for (i = 0; i + 1 < n->nr_kids; i += 2) {
		key = n->kids[i];
		if (key->bad)
			continue;
		if (key->kind != CONF_SCALAR) {
			conf_error(p, key, "mapping keys must be scalars, "
			    "not a %s", conf_kind_names[key->kind]);
			continue;
		}
		for (k = 0; k < nr; k++)
			if (strcmp(key->val, names[k]) == 0)
				break;
		if (k == nr) {
			list[0] = '\0';
			for (k = 0, o = 0; k < nr && o < sizeof(list); k++)
				o += (size_t)snprintf(list + o,
				    sizeof(list) - o, "%s%s", k ? ", " : "",
				    names[k]);
			conf_error(p, key, "unknown key %s %s (expected %s)",
			    conf_disp(key, b, sizeof(b)), where, list);
			continue;
		}
		if (kv[k].key != NULL) {
			conf_error(p, key, "duplicate key '%s' (first at "
			    "line %u)", names[k], kv[k].key->line);
			continue;
		}
		kv[k].key = key;
		kv[k].val = n->kids[i + 1];
	}
}

/* Report a required key missing from mapping n. */
static bool
conf_require(struct conf_parse *p, const struct conf_node *n,
    const struct conf_kv *kv, const char *name, const char *where)
{
	if (kv->val != NULL)
		return true;
	conf_error(p, n, "missing required key '%s' %s", name, where);
	return false;
}

/*
 * Parse s as a decimal or 0x-hex number; with units, a binary suffix (K,
 * M, G, T, optionally followed by "iB") may follow.  Returns 0, -1 if
 * malformed or -2 if the value does not fit in 64 bits.
 */
static int
conf_parse_u64(const char *s, bool units, uint64_t *ret)
{
	uint64_t v = 0, d;
	unsigned base = 10, shift = 0, nr = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, nr++) {
		if (*s >= '0' && *s <= '9')
			d = (uint64_t)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (uint64_t)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (uint64_t)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -2;
		v = v * base + d;
	}
	if (nr == 0)
		return -1;
	if (units && *s != '\0') {
		while (*s == ' ')
			s++;
		switch (*s++) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return -1;
		}
		if (s[0] == 'i' && s[1] == 'B')
			s += 2;
		if (v > (UINT64_MAX >> shift))
			return -2;
		v <<= shift;
	}
	if (*s != '\0')
		return -1;
	*ret = v;
	return 0;
}

/* Format v as a size for a message: "4KiB" when exact, else hex. */
static const char *
conf_fmt_size(uint64_t v, char *buf, size_t size)
{
	static const char *const units[] = { "TiB", "GiB", "MiB", "KiB" };
	unsigned i, shift;

	for (i = 0, shift = 40; i < 4; i++, shift -= 10) {
		if (v != 0 && v % (1ull << shift) == 0) {
			snprintf(buf, size, "%llu%s",
			    (unsigned long long)(v >> shift), units[i]);
			return buf;
		}
	}
	snprintf(buf, size, v < 10 ? "%llu" : "0x%llx",
	    (unsigned long long)v);
	return buf;
}

/*
 * Read the scalar n as an integer (or, with units, a size) in min..max
 * into *ret; key names it in messages.  Numbers must be plain scalars:
 * a quoted "48" is a string in YAML.
 */
static bool
conf_num(struct conf_parse *p, const struct conf_node *n, const char *key,
    bool units, uint64_t min, uint64_t max, uint64_t *ret)
{
	char what[80], b[64], lo[32], hi[32];
	uint64_t v;
	int rc;

	snprintf(what, sizeof(what), "'%s'", key);
	if (!conf_want(p, n, CONF_SCALAR, what))
		return false;
	rc = n->plain ? conf_parse_u64(n->val, units, &v) : -1;
	if (rc == -1) {
		if (units)
			conf_error(p, n, "'%s' must be a size (a number of "
			    "bytes, optionally with K, M, G, T, KiB, MiB, "
			    "GiB or TiB), not %s", key,
			    conf_disp(n, b, sizeof(b)));
		else
			conf_error(p, n, "'%s' must be an integer, not %s",
			    key, conf_disp(n, b, sizeof(b)));
		return false;
	}
	if (rc == -2) {
		conf_error(p, n, "%s %s does not fit in 64 bits", key,
		    conf_disp_raw(n->val, n->len, 0, b, sizeof(b)));
		return false;
	}
	if (v < min || v > max) {
		if (units) {
			conf_fmt_size(min, lo, sizeof(lo));
			conf_fmt_size(max, hi, sizeof(hi));
		} else {
			snprintf(lo, sizeof(lo), "%llu",
			    (unsigned long long)min);
			snprintf(hi, sizeof(hi), "%llu",
			    (unsigned long long)max);
		}
		conf_error(p, n, "%s %s out of range (%s..%s)", key,
		    conf_disp_raw(n->val, n->len, 0, b, sizeof(b)), lo, hi);
		return false;
	}
	*ret = v;
	return true;
}

/* Read an unsigned int in min..max. */
static bool
conf_uint(struct conf_parse *p, const struct conf_node *n, const char *key,
    unsigned min, unsigned max, unsigned *ret)
{
	uint64_t v;

	if (!conf_num(p, n, key, false, min, max, &v))
		return false;
	*ret = (unsigned)v;
	return true;
}

/* Read a boolean: exactly true or false (not YAML 1.1's yes/on). */
static bool
conf_bool(struct conf_parse *p, const struct conf_node *n, const char *key,
    bool *ret)
{
	char what[80], b[64];

	snprintf(what, sizeof(what), "'%s'", key);
	if (!conf_want(p, n, CONF_SCALAR, what))
		return false;
	if (n->plain && strcmp(n->val, "true") == 0)
		*ret = true;
	else if (n->plain && strcmp(n->val, "false") == 0)
		*ret = false;
	else {
		conf_error(p, n, "'%s' must be true or false, not %s", key,
		    conf_disp(n, b, sizeof(b)));
		return false;
	}
	return true;
}

/* Read a non-empty string (plain "~" and "" are YAML's null). */
static bool
conf_str(struct conf_parse *p, const struct conf_node *n, const char *key,
    const char **ret)
{
	char what[80];

	snprintf(what, sizeof(what), "'%s'", key);
	if (!conf_want(p, n, CONF_SCALAR, what))
		return false;
	if (n->len == 0 || (n->plain && strcmp(n->val, "~") == 0)) {
		conf_error(p, n, "'%s' must not be empty", key);
		return false;
	}
	*ret = n->val;
	return true;
}

/* Read one of names[] (nr of them) into *ret; what names the kind. */
static bool
conf_enum(struct conf_parse *p, const struct conf_node *n, const char *what,
    const char *const *names, unsigned nr, unsigned *ret)
{
	char q[80], list[256], b[64];
	unsigned i;
	size_t o;

	snprintf(q, sizeof(q), "'%s'", what);
	if (!conf_want(p, n, CONF_SCALAR, q))
		return false;
	for (i = 0; i < nr; i++) {
		if (strcmp(n->val, names[i]) == 0) {
			*ret = i;
			return true;
		}
	}
	list[0] = '\0';
	for (i = 0, o = 0; i < nr && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
		    i ? ", " : "", names[i]);
	conf_error(p, n, "unknown %s %s (expected %s)", what,
	    conf_disp(n, b, sizeof(b)), list);
	return false;
}

/* Read a name ([A-Za-z0-9_.-]{1,63}) into out; kind is "vm", "smmu"... */
static bool
conf_name(struct conf_parse *p, const struct conf_node *n, const char *kind,
    char out[CONF_NAME_MAX + 1])
{
	char b[64];
	const char *s;
	size_t i;

	if (!conf_str(p, n, "name", &s))
		return false;
	for (i = 0; i < n->len; i++) {
		char ch = s[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    ch == '-'))
			break;
	}
	if (i < n->len || n->len > CONF_NAME_MAX) {
		conf_error(p, n, "invalid %s name %s (expected 1 to %u of "
		    "A-Z a-z 0-9 _ . -)", kind, conf_disp(n, b, sizeof(b)),
		    CONF_NAME_MAX);
		return false;
	}
	memcpy(out, s, n->len + 1);
	return true;
}

/* qsort order of conf_named: by name, then declaration order. */
static int
conf_named_cmp(const void *a, const void *b)
{
	const struct conf_named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Report repeated names in v[0..nr-1] (sorts v); in is " in vm 'x'". */
static void
conf_dups(struct conf_parse *p, struct conf_named *v, unsigned nr,
    const char *kind, const char *in)
{
	unsigned i, first = 0;

	qsort(v, nr, sizeof(*v), conf_named_cmp);
	for (i = 1; i < nr; i++) {
		if (strcmp(v[i].name, v[first].name) != 0) {
			first = i;
			continue;
		}
		conf_error(p, v[i].node, "duplicate %s name '%s'%s (first at "
		    "line %u)", kind, v[i].name, in, v[first].node->line);
	}
}

/* ------------------------------------------------------------------ */
/* The schema, smmud.yaml(5). */

static const char *const conf_backing_names[] = {
	[GMEM_ANON] = "anonymous",
	[GMEM_FILE] = "file",
	[GMEM_SHARED] = "shared"
};

static const char *const conf_mode_names[] = {
	[CONF_MODE_GUEST] = "guest",
	[CONF_MODE_MANAGED] = "managed"
};

static const char *const conf_policy_names[] = {
	[SMMU_TLB_LRU] = "lru",
	[SMMU_TLB_LFU] = "lfu",
	[SMMU_TLB_CLOCK] = "clock",
	[SMMU_TLB_2Q] = "2q"
};

/* STRTAB_BASE_CFG.FMT: 0 linear, 1 2-level (SMMUv3 6.3.25). */
static const char *const conf_fmt_names[] = { "linear", "2level" };

/* log_level names, indexed from LOG_ERR. */
static const char *const conf_level_names[] = {
	"err", "warning", "notice", "info", "debug"
};

static const char *const conf_stage_names[] = { "s1", "s2" };

static const char *const conf_granule_names[] = { "4k", "16k", "64k" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Resolve a region's image path against the YAML file's directory. */
static char *
conf_path_resolve(struct conf_parse *p, const char *path)
{
	char *s;
	size_t dl;

	if (path[0] == '/' || p->dir == NULL)
		s = strdup(path);
	else {
		dl = strlen(p->dir);
		if (asprintf(&s, "%s%s%s", p->dir,
		    dl > 0 && p->dir[dl - 1] == '/' ? "" : "/", path) == -1)
			s = NULL;
	}
	if (s == NULL)
		p->oom = true;
	return s;
}

/*
 * A resolved path for a message: whole (a path cut short names nothing),
 * control characters replaced, quoted.
 */
static const char *
conf_disp_path(const char *path, char *buf, size_t size)
{
	size_t i, o = 0;

	buf[o++] = '\'';
	for (i = 0; path[i] != '\0' && o + 2 < size; i++) {
		unsigned char ch = (unsigned char)path[i];

		buf[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

/* Check that a file image exists and covers offset + size. */
static void
conf_image_check(struct conf_parse *p, const struct conf_node *n,
    const struct conf_region *r)
{
	struct stat st;
	char b[PATH_MAX + 3];
	int fd;

	if ((fd = open(r->path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		conf_error(p, n, "cannot open image %s: %s",
		    conf_disp_path(r->path, b, sizeof(b)), strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return;
	}
	(void)close(fd);
	if (S_ISDIR(st.st_mode))
		conf_error(p, n, "image %s is a directory",
		    conf_disp_path(r->path, b, sizeof(b)));
	else if (S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size < r->offset + r->size)
		conf_error(p, n, "image %s is too small (0x%llx bytes, "
		    "offset + size is 0x%llx)",
		    conf_disp_path(r->path, b, sizeof(b)),
		    (unsigned long long)st.st_size,
		    (unsigned long long)(r->offset + r->size));
}

enum {
	REG_NAME, REG_GPA, REG_SIZE, REG_BACKING, REG_PATH, REG_OFFSET,
	REG_THP, REG_NR
};
static const char *const conf_region_keys[] = {
	"name", "gpa", "size", "backing", "path", "offset", "thp", NULL
};

/*
 * One memory region; on any error r->size stays 0 so that the overlap
 * check ignores it.  gmem_region_add() needs 4 KiB-aligned gpa, size and
 * offset, size > 0 and no wrap.
 */
static void
conf_region(struct conf_parse *p, const struct conf_node *n,
    struct conf_region *r)
{
	struct conf_kv kv[REG_NR];
	const char *path = NULL;
	uint64_t gpa = 0, size = 0, v;
	unsigned backing = GMEM_ANON, errs = p->nr_errors;
	bool ok_gpa = false, ok_size = false;

	r->line = n->line;
	conf_map(p, n, "in memory region", conf_region_keys, kv);
	if (conf_require(p, n, &kv[REG_NAME], "name", "in memory region"))
		(void)conf_name(p, kv[REG_NAME].val, "region", r->name);
	if (conf_require(p, n, &kv[REG_GPA], "gpa", "in memory region") &&
	    conf_num(p, kv[REG_GPA].val, "gpa", false, 0, UINT64_MAX,
	    &gpa)) {
		if (gpa % CONF_PAGE != 0)
			conf_error(p, kv[REG_GPA].val, "gpa 0x%llx is not "
			    "4 KiB aligned", (unsigned long long)gpa);
		else
			ok_gpa = true;
	}
	if (conf_require(p, n, &kv[REG_SIZE], "size", "in memory region") &&
	    conf_num(p, kv[REG_SIZE].val, "size", true, 0, UINT64_MAX,
	    &size)) {
		if (size == 0)
			conf_error(p, kv[REG_SIZE].val, "size must not be 0");
		else if (size % CONF_PAGE != 0)
			conf_error(p, kv[REG_SIZE].val, "size 0x%llx is not "
			    "4 KiB aligned", (unsigned long long)size);
		else
			ok_size = true;
	}
	if (ok_gpa && ok_size && size > UINT64_MAX - gpa) {
		conf_error(p, kv[REG_SIZE].val, "gpa 0x%llx + size 0x%llx "
		    "is beyond the 64-bit address space",
		    (unsigned long long)gpa, (unsigned long long)size);
		ok_size = false;
	}
	if (kv[REG_BACKING].val != NULL)
		(void)conf_enum(p, kv[REG_BACKING].val, "backing",
		    conf_backing_names, NELEM(conf_backing_names), &backing);
	r->backing = (enum gmem_backing)backing;
	if (kv[REG_PATH].val != NULL) {
		if (backing != GMEM_FILE)
			conf_error(p, kv[REG_PATH].key, "'path' is only "
			    "valid with backing file");
		else if (conf_str(p, kv[REG_PATH].val, "path", &path) &&
		    (r->path = conf_path_resolve(p, path)) == NULL)
			return;
	} else if (backing == GMEM_FILE)
		conf_error(p, n, "backing file needs 'path'");
	if (kv[REG_OFFSET].val != NULL) {
		if (backing != GMEM_FILE)
			conf_error(p, kv[REG_OFFSET].key, "'offset' is only "
			    "valid with backing file");
		else if (conf_num(p, kv[REG_OFFSET].val, "offset", true, 0,
		    UINT64_MAX, &v)) {
			if (v % CONF_PAGE != 0)
				conf_error(p, kv[REG_OFFSET].val, "offset "
				    "0x%llx is not 4 KiB aligned",
				    (unsigned long long)v);
			else if (ok_size && size > UINT64_MAX - v)
				conf_error(p, kv[REG_OFFSET].val, "offset "
				    "0x%llx + size 0x%llx overflows",
				    (unsigned long long)v,
				    (unsigned long long)size);
			else
				r->offset = v;
		}
	}
	if (kv[REG_THP].val != NULL) {
		if (backing != GMEM_ANON)
			conf_error(p, kv[REG_THP].key, "'thp' is only valid "
			    "with backing anonymous");
		else
			(void)conf_bool(p, kv[REG_THP].val, "thp", &r->thp);
	}
	if (p->nr_errors != errs)
		return;
	r->gpa = gpa;
	r->size = size;
	if (backing == GMEM_FILE && r->path != NULL)
		conf_image_check(p, kv[REG_PATH].val, r);
}

/* A region's extent, for the overlap check. */
struct conf_span {
	uint64_t gpa;
	uint64_t last;		/* inclusive, so that the end cannot wrap */
	unsigned idx;
};

/* qsort order of conf_span: by gpa. */
static int
conf_span_cmp(const void *a, const void *b)
{
	const struct conf_span *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/*
 * Report overlapping regions of one VM: sorted by gpa, a region overlaps
 * an earlier one exactly when it starts at or below the highest end seen
 * so far; the message goes to whichever of the two was declared later.
 */
static void
conf_overlaps(struct conf_parse *p, const struct conf_vm *vm,
    const struct conf_node *const *nodes)
{
	const struct conf_region *a, *b;
	struct conf_span *v, *top = NULL;
	unsigned i, nr = 0;

	if ((v = calloc(vm->nr_regions + 1, sizeof(*v))) == NULL) {
		p->oom = true;
		return;
	}
	for (i = 0; i < vm->nr_regions; i++) {
		if (vm->regions[i].size == 0)
			continue;
		v[nr].gpa = vm->regions[i].gpa;
		v[nr].last = vm->regions[i].gpa + (vm->regions[i].size - 1);
		v[nr++].idx = i;
	}
	qsort(v, nr, sizeof(*v), conf_span_cmp);
	for (i = 0; i < nr; i++) {
		if (top != NULL && v[i].gpa <= top->last) {
			a = &vm->regions[v[i].idx];
			b = &vm->regions[top->idx];
			if (a->line < b->line) {
				a = &vm->regions[top->idx];
				b = &vm->regions[v[i].idx];
			}
			conf_error(p, nodes[a - vm->regions], "region '%s' "
			    "(0x%llx..0x%llx) overlaps region '%s' "
			    "(0x%llx..0x%llx, line %u)", a->name,
			    (unsigned long long)a->gpa,
			    (unsigned long long)(a->gpa + (a->size - 1)),
			    b->name, (unsigned long long)b->gpa,
			    (unsigned long long)(b->gpa + (b->size - 1)),
			    b->line);
		}
		if (top == NULL || v[i].last > top->last)
			top = &v[i];
	}
	free(v);
}

enum {
	ST_BASE, ST_LOG2SIZE, ST_SPLIT, ST_FMT, ST_ENABLED, ST_NR
};
static const char *const conf_strtab_keys[] = {
	"base", "log2size", "split", "fmt", "enabled", NULL
};

/* Parse the strtab mapping n into *st; kv keeps the nodes for later. */
static void
conf_strtab_parse(struct conf_parse *p, const struct conf_node *n,
    struct conf_strtab *st, struct conf_kv *kv)
{
	unsigned fmt = 0;

	st->split = 8;
	st->enabled = true;
	if (!conf_want(p, n, CONF_MAP, "'strtab'")) {
		for (fmt = 0; fmt < ST_NR; fmt++)
			kv[fmt].key = kv[fmt].val = NULL;
		return;
	}
	conf_map(p, n, "in strtab", conf_strtab_keys, kv);
	if (conf_require(p, n, &kv[ST_BASE], "base", "in strtab"))
		(void)conf_num(p, kv[ST_BASE].val, "base", false, 0,
		    UINT64_MAX, &st->base);
	if (conf_require(p, n, &kv[ST_LOG2SIZE], "log2size", "in strtab"))
		(void)conf_uint(p, kv[ST_LOG2SIZE].val, "log2size", 0, 32,
		    &st->log2size);
	/* STRTAB_BASE_CFG.SPLIT: 6, 8 or 10; others are reserved. */
	if (kv[ST_SPLIT].val != NULL &&
	    conf_uint(p, kv[ST_SPLIT].val, "split", 0, 31, &st->split) &&
	    st->split != 6 && st->split != 8 && st->split != 10) {
		conf_error(p, kv[ST_SPLIT].val, "split %u is not supported "
		    "(expected 6, 8, 10)", st->split);
		st->split = 8;
	}
	if (kv[ST_FMT].val != NULL &&
	    conf_enum(p, kv[ST_FMT].val, "fmt", conf_fmt_names,
	    NELEM(conf_fmt_names), &fmt))
		st->fmt = fmt;
	if (kv[ST_ENABLED].val != NULL)
		(void)conf_bool(p, kv[ST_ENABLED].val, "enabled",
		    &st->enabled);
	st->present = true;
}

/*
 * Check a well-formed strtab against its SMMU and VM: the table lies in
 * one region, aligned to its size (STRTAB_BASE.ADDR is aligned to the
 * larger of the table size and 64 bytes, SMMUv3 6.3.24), LOG2SIZE within
 * IDR1.SIDSIZE, and 2-level only if IDR0.ST_LEVEL says so.
 */
static void
conf_strtab_check(struct conf_parse *p, const struct conf_node *key,
    const struct conf_kv *kv, const struct conf_vm *vm,
    const struct conf_smmu *s)
{
	const struct conf_strtab *st = &s->strtab;
	const struct conf_region *r;
	uint64_t size, align, last;
	unsigned i;

	if (s->mode != CONF_MODE_GUEST) {
		conf_error(p, key, "'strtab' is only valid with mode guest");
		return;
	}
	if (st->log2size > s->feat.sid_bits) {
		conf_error(p, kv[ST_LOG2SIZE].val, "log2size %u exceeds "
		    "sid_bits %u", st->log2size, s->feat.sid_bits);
		return;
	}
	if (st->fmt == 1 && !s->feat.st_2level) {
		conf_error(p, kv[ST_FMT].val, "fmt 2level needs st_2level: "
		    "true (IDR0.ST_LEVEL)");
		return;
	}
	if (st->fmt == 0)
		size = 64ull << st->log2size;	/* 64-byte STEs */
	else				/* 8-byte L1STDs */
		size = 8ull << (st->log2size > st->split ?
		    st->log2size - st->split : 0);
	align = size > 64 ? size : 64;
	if (st->base % align != 0) {
		conf_error(p, kv[ST_BASE].val, "base 0x%llx is not aligned "
		    "to the table size (0x%llx bytes)",
		    (unsigned long long)st->base,
		    (unsigned long long)align);
		return;
	}
	if (st->base > UINT64_MAX - (size - 1)) {
		conf_error(p, kv[ST_BASE].val, "base 0x%llx + table size "
		    "0x%llx is beyond the 64-bit address space",
		    (unsigned long long)st->base, (unsigned long long)size);
		return;
	}
	last = st->base + (size - 1);
	if (s->feat.oas < 64 && last >> s->feat.oas != 0) {
		conf_error(p, kv[ST_BASE].val, "stream table 0x%llx..0x%llx "
		    "is beyond the %u-bit oas", (unsigned long long)st->base,
		    (unsigned long long)last, s->feat.oas);
		return;
	}
	for (i = 0; i < vm->nr_regions; i++) {
		r = &vm->regions[i];
		if (r->gpa <= st->base && last <= r->gpa + (r->size - 1))
			return;
	}
	conf_error(p, kv[ST_BASE].val, "stream table 0x%llx..0x%llx is not "
	    "inside a memory region of vm '%s'",
	    (unsigned long long)st->base, (unsigned long long)last,
	    vm->name);
}

/* Read a non-empty list of names[] into a bit mask (bit i: names[i]). */
static bool
conf_set(struct conf_parse *p, const struct conf_node *n, const char *key,
    const char *what, const char *const *names, unsigned nr,
    unsigned *ret)
{
	char q[80], b[64];
	unsigned i, v, mask = 0;
	bool ok = true;

	snprintf(q, sizeof(q), "'%s'", key);
	if (!conf_want(p, n, CONF_SEQ, q))
		return false;
	if (n->nr_kids == 0) {
		conf_error(p, n, "'%s' must not be empty", key);
		return false;
	}
	for (i = 0; i < n->nr_kids; i++) {
		if (!conf_enum(p, n->kids[i], what, names, nr, &v)) {
			ok = false;
			continue;
		}
		if (mask & (1u << v)) {
			conf_error(p, n->kids[i], "duplicate %s %s in '%s'",
			    what, conf_disp(n->kids[i], b, sizeof(b)), key);
			ok = false;
		}
		mask |= 1u << v;
	}
	if (ok)
		*ret = mask;
	return ok;
}

enum {
	TLB_ENTRIES, TLB_POLICY, TLB_NR
};
static const char *const conf_tlb_keys[] = { "entries", "policy", NULL };

/* The tlb mapping: capacity and replacement policy. */
static void
conf_tlb(struct conf_parse *p, const struct conf_node *n,
    struct smmu_features *f)
{
	struct conf_kv kv[TLB_NR];
	unsigned v;

	if (!conf_want(p, n, CONF_MAP, "'tlb'"))
		return;
	conf_map(p, n, "in tlb", conf_tlb_keys, kv);
	if (kv[TLB_ENTRIES].val != NULL)
		(void)conf_uint(p, kv[TLB_ENTRIES].val, "entries", 1,
		    CONF_ENTRIES_MAX, &f->tlb_entries);
	if (kv[TLB_POLICY].val != NULL &&
	    conf_enum(p, kv[TLB_POLICY].val, "policy", conf_policy_names,
	    NELEM(conf_policy_names), &v))
		f->tlb_policy = (enum smmu_tlb_policy)v;
}

enum {
	SM_NAME, SM_MODE, SM_STAGES, SM_GRANULES, SM_OAS, SM_SID_BITS,
	SM_SSID_BITS, SM_ST_2LEVEL, SM_CD_2LEVEL, SM_ASID16, SM_VMID16,
	SM_RIL, SM_HAD, SM_TERM_MODEL, SM_MSI, SM_COHERENT, SM_CMDQ_LOG2,
	SM_EVTQ_LOG2, SM_TLB, SM_CONFIG_CACHE, SM_STRTAB, SM_NR
};
static const char *const conf_smmu_keys[] = {
	"name", "mode", "stages", "granules", "oas", "sid_bits",
	"ssid_bits", "st_2level", "cd_2level", "asid16", "vmid16", "ril",
	"had", "term_model", "msi", "coherent", "cmdq_log2", "evtq_log2",
	"tlb", "config_cache", "strtab", NULL
};

/*
 * One SMMU: smmu_features_default() for what is omitted, then
 * smmu_features_check() on the result; its reason is reported at the
 * SMMU.  regions_ok says whether the VM's regions can be trusted for the
 * stream-table check.
 */
static void
conf_smmu(struct conf_parse *p, const struct conf_node *n,
    const struct conf_vm *vm, bool regions_ok, struct conf_smmu *s)
{
	static const struct {
		unsigned key;
		size_t off;
	} bools[] = {
		{ SM_ST_2LEVEL, offsetof(struct smmu_features, st_2level) },
		{ SM_CD_2LEVEL, offsetof(struct smmu_features, cd_2level) },
		{ SM_ASID16, offsetof(struct smmu_features, asid16) },
		{ SM_VMID16, offsetof(struct smmu_features, vmid16) },
		{ SM_RIL, offsetof(struct smmu_features, ril) },
		{ SM_HAD, offsetof(struct smmu_features, had) },
		{ SM_TERM_MODEL, offsetof(struct smmu_features, term_model) },
		{ SM_MSI, offsetof(struct smmu_features, msi) },
		{ SM_COHERENT, offsetof(struct smmu_features, coherent) },
	};
	struct smmu_features *f = &s->feat;
	struct conf_kv kv[SM_NR], st_kv[ST_NR];
	const struct conf_node *v;
	const char *why = NULL;
	unsigned i, x, errs = p->nr_errors;

	s->line = n->line;
	s->mode = CONF_MODE_GUEST;
	smmu_features_default(f);
	conf_map(p, n, "in smmu", conf_smmu_keys, kv);
	if (conf_require(p, n, &kv[SM_NAME], "name", "in smmu"))
		(void)conf_name(p, kv[SM_NAME].val, "smmu", s->name);
	if (kv[SM_MODE].val != NULL &&
	    conf_enum(p, kv[SM_MODE].val, "mode", conf_mode_names,
	    NELEM(conf_mode_names), &x))
		s->mode = (enum conf_mode)x;
	if (kv[SM_STAGES].val != NULL &&
	    conf_set(p, kv[SM_STAGES].val, "stages", "stage",
	    conf_stage_names, NELEM(conf_stage_names), &x)) {
		f->s1p = (x & 1) != 0;
		f->s2p = (x & 2) != 0;
	}
	/* Bit i of the set is conf_granule_names[i], as SMMU_GRAN_*. */
	if (kv[SM_GRANULES].val != NULL)
		(void)conf_set(p, kv[SM_GRANULES].val, "granules", "granule",
		    conf_granule_names, NELEM(conf_granule_names),
		    &f->granules);
	if ((v = kv[SM_OAS].val) != NULL &&
	    conf_uint(p, v, "oas", 0, 64, &x)) {
		if (smmu_pa_enc(x) < 0)
			conf_error(p, v, "oas %u is not supported (expected "
			    "32, 36, 40, 42, 44, 48, 52)", x);
		else
			f->oas = x;
	}
	if (kv[SM_SID_BITS].val != NULL)
		(void)conf_uint(p, kv[SM_SID_BITS].val, "sid_bits", 0, 32,
		    &f->sid_bits);
	if (kv[SM_SSID_BITS].val != NULL)
		(void)conf_uint(p, kv[SM_SSID_BITS].val, "ssid_bits", 0, 20,
		    &f->ssid_bits);
	for (i = 0; i < NELEM(bools); i++)
		if (kv[bools[i].key].val != NULL)
			(void)conf_bool(p, kv[bools[i].key].val,
			    conf_smmu_keys[bools[i].key],
			    (bool *)((char *)f + bools[i].off));
	if (kv[SM_CMDQ_LOG2].val != NULL)
		(void)conf_uint(p, kv[SM_CMDQ_LOG2].val, "cmdq_log2", 0, 19,
		    &f->cmdq_log2);
	if (kv[SM_EVTQ_LOG2].val != NULL)
		(void)conf_uint(p, kv[SM_EVTQ_LOG2].val, "evtq_log2", 0, 19,
		    &f->evtq_log2);
	if (kv[SM_TLB].val != NULL)
		conf_tlb(p, kv[SM_TLB].val, f);
	if (kv[SM_CONFIG_CACHE].val != NULL)
		(void)conf_uint(p, kv[SM_CONFIG_CACHE].val, "config_cache", 1,
		    CONF_ENTRIES_MAX, &f->cfg_entries);
	if (kv[SM_STRTAB].val != NULL)
		conf_strtab_parse(p, kv[SM_STRTAB].val, &s->strtab, st_kv);
	if (p->nr_errors != errs)
		return;
	if (smmu_features_check(f, &why) != 0) {
		conf_error(p, n, "smmu '%s': %s", s->name,
		    why != NULL ? why : "invalid features");
		return;
	}
	if (s->strtab.present && regions_ok)
		conf_strtab_check(p, kv[SM_STRTAB].key, st_kv, vm, s);
}

enum {
	VM_NAME, VM_MEMORY, VM_SMMUS, VM_NR
};
static const char *const conf_vm_keys[] = {
	"name", "memory", "smmus", NULL
};

/* One VM: its regions (names unique, no overlaps), then its SMMUs. */
static void
conf_vm(struct conf_parse *p, const struct conf_node *n, struct conf_vm *vm)
{
	struct conf_kv kv[VM_NR];
	const struct conf_node *l, **nodes = NULL;
	struct conf_named *names = NULL;
	unsigned i, nr_names = 0, errs;
	char in[CONF_NAME_MAX + 16];

	vm->line = n->line;
	conf_map(p, n, "in vm", conf_vm_keys, kv);
	if (conf_require(p, n, &kv[VM_NAME], "name", "in vm"))
		(void)conf_name(p, kv[VM_NAME].val, "vm", vm->name);
	snprintf(in, sizeof(in), " in vm '%s'", vm->name);

	errs = p->nr_errors;
	if (conf_require(p, n, &kv[VM_MEMORY], "memory", "in vm") &&
	    conf_want(p, (l = kv[VM_MEMORY].val), CONF_SEQ, "'memory'")) {
		if (l->nr_kids == 0)
			conf_error(p, l, "'memory' must list at least one "
			    "region");
		vm->regions = calloc(l->nr_kids + 1, sizeof(*vm->regions));
		nodes = calloc(l->nr_kids + 1, sizeof(*nodes));
		names = calloc(l->nr_kids + 1, sizeof(*names));
		if (vm->regions == NULL || nodes == NULL || names == NULL) {
			p->oom = true;
			goto out;
		}
		for (i = 0; i < l->nr_kids && !p->oom; i++) {
			struct conf_region *r = &vm->regions[vm->nr_regions];

			if (!conf_want(p, l->kids[i], CONF_MAP,
			    "an entry of 'memory'"))
				continue;
			nodes[vm->nr_regions++] = l->kids[i];
			conf_region(p, l->kids[i], r);
			if (r->name[0] != '\0') {
				names[nr_names].name = r->name;
				names[nr_names].node = l->kids[i];
				names[nr_names].idx = nr_names;
				nr_names++;
			}
		}
		conf_dups(p, names, nr_names, "region", in);
		conf_overlaps(p, vm, nodes);
	}

	if (conf_require(p, n, &kv[VM_SMMUS], "smmus", "in vm") &&
	    conf_want(p, (l = kv[VM_SMMUS].val), CONF_SEQ, "'smmus'")) {
		bool regions_ok = p->nr_errors == errs && vm->regions != NULL;

		if (l->nr_kids == 0)
			conf_error(p, l, "'smmus' must list at least one smmu");
		free(names);
		vm->smmus = calloc(l->nr_kids + 1, sizeof(*vm->smmus));
		names = calloc(l->nr_kids + 1, sizeof(*names));
		if (vm->smmus == NULL || names == NULL) {
			p->oom = true;
			goto out;
		}
		for (i = 0, nr_names = 0; i < l->nr_kids && !p->oom; i++) {
			struct conf_smmu *s = &vm->smmus[vm->nr_smmus];

			if (!conf_want(p, l->kids[i], CONF_MAP,
			    "an entry of 'smmus'"))
				continue;
			vm->nr_smmus++;
			conf_smmu(p, l->kids[i], vm, regions_ok, s);
			if (s->name[0] != '\0') {
				names[nr_names].name = s->name;
				names[nr_names].node = l->kids[i];
				names[nr_names].idx = nr_names;
				nr_names++;
			}
		}
		conf_dups(p, names, nr_names, "smmu", in);
	}
out:
	free(nodes);
	free(names);
}

enum {
	AC_UID, AC_GID, AC_VMS, AC_ADMIN, AC_NR
};
static const char *const conf_access_keys[] = {
	"uid", "gid", "vms", "admin", NULL
};

/* One access rule; its VM names must name VMs of c (already loaded). */
static void
conf_access(struct conf_parse *p, const struct conf_node *n,
    const struct smmud_conf *c, struct conf_access *a)
{
	struct conf_kv kv[AC_NR];
	const struct conf_node *l, *e;
	uint64_t v;
	unsigned i;
	char b[64];

	conf_map(p, n, "in access rule", conf_access_keys, kv);
	if (kv[AC_UID].val != NULL && kv[AC_GID].val != NULL)
		conf_error(p, n, "access rule has both 'uid' and 'gid' "
		    "(expected exactly one)");
	else if (kv[AC_UID].val == NULL && kv[AC_GID].val == NULL)
		conf_error(p, n, "access rule needs 'uid' or 'gid'");
	if (kv[AC_UID].val != NULL &&
	    conf_num(p, kv[AC_UID].val, "uid", false, 0, CONF_ID_MAX, &v)) {
		a->has_uid = true;
		a->uid = (uid_t)v;
	}
	if (kv[AC_GID].val != NULL &&
	    conf_num(p, kv[AC_GID].val, "gid", false, 0, CONF_ID_MAX, &v)) {
		a->has_gid = true;
		a->gid = (gid_t)v;
	}
	if (kv[AC_ADMIN].val != NULL)
		(void)conf_bool(p, kv[AC_ADMIN].val, "admin", &a->admin);
	a->all_vms = true;
	if ((l = kv[AC_VMS].val) == NULL || l->bad)
		return;
	if (l->kind == CONF_SCALAR) {
		if (strcmp(l->val, "all") != 0)
			conf_error(p, l, "'vms' must be all or a list of vm "
			    "names, not %s", conf_disp(l, b, sizeof(b)));
		return;
	}
	if (!conf_want(p, l, CONF_SEQ, "'vms'"))
		return;
	a->all_vms = false;
	if ((a->vms = calloc(l->nr_kids + 1, sizeof(*a->vms))) == NULL) {
		p->oom = true;
		return;
	}
	for (i = 0; i < l->nr_kids; i++) {
		e = l->kids[i];
		if (!conf_want(p, e, CONF_SCALAR, "an entry of 'vms'"))
			continue;
		if (conf_vm_find(c, e->val) == NULL) {
			conf_error(p, e, "access rule names unknown vm %s",
			    conf_disp(e, b, sizeof(b)));
			continue;
		}
		if ((a->vms[a->nr_vms] = strdup(e->val)) == NULL) {
			p->oom = true;
			return;
		}
		a->nr_vms++;
	}
}

enum {
	TOP_VERSION, TOP_SOCKET, TOP_STATE_DIR, TOP_WORKERS, TOP_MAX_FRAME,
	TOP_MAX_CLIENTS, TOP_LOG_LEVEL, TOP_ACCESS, TOP_VMS, TOP_NR
};
static const char *const conf_top_keys[] = {
	"version", "socket", "state_dir", "workers", "max_frame",
	"max_clients", "log_level", "access", "vms", NULL
};

/* Copy a string setting, replacing the default. */
static void
conf_set_str(struct conf_parse *p, const struct conf_node *n,
    const char *key, char **dst)
{
	const char *s;
	char *d;

	if (!conf_str(p, n, key, &s))
		return;
	if ((d = strdup(s)) == NULL) {
		p->oom = true;
		return;
	}
	free(*dst);
	*dst = d;
}

/*
 * The top-level mapping.  A version other than 1 stops here: the rest
 * may well be valid in that other version.
 */
static void
conf_top(struct conf_parse *p, const struct conf_node *root,
    struct smmud_conf *c)
{
	struct sockaddr_un sun;
	struct conf_kv kv[TOP_NR];
	const struct conf_node *l, *k;
	struct conf_named *names;
	uint64_t v;
	unsigned i, nr_names = 0;

	if (!conf_want(p, root, CONF_MAP, "the top level"))
		return;
	for (i = 0; i + 1 < root->nr_kids; i += 2) {
		k = root->kids[i];
		if (k->kind == CONF_SCALAR && !k->bad &&
		    strcmp(k->val, "version") == 0) {
			if (!conf_num(p, root->kids[i + 1], "version", false,
			    0, UINT64_MAX, &v))
				return;
			if (v != 1) {
				conf_error(p, root->kids[i + 1], "unsupported "
				    "version %llu (expected 1)",
				    (unsigned long long)v);
				return;
			}
			break;
		}
	}
	conf_map(p, root, "at top level", conf_top_keys, kv);
	(void)conf_require(p, root, &kv[TOP_VERSION], "version",
	    "at top level");
	if (kv[TOP_SOCKET].val != NULL) {
		conf_set_str(p, kv[TOP_SOCKET].val, "socket", &c->socket);
		if (strlen(c->socket) >= sizeof(sun.sun_path))
			conf_error(p, kv[TOP_SOCKET].val, "socket path is too "
			    "long (%zu bytes, at most %zu)",
			    strlen(c->socket), sizeof(sun.sun_path) - 1);
	}
	if (kv[TOP_STATE_DIR].val != NULL)
		conf_set_str(p, kv[TOP_STATE_DIR].val, "state_dir",
		    &c->state_dir);
	if (kv[TOP_WORKERS].val != NULL)
		(void)conf_uint(p, kv[TOP_WORKERS].val, "workers", 0,
		    CONF_WORKERS_MAX, &c->workers);
	if (kv[TOP_MAX_FRAME].val != NULL &&
	    conf_num(p, kv[TOP_MAX_FRAME].val, "max_frame", true,
	    CONF_FRAME_MIN, CONF_FRAME_MAX, &v))
		c->max_frame = (uint32_t)v;
	if (kv[TOP_MAX_CLIENTS].val != NULL)
		(void)conf_uint(p, kv[TOP_MAX_CLIENTS].val, "max_clients", 1,
		    CONF_CLIENTS_MAX, &c->max_clients);
	if (kv[TOP_LOG_LEVEL].val != NULL &&
	    conf_enum(p, kv[TOP_LOG_LEVEL].val, "log_level",
	    conf_level_names, NELEM(conf_level_names), &i))
		c->log_level = LOG_ERR + (int)i;

	if (conf_require(p, root, &kv[TOP_VMS], "vms", "at top level") &&
	    conf_want(p, (l = kv[TOP_VMS].val), CONF_SEQ, "'vms'")) {
		if (l->nr_kids == 0)
			conf_error(p, l, "'vms' must list at least one vm");
		c->vms = calloc(l->nr_kids + 1, sizeof(*c->vms));
		names = calloc(l->nr_kids + 1, sizeof(*names));
		if (c->vms == NULL || names == NULL) {
			free(names);
			p->oom = true;
			return;
		}
		for (i = 0; i < l->nr_kids && !p->oom; i++) {
			struct conf_vm *vm = &c->vms[c->nr_vms];

			if (!conf_want(p, l->kids[i], CONF_MAP,
			    "an entry of 'vms'"))
				continue;
			c->nr_vms++;
			conf_vm(p, l->kids[i], vm);
			if (vm->name[0] != '\0') {
				names[nr_names].name = vm->name;
				names[nr_names].node = l->kids[i];
				names[nr_names].idx = nr_names;
				nr_names++;
			}
		}
		conf_dups(p, names, nr_names, "vm", "");
		free(names);
	}

	if (kv[TOP_ACCESS].val != NULL &&
	    conf_want(p, (l = kv[TOP_ACCESS].val), CONF_SEQ, "'access'")) {
		c->access = calloc(l->nr_kids + 1, sizeof(*c->access));
		if (c->access == NULL) {
			p->oom = true;
			return;
		}
		for (i = 0; i < l->nr_kids && !p->oom; i++) {
			if (!conf_want(p, l->kids[i], CONF_MAP,
			    "an entry of 'access'"))
				continue;
			conf_access(p, l->kids[i], c,
			    &c->access[c->nr_access++]);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Entry points. */

/* qsort order of errors: by position, then as found. */
static int
conf_error_cmp(const void *a, const void *b)
{
	const struct conf_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Join the errors into one string, one "name:line:col: msg" a line. */
static char *
conf_errors_join(struct conf_parse *p)
{
	char *buf = NULL;
	size_t size = 0;
	unsigned i;
	FILE *f;

	qsort(p->errs, p->nr_errs, sizeof(p->errs[0]), conf_error_cmp);
	if ((f = open_memstream(&buf, &size)) == NULL)
		return NULL;
	if (p->oom)
		fprintf(f, "%s: out of memory\n", p->name);
	for (i = 0; i < p->nr_errs; i++) {
		if (p->errs[i].line == 0)
			fprintf(f, "%s: %s\n", p->name, p->errs[i].msg);
		else
			fprintf(f, "%s:%u:%u: %s\n", p->name, p->errs[i].line,
			    p->errs[i].col, p->errs[i].msg);
	}
	if (p->nr_errors > p->nr_errs)
		fprintf(f, "%s: %u more errors not shown\n", p->name,
		    p->nr_errors - p->nr_errs);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Load from text; dir is the base of relative image paths (or NULL). */
static int
conf_load_text(const char *name, const char *dir, const char *text,
    size_t len, struct smmud_conf **ret, char **ret_errors)
{
	struct conf_parse *p;
	struct conf_node *root = NULL;
	struct smmud_conf *c;
	unsigned i;
	int rc = -1;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		if (ret_errors != NULL)
			*ret_errors = NULL;
		return -1;
	}
	p->name = name;
	p->dir = dir;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(name)) == NULL ||
	    (c->socket = strdup(CONF_SOCKET_DEFAULT)) == NULL ||
	    (c->state_dir = strdup(CONF_STATE_DIR_DEFAULT)) == NULL) {
		p->oom = true;
		goto out;
	}
	c->max_frame = CONF_FRAME_DEFAULT;
	c->max_clients = CONF_CLIENTS_DEFAULT;
	c->log_level = LOG_INFO;

	if (len > CONF_FILE_MAX) {
		conf_errorf(p, 0, 0, "file is larger than 1 MiB");
		goto out;
	}
	if (!conf_tree_build(p, text, len, &root))
		goto out;
	if (root == NULL) {
		conf_errorf(p, 1, 1, "empty configuration (expected a "
		    "mapping with at least version and vms)");
		goto out;
	}
	conf_top(p, root, c);
out:
	conf_node_free(root);
	if (p->nr_errors == 0 && !p->oom) {
		*ret = c;
		c = NULL;
		rc = 0;
		if (ret_errors != NULL)
			*ret_errors = NULL;
	} else if (ret_errors != NULL)
		*ret_errors = conf_errors_join(p);
	for (i = 0; i < p->nr_errs; i++)
		free(p->errs[i].msg);
	free(p);
	conf_free(c);
	return rc;
}

int
conf_load_string(const char *name, const char *text, size_t len,
    struct smmud_conf **ret, char **ret_errors)
{
	return conf_load_text(name, NULL, text, len, ret, ret_errors);
}

/* Report a file-level problem (no position) as the only error. */
static int
conf_load_fail(const char *path, const char *msg, char **ret_errors)
{
	if (ret_errors != NULL &&
	    asprintf(ret_errors, "%s: %s\n", path, msg) == -1)
		*ret_errors = NULL;
	return -1;
}

/*
 * The directory of path, made absolute when possible so that image
 * paths still work after the daemon changes directory.
 */
static char *
conf_dir_of(const char *path)
{
	char *d, *slash;

	if ((d = realpath(path, NULL)) == NULL && (d = strdup(path)) == NULL)
		return NULL;
	if ((slash = strrchr(d, '/')) == NULL) {
		free(d);
		return strdup(".");
	}
	if (slash == d)
		slash[1] = '\0';
	else
		*slash = '\0';
	return d;
}

int
conf_load(const char *path, struct smmud_conf **ret, char **ret_errors)
{
	char *buf, *dir = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return conf_load_fail(path, strerror(errno), ret_errors);
	/* One byte past the cap tells "too large" from "exactly 1 MiB". */
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL) {
		(void)close(fd);
		return conf_load_fail(path, strerror(ENOMEM), ret_errors);
	}
	while (len <= CONF_FILE_MAX) {
		n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			(void)close(fd);
			free(buf);
			return conf_load_fail(path, strerror(saved),
			    ret_errors);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);
	if (len > CONF_FILE_MAX) {
		free(buf);
		return conf_load_fail(path, "file is larger than 1 MiB",
		    ret_errors);
	}
	if ((dir = conf_dir_of(path)) == NULL) {
		free(buf);
		return conf_load_fail(path, strerror(ENOMEM), ret_errors);
	}
	rc = conf_load_text(path, dir, buf, len, ret, ret_errors);
	free(dir);
	free(buf);
	return rc;
}

void
conf_free(struct smmud_conf *c)
{
	unsigned i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nr_access; i++) {
		for (j = 0; j < c->access[i].nr_vms; j++)
			free(c->access[i].vms[j]);
		free(c->access[i].vms);
	}
	free(c->access);
	for (i = 0; i < c->nr_vms; i++) {
		for (j = 0; j < c->vms[i].nr_regions; j++)
			free(c->vms[i].regions[j].path);
		free(c->vms[i].regions);
		free(c->vms[i].smmus);
	}
	free(c->vms);
	free(c->path);
	free(c->socket);
	free(c->state_dir);
	free(c);
}

const struct conf_vm *
conf_vm_find(const struct smmud_conf *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->nr_vms; i++)
		if (strcmp(c->vms[i].name, name) == 0)
			return &c->vms[i];
	return NULL;
}

/*
 * Print s as a YAML scalar: plain when it is made only of characters
 * that cannot be mistaken for syntax, else double-quoted with escapes.
 */
static void
conf_print_str(FILE *out, const char *s)
{
	const unsigned char *u;
	bool plain = s[0] != '\0' && s[0] != '-';

	for (u = (const unsigned char *)s; *u != '\0' && plain; u++)
		plain = (*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') ||
		    (*u >= '0' && *u <= '9') || *u == '_' || *u == '.' ||
		    *u == '/' || *u == '-' || *u == '+';
	if (plain) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (u = (const unsigned char *)s; *u != '\0'; u++) {
		if (*u == '"' || *u == '\\')
			fprintf(out, "\\%c", *u);
		else if (*u < 0x20 || *u == 0x7f)
			fprintf(out, "\\x%02x", *u);
		else
			fputc(*u, out);
	}
	fputc('"', out);
}

/* Print a flow sequence of the names whose bit is set in mask. */
static void
conf_print_set(FILE *out, const char *key, unsigned mask,
    const char *const *names, unsigned nr)
{
	unsigned i;
	bool first = true;

	fprintf(out, "        %s: [", key);
	for (i = 0; i < nr; i++) {
		if (!(mask & (1u << i)))
			continue;
		fprintf(out, "%s%s", first ? "" : ", ", names[i]);
		first = false;
	}
	fputs("]\n", out);
}

/* Print one SMMU, every key included. */
static void
conf_print_smmu(FILE *out, const struct conf_smmu *s)
{
	const struct smmu_features *f = &s->feat;
	const char *policy = smmu_tlb_policy_name(f->tlb_policy);

	fputs("      - name: ", out);
	conf_print_str(out, s->name);
	fprintf(out, "\n        mode: %s\n", conf_mode_names[s->mode]);
	conf_print_set(out, "stages", (f->s1p ? 1u : 0) | (f->s2p ? 2u : 0),
	    conf_stage_names, NELEM(conf_stage_names));
	conf_print_set(out, "granules", f->granules, conf_granule_names,
	    NELEM(conf_granule_names));
	fprintf(out, "        oas: %u\n", f->oas);
	fprintf(out, "        sid_bits: %u\n", f->sid_bits);
	fprintf(out, "        ssid_bits: %u\n", f->ssid_bits);
	fprintf(out, "        st_2level: %s\n",
	    f->st_2level ? "true" : "false");
	fprintf(out, "        cd_2level: %s\n",
	    f->cd_2level ? "true" : "false");
	fprintf(out, "        asid16: %s\n", f->asid16 ? "true" : "false");
	fprintf(out, "        vmid16: %s\n", f->vmid16 ? "true" : "false");
	fprintf(out, "        ril: %s\n", f->ril ? "true" : "false");
	fprintf(out, "        had: %s\n", f->had ? "true" : "false");
	fprintf(out, "        term_model: %s\n",
	    f->term_model ? "true" : "false");
	fprintf(out, "        msi: %s\n", f->msi ? "true" : "false");
	fprintf(out, "        coherent: %s\n", f->coherent ? "true" : "false");
	fprintf(out, "        cmdq_log2: %u\n", f->cmdq_log2);
	fprintf(out, "        evtq_log2: %u\n", f->evtq_log2);
	fprintf(out, "        tlb:\n          entries: %u\n"
	    "          policy: %s\n", f->tlb_entries,
	    policy != NULL ? policy : "lru");
	fprintf(out, "        config_cache: %u\n", f->cfg_entries);
	if (!s->strtab.present)
		return;
	fprintf(out, "        strtab:\n          base: 0x%llx\n"
	    "          log2size: %u\n          split: %u\n"
	    "          fmt: %s\n          enabled: %s\n",
	    (unsigned long long)s->strtab.base, s->strtab.log2size,
	    s->strtab.split, conf_fmt_names[s->strtab.fmt ? 1 : 0],
	    s->strtab.enabled ? "true" : "false");
}

void
conf_print(const struct smmud_conf *c, FILE *out)
{
	const struct conf_access *a;
	const struct conf_region *r;
	const struct conf_vm *vm;
	unsigned i, j;
	int lvl = c->log_level;

	if (lvl < LOG_ERR || lvl > LOG_DEBUG)
		lvl = LOG_INFO;
	fputs("version: 1\nsocket: ", out);
	conf_print_str(out, c->socket);
	fputs("\nstate_dir: ", out);
	conf_print_str(out, c->state_dir);
	fprintf(out, "\nworkers: %u\nmax_frame: 0x%x\nmax_clients: %u\n"
	    "log_level: %s\n", c->workers, (unsigned)c->max_frame,
	    c->max_clients, conf_level_names[lvl - LOG_ERR]);
	fputs(c->nr_access == 0 ? "access: []\n" : "access:\n", out);
	for (i = 0; i < c->nr_access; i++) {
		a = &c->access[i];
		if (a->has_uid)
			fprintf(out, "  - uid: %u\n", (unsigned)a->uid);
		else
			fprintf(out, "  - gid: %u\n", (unsigned)a->gid);
		if (a->all_vms)
			fputs("    vms: all\n", out);
		else {
			fputs("    vms: [", out);
			for (j = 0; j < a->nr_vms; j++) {
				if (j > 0)
					fputs(", ", out);
				conf_print_str(out, a->vms[j]);
			}
			fputs("]\n", out);
		}
		fprintf(out, "    admin: %s\n", a->admin ? "true" : "false");
	}
	fputs("vms:\n", out);
	for (i = 0; i < c->nr_vms; i++) {
		vm = &c->vms[i];
		fputs("  - name: ", out);
		conf_print_str(out, vm->name);
		fputs("\n    memory:\n", out);
		for (j = 0; j < vm->nr_regions; j++) {
			r = &vm->regions[j];
			fputs("      - name: ", out);
			conf_print_str(out, r->name);
			fprintf(out, "\n        gpa: 0x%llx\n"
			    "        size: 0x%llx\n        backing: %s\n",
			    (unsigned long long)r->gpa,
			    (unsigned long long)r->size,
			    conf_backing_names[r->backing]);
			if (r->backing == GMEM_ANON)
				fprintf(out, "        thp: %s\n",
				    r->thp ? "true" : "false");
			if (r->backing == GMEM_FILE) {
				fputs("        path: ", out);
				conf_print_str(out, r->path);
				fprintf(out, "\n        offset: 0x%llx\n",
				    (unsigned long long)r->offset);
			}
		}
		fputs("    smmus:\n", out);
		for (j = 0; j < vm->nr_smmus; j++)
			conf_print_smmu(out, &vm->smmus[j]);
	}
}
