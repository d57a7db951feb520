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
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* Record an error at line:col (line 0: no position). */
static void
conf_errorf(struct conf_parse *p, unsigned line, unsigned col,
    const char *fmt, ...)
{
	struct conf_error *e;
	va_list ap;

	p->nr_errors++;
	if (p->nr_errs == CONF_ERRORS_MAX)
		return;
	e = &p->errs[p->nr_errs];
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) == -1) {
		e->msg = NULL;
		p->oom = true;
	}
	va_end(ap);
	if (e->msg == NULL)
		return;
	e->line = line;
	e->col = col;
	e->seq = p->nr_errs++;
}

/* Record an error at node n. */
static void
conf_error(struct conf_parse *p, const struct conf_node *n,
    const char *fmt, ...)
{
	struct conf_error *e;
	va_list ap;

	p->nr_errors++;
	if (p->nr_errs == CONF_ERRORS_MAX)
		return;
	e = &p->errs[p->nr_errs];
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) == -1) {
		e->msg = NULL;
		p->oom = true;
	}
	va_end(ap);
	if (e->msg == NULL)
		return;
	e->line = n->line;
	e->col = n->col;
	e->seq = p->nr_errs++;
}

/*
 * Copy s (len bytes) into buf for a message: at most about 48 bytes,
 * control characters replaced by '?', wrapped in q unless q is 0.
 */
static const char *
conf_disp_raw(const char *s, size_t len, char q, char *buf, size_t size)
{
	size_t i, o = 0, max = size - 5;

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
		s = (const char *)tag;
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
/* Typed access to nodes.  Every getter is silent on a node already
 * reported (n->bad) and returns false. */

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

/* Check that a file image exists and covers offset + size. */
static void
conf_image_check(struct conf_parse *p, const struct conf_node *n,
    const struct conf_region *r)
{
	struct stat st;
	char b[64];
	int fd;

	if ((fd = open(r->path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		conf_error(p, n, "cannot open image %s: %s",
		    conf_disp_raw(r->path, strlen(r->path), '\'', b,
		    sizeof(b)), strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return;
	}
	(void)close(fd);
	if (S_ISDIR(st.st_mode))
		conf_error(p, n, "image %s is a directory",
		    conf_disp_raw(r->path, strlen(r->path), '\'', b,
		    sizeof(b)));
	else if (S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size < r->offset + r->size)
		conf_error(p, n, "image %s is too small (0x%llx bytes, "
		    "offset + size is 0x%llx)",
		    conf_disp_raw(r->path, strlen(r->path), '\'', b,
		    sizeof(b)), (unsigned long long)st.st_size,
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
	if (ok_gpa && ok_size && gpa + size < gpa + 1) {
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
			else if (ok_size && v + size < v)
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
