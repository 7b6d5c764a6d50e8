#define _GNU_SOURCE
#include <sched.h>

#include "CTestSupport.h"

int aphp_enter_network_namespace(int fd) {
    return setns(fd, CLONE_NEWNET);
}
