/// Placeholder namespace until the HotplugEngine target has its first type.
enum HotplugEnginePlaceholder {}
