#ifndef APHOTPLUG_CTESTSUPPORT_H
#define APHOTPLUG_CTESTSUPPORT_H

// struct sockaddr_nl and NETLINK_KOBJECT_UEVENT, which Swift's Glibc module lacks.
#include <linux/netlink.h>

/// setns(fd, CLONE_NEWNET): moves the calling thread into the network namespace
/// that fd (an open /proc/<pid>/ns/net) refers to. Returns 0, or -1 with errno set.
/// Swift's Glibc module does not import setns(2), which glibc declares only under
/// _GNU_SOURCE.
int aphp_enter_network_namespace(int fd);

#endif
