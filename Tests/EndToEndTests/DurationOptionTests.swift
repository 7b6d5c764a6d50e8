import APTestSupport
import Testing

/// Seconds options are converted to `Duration` through Int64 milliseconds: values
/// that do not fit are usage errors (exit 64), never a conversion trap.
@Suite struct DurationOptionTests {
    @Test(arguments: ["1e16", "1e300", "9223372036854775.807", "86401", "-1", "nan", "inf"])
    func hugeLockTimeoutIsAUsageError(value: String) throws {
        // A real event, so that the old code reached the conversion.
        let environment = [
            "PATH": "/usr/bin:/bin", "ACTION": "bind", "DEVPATH": "/devices/ap/card05/05.0004", "SUBSYSTEM": "ap",
            "DRIVER": "vfio_ap", "SEQNUM": "7",
        ]
        let result = try withTemporaryDirectory { directory in
            try CommandLineRunner.run(
                ["handle", "--sysfs-root", directory, "--state-dir", directory, "--log-target", "json", "--lock-timeout", value],
                environment: environment)
        }
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--lock-timeout"))
    }

    @Test(arguments: ["1e16", "1e300", "86401", "0", "0.0000001", "-5", "nan", "inf"])
    func hugePollIntervalIsAUsageError(value: String) throws {
        let result = try CommandLineRunner.run(["daemon", "--state-dir", "/nonexistent", "--poll-interval", value])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--poll-interval"))
    }
}
