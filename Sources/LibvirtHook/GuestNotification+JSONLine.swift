import APModel

extension GuestNotification {
    /// The notification as a design.md guest trace record, one line without
    /// the newline: `{"type":"guest","action":"attach","mdev":"<uuid>","name":"vm1"}`.
    public var jsonLine: String {
        #"{"type":"guest","action":"\#(action.rawValue)","mdev":"\#(mdev)","name":\#(JSONString.quoted(name))}"#
    }
}
