/*
 * output_json.c - smmuctl's --json renderer (json-c).
 *
 * Each command prints one JSON object.  Addresses and sizes in bytes are
 * "0x..." strings (exact, and readable next to the spec); counters and
 * identifiers are numbers (json_object_new_uint64 keeps 64-bit counters
 * exact).  Names are the protobuf field names of smmu.proto.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "smmu_client.h"
#include "smmuctl.h"

/*
 * Add key: val to obj, taking ownership of val.  A NULL val (json-c out
 * of memory) sets *bad; so does a failed add.
 */
static void
js_add(struct json_object *obj, const char *key, struct json_object *val,
    bool *bad)
{
	if (val == NULL || obj == NULL) {
		json_object_put(val);
		*bad = true;
		return;
	}
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		*bad = true;
	}
}

/* Append val to the array arr, taking ownership. */
static void
js_push(struct json_object *arr, struct json_object *val, bool *bad)
{
	if (val == NULL || arr == NULL) {
		json_object_put(val);
		*bad = true;
		return;
	}
	if (json_object_array_add(arr, val) != 0) {
		json_object_put(val);
		*bad = true;
	}
}

/* An address as a "0x..." string. */
static struct json_object *
js_hex(uint64_t v)
{
	char buf[24];

	(void)snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_object_new_string(buf);
}

static struct json_object *
js_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static struct json_object *
js_str(const char *s)
{
	return json_object_new_string(s != NULL ? s : "");
}

/* Print obj as the command's output, free it.  Returns 0 or -1. */
static int
js_print(struct json_object *obj, bool bad)
{
	const char *s;
	int rc = -1;

	if (obj != NULL && !bad) {
		s = json_object_to_json_string_ext(obj,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
		if (s != NULL && printf("%s\n", s) >= 0)
			rc = 0;
	}
	json_object_put(obj);
	return rc;
}

static int
js_version(const char *ctl_version, const char *lib_version,
    const struct smmu_client_info *info)
{
	struct json_object *o, *c, *s, *vms, *vm, *smmus, *feat;
	bool bad = false;
	size_t i, j;

	o = json_object_new_object();
	c = json_object_new_object();
	js_add(c, "smmuctl", js_str(ctl_version), &bad);
	js_add(c, "libsmmuclient", js_str(lib_version), &bad);
	js_add(o, "client", c, &bad);
	s = json_object_new_object();
	js_add(s, "server_version", js_str(info->server_version), &bad);
	js_add(s, "protocol_version", js_u64(info->protocol_version), &bad);
	js_add(s, "max_frame", js_u64(info->max_frame), &bad);
	feat = json_object_new_array();
	for (i = 0; i < info->nr_features; i++)
		js_push(feat, js_str(info->features[i]), &bad);
	js_add(s, "features", feat, &bad);
	vms = json_object_new_array();
	for (i = 0; i < info->nr_vms; i++) {
		vm = json_object_new_object();
		js_add(vm, "name", js_str(info->vms[i].name), &bad);
		smmus = json_object_new_array();
		for (j = 0; j < info->vms[i].nr_smmus; j++)
			js_push(smmus, js_str(info->vms[i].smmus[j]), &bad);
		js_add(vm, "smmus", smmus, &bad);
		js_push(vms, vm, &bad);
	}
	js_add(s, "vms", vms, &bad);
	js_add(o, "server", s, &bad);
	return js_print(o, bad);
}

static int
js_attach(const char *smmu, const char *device, uint32_t sid)
{
	struct json_object *o = json_object_new_object();
	bool bad = false;

	js_add(o, "smmu", js_str(smmu), &bad);
	js_add(o, "device", js_str(device), &bad);
	js_add(o, "sid", js_u64(sid), &bad);
	return js_print(o, bad);
}

static int
js_detach(const char *smmu, const char *device)
{
	struct json_object *o = json_object_new_object();
	bool bad = false;

	js_add(o, "smmu", js_str(smmu), &bad);
	js_add(o, "device", js_str(device), &bad);
	js_add(o, "detached", json_object_new_boolean(1), &bad);
	return js_print(o, bad);
}

static int
js_devices(const struct smmu_client_device *devs, size_t nr)
{
	struct json_object *o, *arr, *d, *w;
	bool bad = false;
	size_t i;

	o = json_object_new_object();
	arr = json_object_new_array();
	for (i = 0; i < nr; i++) {
		d = json_object_new_object();
		js_add(d, "smmu", js_str(devs[i].smmu), &bad);
		js_add(d, "name", js_str(devs[i].name), &bad);
		js_add(d, "sid", js_u64(devs[i].sid), &bad);
		if (devs[i].has_window) {
			w = json_object_new_object();
			js_add(w, "start", js_hex(devs[i].window.start),
			    &bad);
			js_add(w, "end", js_hex(devs[i].window.end), &bad);
			js_add(d, "window", w, &bad);
		}
		js_push(arr, d, &bad);
	}
	js_add(o, "devices", arr, &bad);
	return js_print(o, bad);
}

/* The request part of a translation answer. */
static void
js_txn(struct json_object *o, const char *smmu,
    const struct smmu_client_txn *txn, bool *bad)
{
	js_add(o, "smmu", js_str(smmu), bad);
	js_add(o, "sid", js_u64(txn->sid), bad);
	if (txn->ssv)
		js_add(o, "ssid", js_u64(txn->ssid), bad);
	js_add(o, "iova", js_hex(txn->iova), bad);
	js_add(o, "access", js_u64(txn->access), bad);
}

static int
js_mapping(const char *smmu, const struct smmu_client_txn *txn,
    const struct smmu_client_mapping *map)
{
	struct json_object *o = json_object_new_object();
	char perm[4];
	bool bad = false;

	js_txn(o, smmu, txn, &bad);
	js_add(o, "output", js_hex(map->output), &bad);
	js_add(o, "start", js_hex(map->start), &bad);
	js_add(o, "size", map->size_log2 < 64 ?
	    js_hex((uint64_t)1 << map->size_log2) :
	    js_str("0x10000000000000000"), &bad);
	js_add(o, "size_log2", js_u64(map->size_log2), &bad);
	js_add(o, "perm", js_str(ctl_perm_str(map->perm, perm)), &bad);
	js_add(o, "tlb_hit", json_object_new_boolean(map->tlb_hit), &bad);
	js_add(o, "bypass", json_object_new_boolean(map->bypass), &bad);
	return js_print(o, bad);
}

static int
js_fault(const char *smmu, const struct smmu_client_txn *txn,
    const struct smmu_client_fault *f)
{
	struct json_object *o, *jf;
	bool bad = false;

	o = json_object_new_object();
	js_txn(o, smmu, txn, &bad);
	jf = json_object_new_object();
	js_add(jf, "type", js_u64(f->type), &bad);
	js_add(jf, "type_name", js_str(f->type_name), &bad);
	js_add(jf, "sid", js_u64(f->sid), &bad);
	js_add(jf, "ssid", js_u64(f->ssid), &bad);
	js_add(jf, "ssv", json_object_new_boolean(f->ssv), &bad);
	js_add(jf, "input_addr", js_hex(f->input_addr), &bad);
	js_add(jf, "ipa", js_hex(f->ipa), &bad);
	js_add(jf, "fetch_addr", js_hex(f->fetch_addr), &bad);
	js_add(jf, "rnw", json_object_new_boolean(f->rnw), &bad);
	js_add(jf, "ind", json_object_new_boolean(f->ind), &bad);
	js_add(jf, "pnu", json_object_new_boolean(f->pnu), &bad);
	js_add(jf, "s2", json_object_new_boolean(f->s2), &bad);
	js_add(jf, "class", js_u64(f->fault_class), &bad);
	js_add(jf, "class_name", js_str(ctl_class_name(f->fault_class)),
	    &bad);
	js_add(jf, "recorded", json_object_new_boolean(f->recorded), &bad);
	js_add(jf, "abort", json_object_new_boolean(f->abort), &bad);
	js_add(jf, "detail", js_str(f->detail), &bad);
	js_add(o, "fault", jf, &bad);
	return js_print(o, bad);
}

static int
js_invalidate(const char *smmu, const struct smmu_client_inv *inv,
    uint64_t dropped)
{
	struct json_object *o = json_object_new_object();
	bool bad = false;

	js_add(o, "smmu", js_str(smmu), &bad);
	js_add(o, "scope", js_str(ctl_inv_scope_name(inv->scope)), &bad);
	switch (inv->scope) {
	case SMMU_CLIENT_INV_SID:
		js_add(o, "sid", js_u64(inv->sid), &bad);
		break;
	case SMMU_CLIENT_INV_ASID:
		js_add(o, "asid", js_u64(inv->asid), &bad);
		js_add(o, "vmid", js_u64(inv->vmid), &bad);
		break;
	case SMMU_CLIENT_INV_VMID:
		js_add(o, "vmid", js_u64(inv->vmid), &bad);
		break;
	case SMMU_CLIENT_INV_RANGE:
		js_add(o, "iova", js_hex(inv->iova), &bad);
		js_add(o, "size", js_hex(inv->size), &bad);
		if (inv->has_asid)
			js_add(o, "asid", js_u64(inv->asid), &bad);
		js_add(o, "vmid", js_u64(inv->vmid), &bad);
		js_add(o, "leaf", json_object_new_boolean(inv->leaf), &bad);
		break;
	default:
		break;
	}
	js_add(o, "dropped", js_u64(dropped), &bad);
	return js_print(o, bad);
}

/* Translation counters as an object. */
static struct json_object *
js_counters(const struct smmu_client_counters *c, bool *bad)
{
	struct json_object *o, *arr, *ft;
	size_t i;

	o = json_object_new_object();
	js_add(o, "translations", js_u64(c->translations), bad);
	js_add(o, "tlb_hits", js_u64(c->tlb_hits), bad);
	js_add(o, "tlb_misses", js_u64(c->tlb_misses), bad);
	js_add(o, "walks", js_u64(c->walks), bad);
	js_add(o, "faults", js_u64(c->faults), bad);
	js_add(o, "bypassed", js_u64(c->bypassed), bad);
	arr = json_object_new_array();
	for (i = 0; i < c->nr_faults_by_type; i++) {
		ft = json_object_new_object();
		js_add(ft, "type", js_u64(c->faults_by_type[i].type), bad);
		js_add(ft, "name", js_str(c->faults_by_type[i].name), bad);
		js_add(ft, "count", js_u64(c->faults_by_type[i].count), bad);
		js_push(arr, ft, bad);
	}
	js_add(o, "faults_by_type", arr, bad);
	return o;
}

/* Cache counters as an object. */
static struct json_object *
js_cache(const struct smmu_client_cache_stats *c, bool *bad)
{
	struct json_object *o = json_object_new_object();

	js_add(o, "hits", js_u64(c->hits), bad);
	js_add(o, "misses", js_u64(c->misses), bad);
	js_add(o, "insertions", js_u64(c->insertions), bad);
	js_add(o, "evictions", js_u64(c->evictions), bad);
	js_add(o, "invalidations", js_u64(c->invalidations), bad);
	js_add(o, "entries", js_u64(c->entries), bad);
	js_add(o, "capacity", js_u64(c->capacity), bad);
	return o;
}

static int
js_stats(const struct smmu_client_stats *st)
{
	const struct smmu_client_daemon_stats *d = &st->daemon;
	const struct smmu_client_smmu_stats *s;
	struct json_object *o, *jd, *arr, *js, *streams, *jst;
	bool bad = false;
	size_t i, j;

	o = json_object_new_object();
	jd = json_object_new_object();
	js_add(jd, "uptime_ms", js_u64(d->uptime_ms), &bad);
	js_add(jd, "clients", js_u64(d->clients), &bad);
	js_add(jd, "requests", js_u64(d->requests), &bad);
	js_add(jd, "errors", js_u64(d->errors), &bad);
	js_add(jd, "bytes_in", js_u64(d->bytes_in), &bad);
	js_add(jd, "bytes_out", js_u64(d->bytes_out), &bad);
	js_add(jd, "workers", js_u64(d->workers), &bad);
	js_add(jd, "rss_bytes", js_u64(d->rss_bytes), &bad);
	js_add(o, "daemon", jd, &bad);
	arr = json_object_new_array();
	for (i = 0; i < st->nr_smmus; i++) {
		s = &st->smmus[i];
		js = json_object_new_object();
		js_add(js, "smmu", js_str(s->smmu), &bad);
		js_add(js, "counters", js_counters(&s->counters, &bad), &bad);
		js_add(js, "tlb", js_cache(&s->tlb, &bad), &bad);
		js_add(js, "cfg", js_cache(&s->cfg, &bad), &bad);
		streams = json_object_new_array();
		for (j = 0; j < s->nr_streams; j++) {
			jst = json_object_new_object();
			js_add(jst, "sid", js_u64(s->streams[j].sid), &bad);
			js_add(jst, "counters",
			    js_counters(&s->streams[j].counters, &bad), &bad);
			js_push(streams, jst, &bad);
		}
		js_add(js, "streams", streams, &bad);
		js_push(arr, js, &bad);
	}
	js_add(o, "smmus", arr, &bad);
	return js_print(o, bad);
}

static int
js_mem_read(const char *vm, uint64_t gpa, const uint8_t *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	struct json_object *o = json_object_new_object();
	bool bad = false;
	char *s;
	size_t i;

	s = malloc(2 * len + 1);
	if (s == NULL) {
		json_object_put(o);
		return -1;
	}
	for (i = 0; i < len; i++) {
		s[2 * i] = hex[data[i] >> 4];
		s[2 * i + 1] = hex[data[i] & 0xf];
	}
	s[2 * len] = '\0';
	js_add(o, "vm", js_str(vm), &bad);
	js_add(o, "gpa", js_hex(gpa), &bad);
	js_add(o, "len", js_u64(len), &bad);
	js_add(o, "data", js_str(s), &bad);
	free(s);
	return js_print(o, bad);
}

static int
js_mem_write(const char *vm, uint64_t gpa, size_t len, const char *file)
{
	struct json_object *o = json_object_new_object();
	bool bad = false;

	js_add(o, "vm", js_str(vm), &bad);
	js_add(o, "gpa", js_hex(gpa), &bad);
	js_add(o, "len", js_u64(len), &bad);
	if (file != NULL)
		js_add(o, "file", js_str(file), &bad);
	return js_print(o, bad);
}

static int
js_finish(void)
{
	return fflush(stdout) != 0 || ferror(stdout) ? -1 : 0;
}

const struct ctl_output ctl_output_json = {
	.version = js_version,
	.attach = js_attach,
	.detach = js_detach,
	.devices = js_devices,
	.mapping = js_mapping,
	.fault = js_fault,
	.invalidate = js_invalidate,
	.stats = js_stats,
	.mem_read = js_mem_read,
	.mem_write = js_mem_write,
	.finish = js_finish,
};
