/* cli_net.c - `vmm run -n/--network`, in kvmtool's spelling (builtin-run.c netdev_parser):
 * comma-separated key=value pairs, one NIC per -n. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "virtio/net.h"

/* kvmtool keys this step has no counterpart for yet: refused by name. */
static const char *const later[] = { "host_ip", "guest_ip", "host_mac" };

static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(((struct nic_config *)0)->tapif))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return strcmp(s, ".") && strcmp(s, "..");
}

/* One key=value of arg; 0 or -EINVAL with err set. */
static int net_key(const char *arg, const char *key, const char *val, struct nic_config *nic, int *mode,
		   char *err, size_t errlen)
{
	uint64_t v;

	if (!strcmp(key, "mode")) {
		if (!strcmp(val, "tap") || !strcmp(val, "none")) {
			*mode = !strcmp(val, "tap");
			return 0;
		}
		if (!strcmp(val, "user"))
			snprintf(err, errlen, "-n %s: user-mode networking is not implemented yet; use mode=tap", arg);
		else
			snprintf(err, errlen, "-n %s: unknown mode %s; use mode=tap or mode=none", arg, val);
		return -EINVAL;
	}
	if (!strcmp(key, "tapif")) {
		if (!ifname_ok(val)) {
			snprintf(err, errlen, "-n %s: %s is not an interface name (1-15 characters)", arg, val);
			return -EINVAL;
		}
		snprintf(nic->tapif, sizeof(nic->tapif), "%s", val);
		return 0;
	}
	if (!strcmp(key, "fd")) {
		if (parse_uint(val, 0, 0x7fffffff, &v)) {
			snprintf(err, errlen, "-n %s: %s is not a file descriptor number", arg, val);
			return -EINVAL;
		}
		nic->fd = (int)v;
		return 0;
	}
	if (!strcmp(key, "guest_mac")) {
		if (net_mac_parse(val, nic->mac)) {
			snprintf(err, errlen, "-n %s: %s is not a unicast MAC (use e.g. 02:12:34:56:78:9a)",
				 arg, val);
			return -EINVAL;
		}
		nic->mac_given = true;
		return 0;
	}
	if (!strcmp(key, "trans")) {
		if (strcmp(val, "pci") && strcmp(val, "mmio")) {
			snprintf(err, errlen, "-n %s: trans is pci or mmio", arg);
			return -EINVAL;
		}
		nic->mmio = !strcmp(val, "mmio");
		nic->pci = !nic->mmio;
		return 0;
	}
	if (!strcmp(key, "vhost")) {
		if (!strcmp(val, "0") || !strcmp(val, "1")) {
			nic->vhost = val[0] - '0';
			return 0;
		}
		snprintf(err, errlen, "-n %s: vhost takes 0 or 1", arg);
		return -EINVAL;
	}
	if (!strcmp(key, "mq")) {
		if (parse_uint(val, 1, 0xffff, &v)) {
			snprintf(err, errlen, "-n %s: mq is the number of queue pairs, 1 or more", arg);
			return -EINVAL;
		}
		nic->pairs = (unsigned)v; /* capped by the board: a line says so */
		return 0;
	}
	if (!strcmp(key, "script") || !strcmp(key, "downscript")) {
		if (!strcmp(val, "none"))
			return 0; /* vmm runs no script: set the tap up before */
		snprintf(err, errlen, "-n %s: %s= scripts are not run by vmm; set the tap up before, and give %s=none",
			 arg, key, key);
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(later); i++) {
		if (!strcmp(key, later[i])) {
			snprintf(err, errlen, "-n %s: %s= is not implemented yet", arg, key);
			return -EINVAL;
		}
	}
	snprintf(err, errlen, "-n %s: unknown network option %s; use mode, tapif, fd, guest_mac, trans, vhost or mq",
		 arg, key);
	return -EINVAL;
}

int cli_network(const char *arg, struct vm_config *cfg, char *err, size_t errlen)
{
	struct nic_config nic = { .fd = -1, .vhost = -1 };
	char buf[256], *save = NULL, *tok;
	int mode = 1; /* kvmtool's -n without mode= is a tap */

	if (strlen(arg) >= sizeof(buf)) {
		snprintf(err, errlen, "-n: value too long");
		return -EINVAL;
	}
	memcpy(buf, arg, strlen(arg) + 1);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || !eq[1]) {
			snprintf(err, errlen, "-n %s: %s is not key=value", arg, tok);
			return -EINVAL;
		}
		*eq = '\0';
		if (net_key(arg, tok, eq + 1, &nic, &mode, err, errlen))
			return -EINVAL;
	}
	if (!mode)
		return 0; /* mode=none: no NIC */
	if (nic.fd >= 0 && nic.tapif[0]) {
		snprintf(err, errlen, "-n %s: give tapif= or fd=, not both", arg);
		return -EINVAL;
	}
	if (nic.fd >= 0 && nic.pairs > 1) {
		snprintf(err, errlen, "-n %s: fd= is one tap queue; mq=N needs tapif= (a multi_queue tap) or none", arg);
		return -EINVAL;
	}
	if (cfg->nr_nics >= CLI_MAX_NICS) {
		snprintf(err, errlen, "-n %s: at most %u network devices", arg, CLI_MAX_NICS);
		return -EINVAL;
	}
	cfg->nics[cfg->nr_nics++] = nic;
	return 0;
}
