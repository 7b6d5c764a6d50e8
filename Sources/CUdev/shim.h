#ifndef APHOTPLUG_CUDEV_SHIM_H
#define APHOTPLUG_CUDEV_SHIM_H
#include <libudev.h>
#endif
