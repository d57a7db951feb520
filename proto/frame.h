/*
 * frame.h - the smmud wire framing, shared by the daemon and the client.
 *
 * Owns: the frame layout (a 4-byte little-endian length, then one
 * protobuf message; see proto/smmu.proto), packing a message into a frame,
 * the protocol version and the Status names.  No I/O: callers move the
 * bytes.
 */
#ifndef SMMU_FRAME_H
#define SMMU_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "smmu.pb-c.h"

#define FRAME_PROTOCOL_VERSION 1
#define FRAME_HDR_LEN 4
#define FRAME_DEFAULT_MAX (1u << 20)	/* 1 MiB */
#define FRAME_MAX_FDS 16		/* fds one request may carry */

/* Length field of a frame header. */
static inline uint32_t
frame_hdr_get(const uint8_t hdr[FRAME_HDR_LEN])
{
	return (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
	    (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
}

/* Store len as a frame header. */
static inline void
frame_hdr_put(uint8_t hdr[FRAME_HDR_LEN], uint32_t len)
{
	hdr[0] = (uint8_t)len;
	hdr[1] = (uint8_t)(len >> 8);
	hdr[2] = (uint8_t)(len >> 16);
	hdr[3] = (uint8_t)(len >> 24);
}

/*
 * Pack msg into a newly allocated frame (header + body) of at most max
 * bytes of body.  On success stores the buffer (caller frees with free())
 * and its total length, and returns 0; returns -ENOMEM, or -EMSGSIZE when
 * the body would exceed max.
 */
int
frame_pack(const ProtobufCMessage *msg, uint32_t max, uint8_t **ret_buf,
    size_t *ret_len);

/*
 * Pack msg as a frame into buf (room for FRAME_HDR_LEN + the packed
 * size, see frame_size()).  Returns the number of bytes written.
 */
size_t
frame_pack_into(const ProtobufCMessage *msg, uint8_t *buf);

/* Bytes a frame of msg takes (header included). */
size_t
frame_size(const ProtobufCMessage *msg);

/* Name of a Status value ("STATUS_NOT_FOUND" -> "not found"). */
const char *
frame_status_name(int status);

#endif /* SMMU_FRAME_H */
