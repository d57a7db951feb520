/*
 * frame.c - packing protobuf messages into length-prefixed frames.
 */
#include <errno.h>
#include <stdlib.h>

#include "frame.h"

size_t
frame_size(const ProtobufCMessage *msg)
{
	return FRAME_HDR_LEN + protobuf_c_message_get_packed_size(msg);
}

size_t
frame_pack_into(const ProtobufCMessage *msg, uint8_t *buf)
{
	size_t n = protobuf_c_message_pack(msg, buf + FRAME_HDR_LEN);

	frame_hdr_put(buf, (uint32_t)n);
	return FRAME_HDR_LEN + n;
}

int
frame_pack(const ProtobufCMessage *msg, uint32_t max, uint8_t **ret_buf,
    size_t *ret_len)
{
	size_t body = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf;

	if (body > max)
		return -EMSGSIZE;
	buf = malloc(FRAME_HDR_LEN + body);
	if (buf == NULL)
		return -ENOMEM;
	*ret_len = frame_pack_into(msg, buf);
	*ret_buf = buf;
	return 0;
}

const char *
frame_status_name(int status)
{
	switch (status) {
	case SMMU__V1__STATUS__STATUS_OK: return "ok";
	case SMMU__V1__STATUS__STATUS_INVALID_ARGUMENT: return "invalid argument";
	case SMMU__V1__STATUS__STATUS_NOT_FOUND: return "not found";
	case SMMU__V1__STATUS__STATUS_PERMISSION_DENIED: return "permission denied";
	case SMMU__V1__STATUS__STATUS_ALREADY_EXISTS: return "already exists";
	case SMMU__V1__STATUS__STATUS_RESOURCE_EXHAUSTED: return "resource exhausted";
	case SMMU__V1__STATUS__STATUS_FAILED_PRECONDITION: return "failed precondition";
	case SMMU__V1__STATUS__STATUS_UNIMPLEMENTED: return "unimplemented";
	case SMMU__V1__STATUS__STATUS_INTERNAL: return "internal error";
	case SMMU__V1__STATUS__STATUS_UNSUPPORTED_VERSION: return "unsupported protocol version";
	case SMMU__V1__STATUS__STATUS_BAD_ADDRESS: return "guest memory not backed";
	default: return "unknown status";
	}
}
