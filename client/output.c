/*
 * output.c - smmuctl's human-readable renderer (and the helpers the JSON
 * renderer shares).
 *
 * Strings that come from the daemon (names, fault details) are printed
 * with control characters replaced by '?', so a hostile or broken server
 * cannot drive the terminal.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "smmu_client.h"
#include "smmuctl.h"

const char *
ctl_perm_str(unsigned perm, char *buf)
{
	buf[0] = (perm & SMMU_CLIENT_PERM_R) ? 'r' : '-';
	buf[1] = (perm & SMMU_CLIENT_PERM_W) ? 'w' : '-';
	buf[2] = (perm & SMMU_CLIENT_PERM_X) ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

const char *
ctl_class_name(uint32_t cls)
{
	/* Event record CLASS, SMMUv3 section 7.3 (dw1[41:40]). */
	switch (cls) {
	case 0: return "CD";
	case 1: return "TT";
	case 2: return "IN";
	default: return "?";
	}
}

const char *
ctl_inv_scope_name(enum smmu_client_inv_scope scope)
{
	switch (scope) {
	case SMMU_CLIENT_INV_ALL: return "all";
	case SMMU_CLIENT_INV_SID: return "sid";
	case SMMU_CLIENT_INV_ASID: return "asid";
	case SMMU_CLIENT_INV_VMID: return "vmid";
	case SMMU_CLIENT_INV_RANGE: return "range";
	default: return "?";
	}
}

/* Print a server-supplied string with control characters neutralised. */
static void
out_str(const char *s)
{
	for (; *s != '\0'; s++)
		putchar(iscntrl((unsigned char)*s) ? '?' : *s);
}

/* A power-of-two size as "4K", "2M", "1G", else bytes in hex. */
static void
out_size_log2(unsigned log2)
{
	static const char units[] = "BKMGTPE";

	if (log2 >= 64)
		printf("16E");
	else
		printf("%" PRIu64 "%c", (uint64_t)1 << (log2 % 10),
		    units[log2 / 10]);
}

static int
out_version(const char *ctl_version, const char *lib_version,
    const struct smmu_client_info *info)
{
	size_t i, j;

	printf("smmuctl %s (libsmmuclient %s)\n", ctl_version, lib_version);
	printf("smmud ");
	out_str(info->server_version);
	printf(" (protocol %" PRIu32 ", max frame %" PRIu32 ")\n",
	    info->protocol_version, info->max_frame);
	for (i = 0; i < info->nr_vms; i++) {
		printf("vm ");
		out_str(info->vms[i].name);
		printf(":");
		for (j = 0; j < info->vms[i].nr_smmus; j++) {
			printf(" ");
			out_str(info->vms[i].smmus[j]);
		}
		printf("\n");
	}
	return 0;
}

static int
out_attach(const char *smmu, const char *device, uint32_t sid)
{
	printf("attached %s to %s: sid %" PRIu32 "\n", device, smmu, sid);
	return 0;
}

static int
out_detach(const char *smmu, const char *device)
{
	printf("detached %s from %s\n", device, smmu);
	return 0;
}

static int
out_devices(const struct smmu_client_device *devs, size_t nr)
{
	size_t i;
	int n;

	if (nr == 0) {
		printf("no devices attached\n");
		return 0;
	}
	printf("%-20s %-24s %10s  %s\n", "SMMU", "DEVICE", "SID", "WINDOW");
	for (i = 0; i < nr; i++) {
		n = 0;
		out_str(devs[i].smmu);
		n = (int)strlen(devs[i].smmu);
		printf("%*s ", n < 20 ? 20 - n : 0, "");
		out_str(devs[i].name);
		n = (int)strlen(devs[i].name);
		printf("%*s %10" PRIu32 "  ", n < 24 ? 24 - n : 0, "",
		    devs[i].sid);
		if (devs[i].has_window)
			printf("0x%" PRIx64 "-0x%" PRIx64 "\n",
			    devs[i].window.start, devs[i].window.end);
		else
			printf("-\n");
	}
	return 0;
}

static int
out_mapping(const char *smmu, const struct smmu_client_txn *txn,
    const struct smmu_client_mapping *map)
{
	char perm[4];

	printf("iova 0x%" PRIx64 " -> 0x%" PRIx64 "\n", txn->iova,
	    map->output);
	printf("mapping 0x%" PRIx64 " size ", map->start);
	out_size_log2(map->size_log2);
	printf(" (2^%u) perm %s %s%s\n", map->size_log2,
	    ctl_perm_str(map->perm, perm),
	    map->tlb_hit ? "tlb hit" : "tlb miss",
	    map->bypass ? " bypass" : "");
	return 0;
}

static int
out_fault(const char *smmu, const struct smmu_client_txn *txn,
    const struct smmu_client_fault *f)
{
	printf("fault: ");
	out_str(f->type_name[0] != '\0' ? f->type_name : "UNKNOWN");
	printf(" (0x%02" PRIx32 ") sid %" PRIu32 " iova 0x%" PRIx64,
	    f->type, f->sid, f->input_addr);
	if (f->ssv)
		printf(" ssid %" PRIu32, f->ssid);
	printf(" %s%s %s", f->rnw ? "read" : "write", f->ind ? " exec" : "",
	    f->pnu ? "priv" : "unpriv");
	if (f->s2)
		printf(" stage 2 ipa 0x%" PRIx64 " class %s", f->ipa,
		    ctl_class_name(f->fault_class));
	if (f->fetch_addr != 0)
		printf(" fetch 0x%" PRIx64, f->fetch_addr);
	printf("%s%s\n", f->recorded ? " recorded" : "",
	    f->abort ? " abort" : " raz/wi");
	if (f->detail[0] != '\0') {
		printf("  detail: ");
		out_str(f->detail);
		printf("\n");
	}
	return 0;
}

static int
out_invalidate(const char *smmu, const struct smmu_client_inv *inv,
    uint64_t dropped)
{
	printf("invalidated %s (%s", smmu, ctl_inv_scope_name(inv->scope));
	switch (inv->scope) {
	case SMMU_CLIENT_INV_SID:
		printf(" %" PRIu32, inv->sid);
		break;
	case SMMU_CLIENT_INV_ASID:
		printf(" %" PRIu32 " vmid %" PRIu32, inv->asid, inv->vmid);
		break;
	case SMMU_CLIENT_INV_VMID:
		printf(" %" PRIu32, inv->vmid);
		break;
	case SMMU_CLIENT_INV_RANGE:
		printf(" 0x%" PRIx64 " size 0x%" PRIx64, inv->iova,
		    inv->size);
		if (inv->has_asid)
			printf(" asid %" PRIu32, inv->asid);
		printf(" vmid %" PRIu32 "%s", inv->vmid,
		    inv->leaf ? " leaf" : "");
		break;
	default:
		break;
	}
	printf("): %" PRIu64 " entries dropped\n", dropped);
	return 0;
}

/* One line of translation counters plus the per-type fault counts. */
static void
out_counters(const char *indent, const struct smmu_client_counters *c)
{
	size_t i;

	printf("%stranslations %" PRIu64 ", tlb hits %" PRIu64
	    ", tlb misses %" PRIu64 ", walks %" PRIu64 ", faults %" PRIu64
	    ", bypassed %" PRIu64 "\n", indent, c->translations, c->tlb_hits,
	    c->tlb_misses, c->walks, c->faults, c->bypassed);
	if (c->nr_faults_by_type == 0)
		return;
	printf("%sfaults by type:", indent);
	for (i = 0; i < c->nr_faults_by_type; i++) {
		printf(" ");
		out_str(c->faults_by_type[i].name);
		printf(" (0x%02" PRIx32 ") %" PRIu64,
		    c->faults_by_type[i].type, c->faults_by_type[i].count);
	}
	printf("\n");
}

/* A cache's counters on one line. */
static void
out_cache(const char *name, const struct smmu_client_cache_stats *c)
{
	printf("  %s: entries %" PRIu64 "/%" PRIu64 ", hits %" PRIu64
	    ", misses %" PRIu64 ", insertions %" PRIu64 ", evictions %"
	    PRIu64 ", invalidations %" PRIu64 "\n", name, c->entries,
	    c->capacity, c->hits, c->misses, c->insertions, c->evictions,
	    c->invalidations);
}

static int
out_stats(const struct smmu_client_stats *st)
{
	const struct smmu_client_daemon_stats *d = &st->daemon;
	const struct smmu_client_smmu_stats *s;
	size_t i, j;

	printf("daemon: uptime %" PRIu64 ".%03" PRIu64 " s, workers %"
	    PRIu32 ", clients %" PRIu32 ", rss %" PRIu64 " KiB\n",
	    d->uptime_ms / 1000, d->uptime_ms % 1000, d->workers, d->clients,
	    d->rss_bytes / 1024);
	printf("  requests %" PRIu64 ", errors %" PRIu64 ", bytes in %"
	    PRIu64 ", bytes out %" PRIu64 "\n", d->requests, d->errors,
	    d->bytes_in, d->bytes_out);
	for (i = 0; i < st->nr_smmus; i++) {
		s = &st->smmus[i];
		printf("smmu ");
		out_str(s->smmu);
		printf(":\n");
		out_counters("  ", &s->counters);
		out_cache("tlb", &s->tlb);
		out_cache("cfg", &s->cfg);
		for (j = 0; j < s->nr_streams; j++) {
			printf("  stream %" PRIu32 ":\n", s->streams[j].sid);
			out_counters("    ", &s->streams[j].counters);
		}
	}
	return 0;
}

static int
out_mem_read(const char *vm, uint64_t gpa, const uint8_t *data, size_t len)
{
	size_t off, i;

	/* hexdump -C layout, with guest physical addresses. */
	for (off = 0; off < len; off += 16) {
		printf("%016" PRIx64 " ", gpa + off);
		for (i = 0; i < 16; i++) {
			if (i == 8)
				printf(" ");
			if (off + i < len)
				printf(" %02x", data[off + i]);
			else
				printf("   ");
		}
		printf("  |");
		for (i = 0; i < 16 && off + i < len; i++)
			putchar(isprint(data[off + i]) ? data[off + i] : '.');
		printf("|\n");
	}
	return 0;
}

static int
out_mem_write(const char *vm, uint64_t gpa, size_t len, const char *file)
{
	printf("wrote %zu bytes to %s at 0x%" PRIx64 "%s%s\n", len, vm, gpa,
	    file != NULL ? " from " : "", file != NULL ? file : "");
	return 0;
}

static int
out_finish(void)
{
	return fflush(stdout) != 0 || ferror(stdout) ? -1 : 0;
}

const struct ctl_output ctl_output_human = {
	.version = out_version,
	.attach = out_attach,
	.detach = out_detach,
	.devices = out_devices,
	.mapping = out_mapping,
	.fault = out_fault,
	.invalidate = out_invalidate,
	.stats = out_stats,
	.mem_read = out_mem_read,
	.mem_write = out_mem_write,
	.finish = out_finish,
};
