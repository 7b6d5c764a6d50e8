/// Runs a program in a private network and mount namespace (`unshare --net --mount`,
/// root only), where a ``NetlinkUeventSender`` reaches it and nothing else: the host's
/// udev listeners never see the fake events, and the program never sees the host's.
///
/// In the private mount namespace a tmpfs hides the host's `/run` and holds an empty
/// `/run/udev/control`: without it (and without a devtmpfs `/dev`) libudev would bind
/// a `"udev"` monitor to no group (testing-with-umockdev.md §1). The shell that unshare
/// runs execs the program, so the PID of the process started is the program's.
public enum PrivateNetworkNamespace {
    /// `unshare(1)` from util-linux.
    public static let unshare = "/usr/bin/unshare"

    static let setupScript = "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir /run/udev && : > /run/udev/control && exec \"$@\""

    /// The arguments for ``unshare`` that run `program` with `arguments` in the namespaces.
    public static func arguments(running program: String, _ arguments: [String]) -> [String] {
        ["--net", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", setupScript, "sh", program] + arguments
    }
}
