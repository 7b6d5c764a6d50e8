/// Placeholder namespace until the LibvirtHook target has its first type.
enum LibvirtHookPlaceholder {}
