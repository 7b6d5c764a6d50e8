import APModel
import Testing

/// `ACTION=` values as the kernel's `kobject_actions` spells them, and nothing else.
@Suite struct UeventActionTests {
    @Test func everyKernelActionIsReadAndNothingElse() {
        for action in UeventAction.allCases {
            #expect(UeventAction(text: action.rawValue) == action)
            #expect(UeventAction(text: action.rawValue + "x") == nil)
            #expect(UeventAction(text: String(action.rawValue.dropLast())) == nil)
            #expect(UeventAction(text: action.rawValue.uppercased()) == nil)
        }
        for text in ["", "a", "adx", "rename", "onlinx", "offlinx", "bound", "unbinD", "change\n", " add", "add\u{0}"] {
            #expect(UeventAction(text: text) == nil, "\(text.debugDescription)")
        }
    }
}
