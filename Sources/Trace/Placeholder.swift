/// Placeholder namespace until the Trace target has its first type.
enum TracePlaceholder {}
