/// mdevctl and chzdev rewrite their files in place (mdevctl truncates and
/// writes, chzdev removes and writes anew), so a read can catch one empty,
/// half written or gone. `first` is read again with `reread`, up to
/// ``MdevctlDirectory/rereads`` times with `pause` between, while
/// `caughtMidWrite` holds; a `reread` that finds nothing ends it.
func rereading<Content>(
    _ first: Content, pause: () -> Void, while caughtMidWrite: (Content) -> Bool, reread: () -> Content?
) -> Content {
    var content = first
    var rereads = 0
    while rereads < MdevctlDirectory.rereads, caughtMidWrite(content) {
        pause()
        rereads += 1
        guard let again = reread() else { break }
        content = again
    }
    return content
}
