/// Placeholder namespace until the Sysfs target has its first type.
enum SysfsPlaceholder {}
