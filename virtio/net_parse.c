/* net_parse.c - virtio-net's pure parts, which the fuzzer and the command line drive too:
 * the control command parser (virtio 1.2, 5.1.6.5) and MAC addresses. */
#include "net.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util.h"

/* Control classes and commands (5.1.6.5.5). */
#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0

uint8_t net_ctrl_parse(const uint8_t *cmd, size_t len, unsigned max_pairs, unsigned *pairs)
{
	unsigned n;

	/* Only the MQ class: CTRL_RX, CTRL_MAC, ANNOUNCE and the offload classes need
	 * features we do not offer (5.1.6.5.1-4). */
	if (len != 4 || cmd[0] != VIRTIO_NET_CTRL_MQ || cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
		return VIRTIO_NET_ERR;
	n = (unsigned)le_load(cmd + 2, 2);
	if (n < 1 || n > max_pairs)
		return VIRTIO_NET_ERR;
	*pairs = n;
	return VIRTIO_NET_OK;
}

/* ---- MAC addresses ---- */

void net_mac_generate(const char *name, unsigned index, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, 64 bits */

	for (const char *s = name ? name : ""; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	h = (h ^ (index & 0xff)) * 0x100000001b3ULL;
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (mac[0] & 0xfc) | 0x02; /* locally administered, unicast (IEEE 802, bits 1 and 0) */
}

int net_mac_parse(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -EINVAL;
	for (unsigned i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)strtoul((char[3]){ s[3 * i], s[3 * i + 1], 0 }, NULL, 16);
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}
