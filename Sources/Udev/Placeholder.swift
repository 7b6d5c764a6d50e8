/// Placeholder namespace until the Udev target has its first type.
enum UdevPlaceholder {}
